//! rotate-access-keys' settings: the shared ones plus the rotation's.

use shared::runbook::Days;
use shared::{Config, ConfigError, Env};

use crate::plan::RotationPolicy;

/// Settings of a key-rotation run, read once at start-up.
#[derive(Debug, Clone)]
pub struct KeysConfig {
    /// The settings every function shares.
    pub common: Config,
    /// `ROTATE_USERS` (`github-actions-deploy`): comma-separated IAM user names.
    pub users: Vec<String>,
    /// `KEY_ROTATE_DAYS` (90), `KEY_DEACTIVATE_DAYS` (7), `KEY_DELETE_DAYS` (14), `KEY_WARN_DAYS` (7).
    pub policy: RotationPolicy,
    /// `KEY_SECRET_PREFIX` (`$SYSTEM_NAME/iam/`): the secret of user `u` is `<prefix>u`.
    pub secret_prefix: String,
}

pub use shared::config::{
    DEFAULT_DEPLOY_USER as DEFAULT_USER, valid_iam_user_name as valid_user_name,
};

impl KeysConfig {
    /// Reads the settings from `env`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = Config::from_env(env)?;
        common.require_topic()?;
        let users = env.iam_users("ROTATE_USERS", DEFAULT_USER)?;
        let policy = RotationPolicy {
            rotate: common.runbook.key_rotation,
            deactivate: env.parse_or("KEY_DEACTIVATE_DAYS", Days(7))?,
            delete: env.parse_or("KEY_DELETE_DAYS", Days(14))?,
            warn: env.parse_or("KEY_WARN_DAYS", Days(7))?,
        };
        if policy.deactivate >= policy.rotate {
            return Err(ConfigError::new(
                "KEY_DEACTIVATE_DAYS",
                "must be less than KEY_ROTATE_DAYS (the previous key must be retired before the next rotation)",
            ));
        }
        let secret_prefix =
            env.string_or("KEY_SECRET_PREFIX", format!("{}/iam/", common.system_name));
        let valid_prefix = !secret_prefix.is_empty()
            && secret_prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b));
        if !valid_prefix {
            return Err(ConfigError::new(
                "KEY_SECRET_PREFIX",
                "expected letters, digits and /_+=.@- (a Secrets Manager name prefix)",
            ));
        }
        Ok(KeysConfig {
            users,
            policy,
            secret_prefix,
            common,
        })
    }

    /// The secret that holds `user`'s current key.
    pub fn secret_name(&self, user: &str) -> String {
        format!("{}{user}", self.secret_prefix)
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
    fn defaults_follow_the_runbook_and_the_system_name() {
        let config = KeysConfig::from_env(&Env::from_pairs([TOPIC])).unwrap();
        assert_eq!(config.users, ["github-actions-deploy"]);
        assert_eq!(
            config.policy,
            RotationPolicy {
                rotate: Days(90),
                deactivate: Days(7),
                delete: Days(14),
                warn: Days(7)
            }
        );
        assert_eq!(
            config.secret_name("github-actions-deploy"),
            "goal-mandala-production/iam/github-actions-deploy"
        );
        let config = KeysConfig::from_env(&Env::from_pairs([
            TOPIC,
            ("ROTATE_USERS", " deploy-a, deploy-b ,"),
            ("SYSTEM_NAME", "demo"),
        ]))
        .unwrap();
        assert_eq!(config.users, ["deploy-a", "deploy-b"]);
        assert_eq!(config.secret_name("deploy-a"), "demo/iam/deploy-a");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let misnamed = shared::testing::bad_values_not_naming_their_variable(
            &[TOPIC],
            &[
                ("ROTATE_USERS", ","),
                ("ROTATE_USERS", "bad user"),
                ("KEY_ROTATE_DAYS", "0"),
                ("KEY_ROTATE_DAYS", "ninety"),
                ("KEY_DEACTIVATE_DAYS", "90"),
                ("KEY_DELETE_DAYS", "-1"),
                ("KEY_WARN_DAYS", "x"),
                ("KEY_SECRET_PREFIX", "has space/"),
            ],
            KeysConfig::from_env,
        );
        assert!(misnamed.is_empty(), "{misnamed:#?}");
    }
}
