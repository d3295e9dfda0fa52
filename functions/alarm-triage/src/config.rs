//! alarm-triage's settings: the shared ones plus the triage's own.

use std::path::PathBuf;
use std::time::Duration;

use shared::{Config, ConfigError, Env};

use crate::classify::Classifier;
use crate::episode::FlapRule;
use crate::remind::Reminders;

/// Settings of a triage, read once at start-up.
#[derive(Debug, Clone)]
pub struct TriageConfig {
    /// The settings every function shares.
    pub common: Config,
    /// `TRIAGE_LOOKBACK_MINUTES` (15): the window before the state change that is examined.
    pub lookback: Duration,
    /// `TRIAGE_MAX_EVENTS` (10,000): most log events read per triage.
    pub max_events: usize,
    /// `TRIAGE_GATHER_SECONDS` (20): time allowed to each evidence source.
    pub gather_timeout: Duration,
    /// `TRIAGE_AUTO_REMEDIATE` (false): e.g. start a stopped cluster; otherwise recommend.
    pub auto_remediate: bool,
    /// Error classes: `TRIAGE_ERROR_RULES` (JSON) tried before the defaults.
    pub classifier: Classifier,
    /// `DB_CA_BUNDLE`: PEM the DB certificate must chain to (else the system roots).
    pub ca_bundle: Option<PathBuf>,
    /// `DB_CONNECT_TIMEOUT_SECONDS` (5, at most 5): the login probe's limit.
    pub connect_timeout: Duration,
    /// `TRIAGE_CHANGE_LOOKBACK_MINUTES` (60): how far before the state
    /// change the writes to the operated system are looked for.
    pub change_lookback: Duration,
    /// `TRIAGE_FLAP_TRANSITIONS` (4) and `TRIAGE_FLAP_QUIET_MINUTES` (30):
    /// when an alarm flaps, and how long it then stays quiet.
    pub flap: FlapRule,
    /// Reminders while an alarm stays in ALARM: `TRIAGE_REMIND_MINUTES` (30;
    /// 0 = off), `TRIAGE_REMIND_MAX` (8), in `SCHEDULE_GROUP` as
    /// `SCHEDULER_ROLE_ARN`; off (`None`) when either of those is unset.
    pub reminders: Option<Reminders>,
    /// `TRIAGE_OPSITEMS` (false): an OpsCenter OpsItem per episode.
    pub ops_items: bool,
}

