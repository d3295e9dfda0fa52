//! The operations manual's numbers (ARCHITECTURE §1), in one place.
//!
//! Each value is typed (a duration, a percentage, dollars, a count), starts at
//! the runbook's value and can be overridden from the environment without
//! recompiling; the variable names are listed in the README.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, Env};

pub mod rules;

pub use rules::{CountVerdict, DailyCount, Verdict};

/// An amount of US dollars, exact to any fraction of a cent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Usd(pub Decimal);

impl Usd {
    /// Whole dollars.
    pub fn dollars(amount: i64) -> Self {
        Usd(Decimal::from(amount))
    }
}

impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${:.2}", self.0)
    }
}

/// A percentage, 0–100.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Percent(f64);

impl Percent {
    /// A percentage; `None` outside 0–100 or not finite.
    pub fn new(value: f64) -> Option<Self> {
        (value.is_finite() && (0.0..=100.0).contains(&value)).then_some(Percent(value))
    }

    /// The number of percent.
    pub fn value(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} %", self.0)
    }
}

impl FromStr for Percent {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let value: f64 = s
            .parse()
            .map_err(|_| "expected a number of percent".to_owned())?;
        Percent::new(value).ok_or_else(|| "expected a percentage between 0 and 100".to_owned())
    }
}

/// A share of a whole, in (0, 1].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Ratio(Decimal);

impl Ratio {
    /// A ratio; `None` outside (0, 1].
    pub fn new(value: Decimal) -> Option<Self> {
        (value > Decimal::ZERO && value <= Decimal::ONE).then_some(Ratio(value))
    }

    /// The ratio as a decimal.
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl FromStr for Ratio {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let value: Decimal = s
            .parse()
            .map_err(|_| "expected a decimal ratio like 0.8".to_owned())?;
        Ratio::new(value).ok_or_else(|| "expected a ratio greater than 0 and at most 1".to_owned())
    }
}

/// Aurora Serverless v2 capacity units, in steps of 0.5.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Acu(f64);

impl Acu {
    /// Largest capacity Aurora Serverless v2 accepts.
    pub const SERVICE_MAX: f64 = 256.0;

    /// A capacity; `None` unless a multiple of 0.5 within 0–256.
    pub fn new(value: f64) -> Option<Self> {
        let valid = value.is_finite()
            && (0.0..=Self::SERVICE_MAX).contains(&value)
            && (value * 2.0).fract() == 0.0;
        valid.then_some(Acu(value))
    }

    /// The number of ACUs.
    pub fn value(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Acu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ACU", self.0)
    }
}

impl FromStr for Acu {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let value: f64 = s
            .parse()
            .map_err(|_| "expected a number of ACUs".to_owned())?;
        Acu::new(value).ok_or_else(|| "expected a multiple of 0.5 between 0 and 256".to_owned())
    }
}

/// A whole number of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Days(pub u32);

impl Days {
    /// As a time span.
    pub fn to_delta(self) -> chrono::TimeDelta {
        chrono::TimeDelta::days(i64::from(self.0))
    }
}

impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Days {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<u32>()
            .map(Days)
            .map_err(|_| "expected a whole number of days".to_owned())
    }
}

/// A daily window of local wall-clock time, `HH:MM-HH:MM` (the runbook's
/// backup window, 03:00–04:00 in `REPORT_TIMEZONE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyWindow {
    /// Start, inclusive.
    pub start: chrono::NaiveTime,
    /// End.
    pub end: chrono::NaiveTime,
}

impl fmt::Display for DailyWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

impl FromStr for DailyWindow {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let time = |t: &str| chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M").ok();
        s.split_once('-')
            .and_then(|(a, b)| {
                Some(DailyWindow {
                    start: time(a)?,
                    end: time(b)?,
                })
            })
            .ok_or_else(|| "expected a window like 03:00-04:00 (HH:MM-HH:MM)".to_owned())
    }
}

