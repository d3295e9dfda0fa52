//! nightly-snapshot's settings: the shared ones plus its own.

use shared::runbook::{Days, Runbook};
use shared::{Config, ConfigError, Env};

use crate::plan::RetentionPolicy;

/// Settings of a snapshot run, read once at start-up.
#[derive(Debug, Clone)]
pub struct SnapshotConfig {
    /// The settings every function shares.
    pub common: Config,
    /// `SNAPSHOT_PREFIX` (`$DB_CLUSTER_ID-manual-`).
    pub prefix: String,
    /// `SNAPSHOT_RETENTION_DAYS` (30) and `SNAPSHOT_KEEP_MIN` (7).
    pub retention: RetentionPolicy,
    /// `SNAPSHOT_QUOTA`: manual cluster snapshots allowed per region (100).
    pub quota: u32,
}

impl SnapshotConfig {
    /// Reads the settings from `env`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = Config::from_env(env)?;
        common.require_topic()?;
        let prefix = env.string_or(
            "SNAPSHOT_PREFIX",
            Runbook::manual_snapshot_prefix(&common.db_cluster_id),
        );
        // Snapshot ids: a letter first, then letters, digits and single hyphens; 255 at most.
        let valid_prefix = prefix.starts_with(|c: char| c.is_ascii_alphabetic())
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !prefix.contains("--")
            && prefix.len() <= 200;
        if !valid_prefix {
            return Err(ConfigError::new(
                "SNAPSHOT_PREFIX",
                "expected a letter first, then letters, digits and single hyphens",
            ));
        }
        let quota: u32 = env.parse_or("SNAPSHOT_QUOTA", 100)?;
        if quota == 0 {
            return Err(ConfigError::new("SNAPSHOT_QUOTA", "must be at least 1"));
        }
        Ok(SnapshotConfig {
            prefix,
            retention: RetentionPolicy {
                retention: env.parse_or("SNAPSHOT_RETENTION_DAYS", Days(30))?,
                keep_min: env.parse_or("SNAPSHOT_KEEP_MIN", 7)?,
            },
            quota,
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
    fn defaults_follow_the_cluster_and_the_design() {
        let config = SnapshotConfig::from_env(&Env::from_pairs([TOPIC])).unwrap();
        assert_eq!(config.prefix, "goal-mandala-production-manual-");
        assert_eq!(
            config.retention,
            RetentionPolicy {
                retention: Days(30),
                keep_min: 7
            }
        );
        assert_eq!(config.quota, 100);
        let config =
            SnapshotConfig::from_env(&Env::from_pairs([TOPIC, ("DB_CLUSTER_ID", "c2")])).unwrap();
        assert_eq!(config.prefix, "c2-manual-");
    }

    #[test]
    fn the_topic_is_required_and_bad_values_name_their_variable() {
        assert_eq!(
            SnapshotConfig::from_env(&Env::default())
                .unwrap_err()
                .variable,
            "NOTIFY_TOPIC_ARN"
        );
        let misnamed = shared::testing::bad_values_not_naming_their_variable(
            &[TOPIC],
            &[
                ("SNAPSHOT_PREFIX", "1bad"),
                ("SNAPSHOT_PREFIX", "a_b-"),
                ("SNAPSHOT_RETENTION_DAYS", "-3"),
                ("SNAPSHOT_KEEP_MIN", "many"),
                ("SNAPSHOT_QUOTA", "0"),
            ],
            SnapshotConfig::from_env,
        );
        assert!(misnamed.is_empty(), "{misnamed:#?}");
    }
}