impl TriageConfig {
    /// Reads the settings from `env`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = Config::from_env(env)?;
        common.require_topic()?;
        let minutes: u64 = env.parse_or("TRIAGE_LOOKBACK_MINUTES", 15)?;
        if !(1..=1440).contains(&minutes) {
            return Err(ConfigError::new(
                "TRIAGE_LOOKBACK_MINUTES",
                "expected 1–1440 minutes",
            ));
        }
        let max_events: usize = env.parse_or("TRIAGE_MAX_EVENTS", 10_000)?;
        if !(1..=1_000_000).contains(&max_events) {
            return Err(ConfigError::new("TRIAGE_MAX_EVENTS", "expected 1–1000000"));
        }
        let gather: u64 = env.parse_or("TRIAGE_GATHER_SECONDS", 20)?;
        if !(1..=600).contains(&gather) {
            return Err(ConfigError::new(
                "TRIAGE_GATHER_SECONDS",
                "expected 1–600 seconds",
            ));
        }
        let classifier = match env.get("TRIAGE_ERROR_RULES") {
            Some(json) => Classifier::from_json(json)
                .map_err(|e| ConfigError::new("TRIAGE_ERROR_RULES", e))?,
            None => Classifier::defaults(),
        };
        let connect_timeout = shared::postgres::connect_timeout(env)?;
        let ca_bundle = env.get("DB_CA_BUNDLE").map(PathBuf::from);
        let change_minutes: u64 = env.parse_or("TRIAGE_CHANGE_LOOKBACK_MINUTES", 60)?;
        if !(1..=1440).contains(&change_minutes) {
            return Err(ConfigError::new(
                "TRIAGE_CHANGE_LOOKBACK_MINUTES",
                "expected 1–1440 minutes",
            ));
        }
        let flap_transitions: usize = env.parse_or("TRIAGE_FLAP_TRANSITIONS", 4)?;
        if !(2..=60).contains(&flap_transitions) {
            return Err(ConfigError::new(
                "TRIAGE_FLAP_TRANSITIONS",
                "expected 2–60 transitions into ALARM per hour",
            ));
        }
        let quiet: u64 = env.parse_or("TRIAGE_FLAP_QUIET_MINUTES", 30)?;
        if !(1..=1440).contains(&quiet) {
            return Err(ConfigError::new(
                "TRIAGE_FLAP_QUIET_MINUTES",
                "expected 1–1440 minutes",
            ));
        }
        let remind_minutes: u32 = env.parse_or("TRIAGE_REMIND_MINUTES", 30)?;
        if remind_minutes > 1440 {
            return Err(ConfigError::new(
                "TRIAGE_REMIND_MINUTES",
                "expected 0 (off) to 1440 minutes",
            ));
        }
        let remind_max: u32 = env.parse_or("TRIAGE_REMIND_MAX", 8)?;
        if !(1..=48).contains(&remind_max) {
            return Err(ConfigError::new("TRIAGE_REMIND_MAX", "expected 1–48"));
        }
        let reminders = match shared::schedule::Schedules::from_env(env)? {
            Some(schedules) if remind_minutes > 0 => Some(Reminders {
                schedules,
                minutes: remind_minutes,
                max: remind_max,
            }),
            _ => None,
        };
        Ok(TriageConfig {
            flap: FlapRule {
                transitions: flap_transitions,
                quiet: Duration::from_secs(quiet * 60),
            },
            reminders,
            ops_items: env.flag("TRIAGE_OPSITEMS", false)?,
            change_lookback: Duration::from_secs(change_minutes * 60),
            ca_bundle,
            connect_timeout,
            lookback: Duration::from_secs(minutes * 60),
            max_events,
            gather_timeout: Duration::from_secs(gather),
            auto_remediate: env.flag("TRIAGE_AUTO_REMEDIATE", false)?,
            classifier,
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
    fn defaults_follow_the_design() {
        let c = TriageConfig::from_env(&Env::from_pairs([TOPIC])).unwrap();
        assert_eq!(c.lookback, Duration::from_secs(15 * 60));
        assert_eq!((c.max_events, c.auto_remediate), (10_000, false));
        assert_eq!(c.flap.transitions, 4);
        assert_eq!(c.flap.quiet, Duration::from_secs(30 * 60));
        assert_eq!(
            (c.reminders, c.ops_items),
            (None, false),
            "no group, no role"
        );
        let scheduled = TriageConfig::from_env(&Env::from_pairs([
            TOPIC,
            ("SCHEDULE_GROUP", "goal-mandala-ops"),
            (
                "SCHEDULER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/goal-mandala-ops-scheduler",
            ),
        ]))
        .unwrap();
        let reminders = scheduled.reminders.unwrap();
        assert_eq!((reminders.minutes, reminders.max), (30, 8));
        assert_eq!(
            c.common.api_log_group,
            "/aws/lambda/goal-mandala-production-api"
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        let misnamed = shared::testing::bad_values_not_naming_their_variable(
            &[TOPIC],
            &[
                ("TRIAGE_LOOKBACK_MINUTES", "0"),
                ("TRIAGE_MAX_EVENTS", "lots"),
                ("TRIAGE_GATHER_SECONDS", "0"),
                ("TRIAGE_CHANGE_LOOKBACK_MINUTES", "0"),
                ("TRIAGE_CHANGE_LOOKBACK_MINUTES", "1441"),
                ("TRIAGE_AUTO_REMEDIATE", "yes"),
                ("TRIAGE_FLAP_TRANSITIONS", "1"),
                ("TRIAGE_FLAP_QUIET_MINUTES", "0"),
                ("TRIAGE_REMIND_MINUTES", "-5"),
                ("TRIAGE_REMIND_MINUTES", "1441"),
                ("TRIAGE_REMIND_MAX", "0"),
                ("SCHEDULER_ROLE_ARN", "scheduler-role"),
                ("TRIAGE_OPSITEMS", "maybe"),
                (
                    "TRIAGE_ERROR_RULES",
                    r#"[{"class": "timeout", "pattern": "("}]"#,
                ),
            ],
            TriageConfig::from_env,
        );
        assert!(misnamed.is_empty(), "{misnamed:#?}");
    }
}