/// A line of the runbook's monthly budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BudgetLine {
    /// AWS Lambda.
    Lambda,
    /// Aurora Serverless v2.
    Aurora,
    /// Amazon S3.
    S3,
    /// Amazon CloudFront.
    Cloudfront,
    /// Amazon API Gateway.
    ApiGateway,
    /// Every other service (no budget of its own by default).
    Other,
    /// The whole bill.
    Total,
}

impl BudgetLine {
    /// Every line, in report order.
    pub const ALL: [BudgetLine; 7] = [
        BudgetLine::Lambda,
        BudgetLine::Aurora,
        BudgetLine::S3,
        BudgetLine::Cloudfront,
        BudgetLine::ApiGateway,
        BudgetLine::Other,
        BudgetLine::Total,
    ];

    /// The stable line id used in reports and `BUDGETS`.
    pub fn id(self) -> &'static str {
        match self {
            BudgetLine::Lambda => "lambda",
            BudgetLine::Aurora => "aurora",
            BudgetLine::S3 => "s3",
            BudgetLine::Cloudfront => "cloudfront",
            BudgetLine::ApiGateway => "api-gateway",
            BudgetLine::Other => "other",
            BudgetLine::Total => "total",
        }
    }
}

impl FromStr for BudgetLine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BudgetLine::ALL
            .into_iter()
            .find(|line| line.id() == s)
            .ok_or_else(|| {
                let ids: Vec<&str> = BudgetLine::ALL.iter().map(|l| l.id()).collect();
                format!(
                    "unknown budget line `{s}` (expected one of {})",
                    ids.join(", ")
                )
            })
    }
}

/// Monthly budget per line; `other` has none unless configured.
#[derive(Debug, Clone, PartialEq)]
pub struct Budgets(BTreeMap<BudgetLine, Usd>);

impl Budgets {
    /// The runbook's monthly budgets.
    pub fn runbook() -> Self {
        Budgets(BTreeMap::from([
            (BudgetLine::Lambda, Usd::dollars(5)),
            (BudgetLine::Aurora, Usd::dollars(10)),
            (BudgetLine::S3, Usd::dollars(1)),
            (BudgetLine::Cloudfront, Usd::dollars(1)),
            (BudgetLine::ApiGateway, Usd::dollars(1)),
            (BudgetLine::Total, Usd::dollars(18)),
        ]))
    }

    /// The budget of `line`, if it has one.
    pub fn get(&self, line: BudgetLine) -> Option<Usd> {
        self.0.get(&line).copied()
    }

    /// Merges `{"line": usd}` JSON over these budgets.
    fn merge_json(&mut self, json: &str) -> Result<(), String> {
        let overrides: BTreeMap<String, Decimal> = serde_json::from_str(json)
            .map_err(|e| format!("expected JSON like {{\"lambda\": 5, \"total\": 18}}: {e}"))?;
        for (id, amount) in overrides {
            let line: BudgetLine = id.parse()?;
            if amount < Decimal::ZERO {
                return Err(format!("budget of `{id}` must not be negative"));
            }
            self.0.insert(line, Usd(amount));
        }
        Ok(())
    }
}

