//! daily-health's settings: the shared ones (the runbook's thresholds among
//! them) plus its own.

use shared::{Config, ConfigError, Env};

/// Settings of a health check, read once at start-up.
#[derive(Debug, Clone)]
pub struct HealthConfig {
    /// The settings every function shares, with the runbook's thresholds.
    pub common: Config,
    /// `ROTATE_USERS` (`github-actions-deploy`): whose deploy keys' age is checked.
    pub rotate_users: Vec<String>,
    /// `SNAPSHOT_MAX_AGE_HOURS` (26): the newest restore point may be this old
    /// (the 04:30 snapshot, and a missed night shows at 09:00).
    pub snapshot_max_age_hours: f64,
    /// `CLOUDFRONT_CACHE_POLICY_ID`: the cache policy whose default TTL the
    /// runbook states (unset: that check is skipped with a note).
    pub cache_policy_id: Option<String>,
    /// `FAILURE_QUEUE_URL`: the stack's failure queue (unset: skipped).
    pub failure_queue_url: Option<String>,
    /// `DRILL_MAX_AGE_DAYS` (8): the newest snapshot restore-drill verified
    /// may be this many days old (a weekly drill, and a day to notice).
    pub drill_max_age_days: i64,
    /// `DRILL_CLUSTER_ID` (`$DB_CLUSTER_ID-drill`): where a drill restores to.
    pub drill_cluster_id: String,
}

/// The default `SNAPSHOT_MAX_AGE_HOURS`.
pub const DEFAULT_SNAPSHOT_MAX_AGE_HOURS: f64 = 26.0;

impl HealthConfig {
    /// Reads the settings from `env`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = Config::from_env(env)?;
        common.require_topic()?;
        let hours: f64 = env.parse_or("SNAPSHOT_MAX_AGE_HOURS", DEFAULT_SNAPSHOT_MAX_AGE_HOURS)?;
        if !(hours.is_finite() && hours > 0.0) {
            return Err(ConfigError::new(
                "SNAPSHOT_MAX_AGE_HOURS",
                "expected a number of hours greater than 0",
            ));
        }
        let set = |name: &str| env.get(name).map(str::trim).filter(|v| !v.is_empty());
        let failure_queue_url = set("FAILURE_QUEUE_URL").map(str::to_owned);
        if let Some(url) = &failure_queue_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ConfigError::new(
                "FAILURE_QUEUE_URL",
                "expected an SQS queue URL like https://sqs.ap-northeast-1.amazonaws.com/123456789012/name",
            ));
        }
        let cache_policy_id = set("CLOUDFRONT_CACHE_POLICY_ID").map(str::to_owned);
        if let Some(id) = &cache_policy_id
            && !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ConfigError::new(
                "CLOUDFRONT_CACHE_POLICY_ID",
                "expected a cache policy id (letters, digits and hyphens)",
            ));
        }
        let drill_max_age_days: i64 = env.parse_or("DRILL_MAX_AGE_DAYS", 8)?;
        if drill_max_age_days < 1 {
            return Err(ConfigError::new(
                "DRILL_MAX_AGE_DAYS",
                "expected a number of days, at least 1",
            ));
        }
        let drill_cluster_id = env.string_or(
            "DRILL_CLUSTER_ID",
            format!("{}-drill", common.db_cluster_id),
        );
        Ok(HealthConfig {
            drill_max_age_days,
            drill_cluster_id,
            rotate_users: env.iam_users("ROTATE_USERS", shared::config::DEFAULT_DEPLOY_USER)?,
            snapshot_max_age_hours: hours,
            cache_policy_id,
            failure_queue_url,
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
    fn defaults_are_the_runbooks() {
        let config = HealthConfig::from_env(&Env::from_pairs([TOPIC])).unwrap();
        assert_eq!(config.rotate_users, ["github-actions-deploy"]);
        assert_eq!(config.snapshot_max_age_hours, 26.0);
        assert_eq!(config.common.runbook.surge_factor, 3.0);
        let config = HealthConfig::from_env(&Env::from_pairs([
            TOPIC,
            ("SNAPSHOT_MAX_AGE_HOURS", "30.5"),
            ("ROTATE_USERS", "a, b"),
            ("LAMBDA_INVOCATIONS_MAX_PER_DAY", "20000"),
        ]))
        .unwrap();
        assert_eq!(config.snapshot_max_age_hours, 30.5);
        assert_eq!(config.rotate_users, ["a", "b"]);
        assert_eq!(config.common.runbook.lambda_invocations_max_per_day, 20_000);
        assert_eq!(
            (config.cache_policy_id, config.failure_queue_url),
            (None, None)
        );
    }

    #[test]
    fn bad_values_fail_at_start_up_naming_the_variable() {
        let misnamed = shared::testing::bad_values_not_naming_their_variable(
            &[TOPIC],
            &[
                ("SURGE_FACTOR", "1"),
                ("SURGE_FACTOR", "three"),
                ("SNAPSHOT_MAX_AGE_HOURS", "0"),
                ("SNAPSHOT_MAX_AGE_HOURS", "-2"),
                ("SNAPSHOT_MAX_AGE_HOURS", "NaN"),
                ("DRILL_MAX_AGE_DAYS", "0"),
                ("DRILL_MAX_AGE_DAYS", "weekly"),
                ("DB_CPU_MAX_PERCENT", "170"),
                ("API_LATENCY_P95_MAX_MS", "fast"),
                ("NOTIFY_TOPIC_ARN", "arn:aws:sns:ap-northeast-1:123:ops"),
                ("ROTATE_USERS", "bad user"),
                ("FAILURE_QUEUE_URL", "ops-failures"),
                ("CLOUDFRONT_CACHE_POLICY_ID", "a policy"),
                ("DB_BACKUP_WINDOW", "03-04"),
            ],
            HealthConfig::from_env,
        );
        assert!(misnamed.is_empty(), "{misnamed:#?}");
        assert_eq!(
            HealthConfig::from_env(&Env::default())
                .unwrap_err()
                .variable,
            "NOTIFY_TOPIC_ARN"
        );
    }
}
