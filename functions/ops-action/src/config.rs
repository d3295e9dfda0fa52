//! ops-action's settings: the shared ones (the buckets among them).

use shared::{Config, ConfigError, Env};

/// Settings of an ops action, read once at start-up.
#[derive(Debug, Clone)]
pub struct OpsConfig {
    /// The settings every function shares.
    pub common: Config,
}

impl OpsConfig {
    /// Reads the settings from `env`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = Config::from_env(env)?;
        common.require_topic()?;
        Ok(OpsConfig { common })
    }
}