/// The runbook's thresholds (ARCHITECTURE §1). Field docs name the override variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Runbook {
    /// Lambda invocations per day, normal range upper end (`LAMBDA_INVOCATIONS_MAX_PER_DAY`).
    pub lambda_invocations_max_per_day: u64,
    /// Lambda average duration must stay under this (`LAMBDA_DURATION_AVG_MAX_MS`).
    pub lambda_duration_avg_max: Duration,
    /// Normal Lambda error rate stays under this (`LAMBDA_ERROR_RATE_MAX_PERCENT`).
    pub lambda_error_rate_max: Percent,
    /// The `high-error-rate` alarm fires above this (`LAMBDA_ERROR_RATE_ALARM_PERCENT`).
    pub lambda_error_rate_alarm: Percent,
    /// API Gateway requests per day, normal range upper end (`API_REQUESTS_MAX_PER_DAY`).
    pub api_requests_max_per_day: u64,
    /// API Gateway p95 latency must stay under this; the `high-latency` alarm fires above it (`API_LATENCY_P95_MAX_MS`).
    pub api_latency_p95_max: Duration,
    /// Aurora connections must stay under this (`DB_CONNECTIONS_MAX`).
    pub db_connections_max: u32,
    /// Aurora CPU must stay under this (`DB_CPU_MAX_PERCENT`).
    pub db_cpu_max: Percent,
    /// Monthly budget per line (`BUDGETS`, JSON merged over the defaults).
    pub budgets: Budgets,
    /// Alert when a line reaches this share of its budget (`BUDGET_ALERT_RATIO`).
    pub budget_alert_ratio: Ratio,
    /// Recommended DB secret rotation interval (`SECRET_ROTATION_DAYS`).
    pub secret_rotation_recommended: Days,
    /// Latest allowed DB secret rotation interval (`SECRET_ROTATION_MAX_DAYS`).
    pub secret_rotation_max: Days,
    /// Replace the deploy user's access key this old (`KEY_ROTATE_DAYS`).
    pub key_rotation: Days,
    /// The API function's reserved concurrency (`LAMBDA_RESERVED_CONCURRENCY`).
    pub lambda_reserved_concurrency: u32,
    /// The API function's provisioned concurrency (`LAMBDA_PROVISIONED_CONCURRENCY`).
    pub lambda_provisioned_concurrency: u32,
    /// Aurora Serverless v2 minimum capacity (`DB_MIN_ACU`).
    pub db_min_capacity: Acu,
    /// Aurora Serverless v2 maximum capacity (`DB_MAX_ACU`).
    pub db_max_capacity: Acu,
    /// CloudFront default TTL (`CLOUDFRONT_TTL_SECONDS`).
    pub cloudfront_ttl: Duration,
    /// A day counts as a sudden increase above this multiple of the 7-day daily average (`SURGE_FACTOR`).
    pub surge_factor: f64,
    /// Aurora automated backups are kept this long (`DB_BACKUP_RETENTION_DAYS`).
    pub db_backup_retention: Days,
    /// Aurora's backup window, local time in `REPORT_TIMEZONE` (`DB_BACKUP_WINDOW`).
    pub db_backup_window: DailyWindow,
}

/// AWS's own limits the runbook's procedures must stay within (ops-action
/// checks every request against them before it changes anything).
pub mod limits {
    /// Aurora Serverless v2's smallest minimum offered (0 is auto-pause, not offered).
    pub const ACU_MIN: f64 = 0.5;
    /// The smallest maximum Aurora Serverless v2 accepts.
    pub const ACU_MAX_AT_LEAST: f64 = 1.0;
    /// Capacity moves in half-ACU steps.
    pub const ACU_STEP: f64 = 0.5;
    /// Lambda keeps this much of the account's concurrency unreserved.
    pub const LAMBDA_UNRESERVED_MIN: i64 = 100;
    /// CloudFront's longest TTL: one year, in seconds.
    pub const CLOUDFRONT_TTL_MAX_SECONDS: i64 = 31_536_000;
    /// Paths one CloudFront invalidation may carry.
    pub const CLOUDFRONT_INVALIDATION_PATHS_MAX: usize = 3_000;
    /// Keys one S3 DeleteObjects request may carry.
    pub const S3_DELETE_BATCH: usize = 1_000;
    /// Longest restore target cluster id, so that `<target>-instance-1` fits RDS's 63.
    pub const RESTORE_TARGET_MAX_LEN: usize = 52;
    /// Longest DB cluster snapshot id RDS accepts.
    pub const SNAPSHOT_ID_MAX_LEN: usize = 255;

