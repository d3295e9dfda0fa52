//! What the functions' own tests share (feature `test-util`, dev only).

use std::fmt::Debug;

use crate::config::{ConfigError, Env};

/// The configuration rule "a bad value fails start-up naming its variable",
/// checked over `cases`: each `(variable, value)` is set over `base` and
/// given to `load`. Returns one line per case that was accepted or blamed
/// another variable (empty when every case names its own).
pub fn bad_values_not_naming_their_variable<T: Debug>(
    base: &[(&str, &str)],
    cases: &[(&str, &str)],
    load: impl Fn(&Env) -> Result<T, ConfigError>,
) -> Vec<String> {
    cases
        .iter()
        .filter_map(|&(variable, value)| {
            let mut env = Env::from_pairs(base.iter().copied());
            env.set(variable, value);
            match load(&env) {
                Ok(config) => Some(format!("{variable}={value} was accepted: {config:?}")),
                Err(err) if err.variable != variable => {
                    Some(format!("{variable}={value} blamed {}: {err}", err.variable))
                }
                Err(_) => None,
            }
        })
        .collect()
}
