//! rotate-db-secret's settings: the shared ones plus its own.

use std::path::PathBuf;
use std::time::Duration;

use shared::{Config, ConfigError, Env};

/// Settings of the rotation function, read once at start-up.
#[derive(Debug, Clone)]
pub struct RotationConfig {
    /// The settings every function shares.
    pub common: Config,
    /// `PASSWORD_LENGTH` (32).
    pub password_length: i64,
    /// `EXCLUDE_CHARACTERS` (`:/@"'\` and space): characters a generated password never has.
    pub exclude_characters: String,
    /// `DB_CA_BUNDLE`: PEM file of the CAs the database certificate must chain to;
    /// unset: the system's roots.
    pub ca_bundle: Option<PathBuf>,
    /// `DB_CONNECT_TIMEOUT_SECONDS` (5): one login attempt, TLS and authentication included.
    pub connect_timeout: Duration,
    /// `STEP_TIMEOUT_SECONDS` (45): a whole step, well inside the Lambda timeout.
    pub step_timeout: Duration,
}

/// The default `EXCLUDE_CHARACTERS`: what breaks connection strings and shells.
pub const DEFAULT_EXCLUDE_CHARACTERS: &str = ":/@\"'\\ ";

impl RotationConfig {
    /// Reads the settings from `env`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = Config::from_env(env)?;
        common.require_topic()?;
        let password_length: i64 = env.parse_or("PASSWORD_LENGTH", 32)?;
        // Secrets Manager generates 1–4096; shorter than 16 is not a production password.
        if !(16..=4096).contains(&password_length) {
            return Err(ConfigError::new("PASSWORD_LENGTH", "expected 16 to 4096"));
        }
        // `get` trims and treats empty as unset; the default includes a space on purpose.
        let exclude_characters = env
            .get("EXCLUDE_CHARACTERS")
            .map_or_else(|| DEFAULT_EXCLUDE_CHARACTERS.to_owned(), str::to_owned);
        let ca_bundle = env.get("DB_CA_BUNDLE").map(PathBuf::from);
        if let Some(path) = &ca_bundle
            && !path.is_file()
        {
            return Err(ConfigError::new(
                "DB_CA_BUNDLE",
                format!("{} is not a readable PEM file", path.display()),
            ));
        }
        let seconds = |name: &str, default: u64, max: u64| -> Result<Duration, ConfigError> {
            let value: u64 = env.parse_or(name, default)?;
            if value == 0 || value > max {
                return Err(ConfigError::new(
                    name,
                    format!("expected 1 to {max} seconds"),
                ));
            }
            Ok(Duration::from_secs(value))
        };
        Ok(RotationConfig {
            password_length,
            exclude_characters,
            ca_bundle,
            connect_timeout: shared::postgres::connect_timeout(env)?,
            step_timeout: seconds("STEP_TIMEOUT_SECONDS", 45, 840)?,
            common,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC: (&str, &str) = (
        "NOTIFY_TOPIC_ARN",
        "arn:aws:sns:ap-northeast-1:123456789012:ops",
    );

    #[test]
    fn defaults_are_the_design_values() {
        let c = RotationConfig::from_env(&Env::from_pairs([TOPIC])).unwrap();
        assert_eq!(c.password_length, 32);
        assert_eq!(c.exclude_characters, ":/@\"'\\ ");
        assert_eq!(c.connect_timeout, Duration::from_secs(5));
        assert_eq!(c.ca_bundle, None);
    }

    #[test]
    fn bad_values_name_their_variable() {
        let misnamed = shared::testing::bad_values_not_naming_their_variable(
            &[TOPIC],
            &[
                ("PASSWORD_LENGTH", "8"),
                ("PASSWORD_LENGTH", "long"),
                ("DB_CA_BUNDLE", "/nonexistent/ca.pem"),
                ("DB_CONNECT_TIMEOUT_SECONDS", "30"),
                ("STEP_TIMEOUT_SECONDS", "0"),
            ],
            RotationConfig::from_env,
        );
        assert!(misnamed.is_empty(), "{misnamed:#?}");
    }
}