    /// CloudTrail's event history: 90 days, the longest window an audit reads (hours).
    pub const CLOUDTRAIL_HISTORY_HOURS: u32 = 2160;

    /// An RDS identifier (cluster, instance, snapshot) of at most `max_len`:
    /// a letter first, then letters, digits and single hyphens, no hyphen at
    /// the end.
    pub fn rds_identifier(id: &str, max_len: usize) -> bool {
        (1..=max_len).contains(&id.len())
            && id.starts_with(|c: char| c.is_ascii_alphabetic())
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !id.contains("--")
            && !id.ends_with('-')
    }
}

/// Infix between the cluster id and the timestamp of a manual snapshot name.
pub const MANUAL_SNAPSHOT_INFIX: &str = "-manual-";
/// Timestamp of a manual snapshot name, in the report time zone (`YYYYMMDD-HHMMSS`).
pub const MANUAL_SNAPSHOT_TIME_FORMAT: &str = "%Y%m%d-%H%M%S";

impl Default for Runbook {
    fn default() -> Self {
        Runbook {
            lambda_invocations_max_per_day: 10_000,
            lambda_duration_avg_max: Duration::from_secs(1),
            lambda_error_rate_max: Percent(1.0),
            lambda_error_rate_alarm: Percent(5.0),
            api_requests_max_per_day: 10_000,
            api_latency_p95_max: Duration::from_secs(2),
            db_connections_max: 50,
            db_cpu_max: Percent(70.0),
            budgets: Budgets::runbook(),
            budget_alert_ratio: Ratio(Decimal::new(8, 1)),
            secret_rotation_recommended: Days(90),
            secret_rotation_max: Days(180),
            key_rotation: Days(90),
            lambda_reserved_concurrency: 10,
            lambda_provisioned_concurrency: 0,
            db_min_capacity: Acu(0.5),
            db_max_capacity: Acu(2.0),
            cloudfront_ttl: Duration::from_secs(86_400),
            surge_factor: 3.0,
            db_backup_retention: Days(7),
            db_backup_window: DailyWindow {
                start: chrono::NaiveTime::from_hms_opt(3, 0, 0).unwrap_or_default(),
                end: chrono::NaiveTime::from_hms_opt(4, 0, 0).unwrap_or_default(),
            },
        }
    }
}

impl Runbook {
    /// The runbook's values with the environment's overrides applied.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Runbook::default();
        let millis = |name: &str, default: Duration| -> Result<Duration, ConfigError> {
            Ok(env
                .parse::<u64>(name)?
                .map_or(default, Duration::from_millis))
        };
        let mut budgets = d.budgets.clone();
        if let Some(json) = env.get("BUDGETS") {
            budgets
                .merge_json(json)
                .map_err(|problem| ConfigError::new("BUDGETS", problem))?;
        }
        let runbook = Runbook {
            lambda_invocations_max_per_day: env.parse_or(
                "LAMBDA_INVOCATIONS_MAX_PER_DAY",
                d.lambda_invocations_max_per_day,
            )?,
            lambda_duration_avg_max: millis(
                "LAMBDA_DURATION_AVG_MAX_MS",
                d.lambda_duration_avg_max,
            )?,
            lambda_error_rate_max: env
                .parse_or("LAMBDA_ERROR_RATE_MAX_PERCENT", d.lambda_error_rate_max)?,
            lambda_error_rate_alarm: env
                .parse_or("LAMBDA_ERROR_RATE_ALARM_PERCENT", d.lambda_error_rate_alarm)?,
            api_requests_max_per_day: env
                .parse_or("API_REQUESTS_MAX_PER_DAY", d.api_requests_max_per_day)?,
            api_latency_p95_max: millis("API_LATENCY_P95_MAX_MS", d.api_latency_p95_max)?,
            db_connections_max: env.parse_or("DB_CONNECTIONS_MAX", d.db_connections_max)?,
            db_cpu_max: env.parse_or("DB_CPU_MAX_PERCENT", d.db_cpu_max)?,
            budgets,
            budget_alert_ratio: env.parse_or("BUDGET_ALERT_RATIO", d.budget_alert_ratio)?,
            secret_rotation_recommended: env
                .parse_or("SECRET_ROTATION_DAYS", d.secret_rotation_recommended)?,
            secret_rotation_max: env.parse_or("SECRET_ROTATION_MAX_DAYS", d.secret_rotation_max)?,
            key_rotation: env.parse_or("KEY_ROTATE_DAYS", d.key_rotation)?,
            lambda_reserved_concurrency: env
                .parse_or("LAMBDA_RESERVED_CONCURRENCY", d.lambda_reserved_concurrency)?,
            lambda_provisioned_concurrency: env.parse_or(
                "LAMBDA_PROVISIONED_CONCURRENCY",
                d.lambda_provisioned_concurrency,
            )?,
            db_min_capacity: env.parse_or("DB_MIN_ACU", d.db_min_capacity)?,
            db_max_capacity: env.parse_or("DB_MAX_ACU", d.db_max_capacity)?,
            cloudfront_ttl: env
                .parse::<u64>("CLOUDFRONT_TTL_SECONDS")?
                .map_or(d.cloudfront_ttl, Duration::from_secs),
            surge_factor: env.parse_or("SURGE_FACTOR", d.surge_factor)?,
            db_backup_retention: env.parse_or("DB_BACKUP_RETENTION_DAYS", d.db_backup_retention)?,
            db_backup_window: env.parse_or("DB_BACKUP_WINDOW", d.db_backup_window)?,
        };
        runbook.validate()
    }

    fn validate(self) -> Result<Self, ConfigError> {
        if self.db_min_capacity > self.db_max_capacity {
            return Err(ConfigError::new(
                "DB_MIN_ACU",
                format!(
                    "{} is above DB_MAX_ACU {}",
                    self.db_min_capacity, self.db_max_capacity
                ),
            ));
        }
        if self.secret_rotation_recommended > self.secret_rotation_max {
            return Err(ConfigError::new(
                "SECRET_ROTATION_DAYS",
                "must not exceed SECRET_ROTATION_MAX_DAYS",
            ));
        }
        if self.key_rotation.0 == 0 {
            return Err(ConfigError::new("KEY_ROTATE_DAYS", "must be at least 1"));
        }
        if !(self.surge_factor.is_finite() && self.surge_factor > 1.0) {
            return Err(ConfigError::new(
                "SURGE_FACTOR",
                "expected a number greater than 1",
            ));
        }
        Ok(self)
    }

    /// The manual snapshot id prefix for `cluster` (`<cluster>-manual-`).
    pub fn manual_snapshot_prefix(cluster: &str) -> String {
        format!("{cluster}{MANUAL_SNAPSHOT_INFIX}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_runbook_values() {
        let r = Runbook::default();
        assert_eq!(r.lambda_invocations_max_per_day, 10_000);
        assert_eq!(r.lambda_duration_avg_max, Duration::from_secs(1));
        assert_eq!(r.lambda_error_rate_max.value(), 1.0);
        assert_eq!(r.lambda_error_rate_alarm.value(), 5.0);
        assert_eq!(r.api_requests_max_per_day, 10_000);
        assert_eq!(r.api_latency_p95_max, Duration::from_secs(2));
        assert_eq!(r.db_connections_max, 50);
        assert_eq!(r.db_cpu_max.value(), 70.0);
        let budget = |line| r.budgets.get(line).unwrap().0;
        assert_eq!(budget(BudgetLine::Lambda), Decimal::from(5));
        assert_eq!(budget(BudgetLine::Aurora), Decimal::from(10));
        assert_eq!(budget(BudgetLine::S3), Decimal::from(1));
        assert_eq!(budget(BudgetLine::Cloudfront), Decimal::from(1));
        assert_eq!(budget(BudgetLine::ApiGateway), Decimal::from(1));
        assert_eq!(budget(BudgetLine::Total), Decimal::from(18));
        assert_eq!(r.budgets.get(BudgetLine::Other), None);
        assert_eq!(r.budget_alert_ratio.value(), Decimal::new(8, 1));
        assert_eq!(r.secret_rotation_recommended, Days(90));
        assert_eq!(r.secret_rotation_max, Days(180));
        assert_eq!(r.key_rotation, Days(90));
        assert_eq!(r.lambda_reserved_concurrency, 10);
        assert_eq!(r.lambda_provisioned_concurrency, 0);
        assert_eq!(r.db_min_capacity.value(), 0.5);
        assert_eq!(r.db_max_capacity.value(), 2.0);
        assert_eq!(r.cloudfront_ttl, Duration::from_secs(86_400));
        assert_eq!(r.surge_factor, 3.0);
        assert_eq!(r.db_backup_retention, Days(7));
        assert_eq!(r.db_backup_window.to_string(), "03:00-04:00");
        assert_eq!(
            Runbook::manual_snapshot_prefix("goal-mandala-production"),
            "goal-mandala-production-manual-"
        );
    }

    #[test]
    fn an_empty_environment_gives_the_runbook() {
        assert_eq!(
            Runbook::from_env(&Env::default()).unwrap(),
            Runbook::default()
        );
    }

    #[test]
    fn overrides_replace_single_values() {
        let env = Env::from_pairs([
            ("DB_CONNECTIONS_MAX", "80"),
            ("API_LATENCY_P95_MAX_MS", "1500"),
            ("DB_MAX_ACU", "4"),
            ("BUDGET_ALERT_RATIO", "0.9"),
        ]);
        let r = Runbook::from_env(&env).unwrap();
        assert_eq!(r.db_connections_max, 80);
        assert_eq!(r.api_latency_p95_max, Duration::from_millis(1500));
        assert_eq!(r.db_max_capacity.value(), 4.0);
        assert_eq!(r.budget_alert_ratio.value(), Decimal::new(9, 1));
        assert_eq!(r.db_cpu_max.value(), 70.0);
    }

    #[test]
    fn budgets_json_merges_over_the_defaults() {
        let env = Env::from_pairs([("BUDGETS", r#"{"aurora": 12.5, "other": 2}"#)]);
        let r = Runbook::from_env(&env).unwrap();
        assert_eq!(
            r.budgets.get(BudgetLine::Aurora),
            Some(Usd(Decimal::new(125, 1)))
        );
        assert_eq!(r.budgets.get(BudgetLine::Other), Some(Usd::dollars(2)));
        assert_eq!(r.budgets.get(BudgetLine::Lambda), Some(Usd::dollars(5)));
    }

    #[test]
    fn invalid_overrides_name_the_variable() {
        let cases = [
            ("BUDGETS", r#"{"ec2": 3}"#),
            ("BUDGETS", "not json"),
            ("DB_CPU_MAX_PERCENT", "140"),
            ("DB_MAX_ACU", "0.7"),
            ("DB_MIN_ACU", "4"),
            ("BUDGET_ALERT_RATIO", "80"),
            ("DB_CONNECTIONS_MAX", "-1"),
            ("SURGE_FACTOR", "0.5"),
            ("KEY_ROTATE_DAYS", "0"),
            ("DB_BACKUP_WINDOW", "3am"),
            ("DB_BACKUP_RETENTION_DAYS", "a week"),
        ];
        for (variable, value) in cases {
            let err = Runbook::from_env(&Env::from_pairs([(variable, value)])).unwrap_err();
            assert_eq!(err.variable, variable, "{value}: {err}");
        }
    }

    #[test]
    fn usd_displays_cents() {
        assert_eq!(Usd(Decimal::new(1234, 3)).to_string(), "$1.23");
        assert_eq!(Usd::dollars(18).to_string(), "$18.00");
    }
}
