//! Configuration from the environment, read once at start-up (ARCHITECTURE §3).
//!
//! Every default resource name derives from `SYSTEM_NAME`; each can be
//! overridden on its own. A bad value fails start-up with one line naming
//! the variable — never a panic, never a silent default.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;

use chrono_tz::Tz;

use crate::lang::Lang;
use crate::runbook::Runbook;

/// A configuration value that could not be used, naming its variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: String,
    /// What is wrong with it, and what was expected.
    pub problem: String,
}

impl ConfigError {
    /// A problem with `variable`.
    pub fn new(variable: impl Into<String>, problem: impl Into<String>) -> Self {
        ConfigError {
            variable: variable.into(),
            problem: problem.into(),
        }
    }
}

/// Returns the loaded configuration, or logs the one line naming the bad
/// variable and ends the process before it takes its first event
/// (ARCHITECTURE §3: invalid configuration never reaches a handler).
pub fn load_or_exit<T>(loaded: Result<T, ConfigError>) -> T {
    match loaded {
        Ok(config) => config,
        Err(err) => {
            tracing::error!(variable = %err.variable, "invalid configuration: {err}");
            std::process::exit(2)
        }
    }
}

/// The variables configuration is read from: the process environment in
/// Lambda, an explicit map in tests (so parallel tests never share state).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// A snapshot of the process environment.
    pub fn from_process() -> Self {
        Env {
            vars: std::env::vars().collect(),
        }
    }

    /// An environment made of the given pairs only.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Sets one variable (for tests and tools that build an environment).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    /// The trimmed value of `name`; empty counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Whether `name` is set at all, even to an empty value (for a variable
    /// whose empty value means "off" rather than "the default").
    pub fn is_present(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// `name` parsed as `T`, or `default` when unset.
    pub fn parse_or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        Ok(self.parse(name)?.unwrap_or(default))
    }

    /// `name` parsed as `T`, or `None` when unset.
    pub fn parse<T>(&self, name: &str) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.get(name)
            .map(|raw| {
                raw.parse::<T>()
                    .map_err(|e| ConfigError::new(name, format!("`{}`: {e}", shorten(raw))))
            })
            .transpose()
    }

    /// A boolean that accepts exactly `true` or `false` (any case).
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => parse_bool(raw).ok_or_else(|| {
                ConfigError::new(
                    name,
                    format!("expected `true` or `false`, got `{}`", shorten(raw)),
                )
            }),
        }
    }

    /// A comma-separated list of IAM user names (spaces around entries
    /// ignored), or `default` when unset; empty or malformed is an error.
    pub fn iam_users(&self, name: &str, default: &str) -> Result<Vec<String>, ConfigError> {
        let users: Vec<String> = self
            .string_or(name, default)
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        if users.is_empty() || !users.iter().all(|u| valid_iam_user_name(u)) {
            return Err(ConfigError::new(
                name,
                "expected comma-separated IAM user names (letters, digits, +=,.@_-)",
            ));
        }
        Ok(users)
    }

    /// A string, or `default` when unset.
    pub fn string_or(&self, name: &str, default: impl Into<String>) -> String {
        self.get(name).map_or_else(|| default.into(), str::to_owned)
    }
}

/// The runbook's deploy user (`ROTATE_USERS`, `AUDIT_WATCH_USERS` default).
pub const DEFAULT_DEPLOY_USER: &str = "github-actions-deploy";

/// Whether `name` is a valid IAM user name (1–64 of letters, digits and `+=,.@_-`).
pub fn valid_iam_user_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Keeps error lines to one readable line even for a pasted blob.
fn shorten(raw: &str) -> String {
    const MAX: usize = 60;
    if raw.chars().count() <= MAX {
        raw.to_owned()
    } else {
        let cut: String = raw.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// An SNS topic ARN, checked for shape at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicArn(String);

impl TopicArn {
    /// The ARN as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for TopicArn {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(':').collect();
        let well_formed = parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[2] == "sns"
            && !parts[3].is_empty()
            && parts[4].len() == 12
            && parts[4].bytes().all(|b| b.is_ascii_digit())
            && !parts[5].is_empty()
            && parts[5]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if well_formed {
            Ok(TopicArn(s.to_owned()))
        } else {
            Err(
                "expected an SNS topic ARN like arn:aws:sns:ap-northeast-1:123456789012:name"
                    .into(),
            )
        }
    }
}

/// The settings every function shares (ARCHITECTURE §3 table).
#[derive(Debug, Clone)]
pub struct Config {
    /// `SYSTEM_NAME`: prefix of every default resource name.
    pub system_name: String,
    /// `NOTIFY_TOPIC_ARN`: where reports go (required where a function notifies).
    pub notify_topic_arn: Option<TopicArn>,
    /// `REPORT_LANG`.
    pub lang: Lang,
    /// `REPORT_TIMEZONE`: zone for times shown to people and snapshot names.
    pub timezone: Tz,
    /// `DRY_RUN`: change nothing, report what would be done.
    pub dry_run: bool,
    /// `DB_CLUSTER_ID`.
    pub db_cluster_id: String,
    /// `DB_SECRET_ID`.
    pub db_secret_id: String,
    /// `API_FUNCTION_NAME`.
    pub api_function_name: String,
    /// `API_LOG_GROUP`.
    pub api_log_group: String,
    /// `API_GATEWAY_NAME`.
    pub api_gateway_name: String,
    /// `FRONTEND_BUCKET` (optional).
    pub frontend_bucket: Option<String>,
    /// `BACKUP_BUCKET` (optional).
    pub backup_bucket: Option<String>,
    /// The runbook's thresholds, with any overrides.
    pub runbook: Runbook,
}

/// The production system's name, the default `SYSTEM_NAME`.
pub const DEFAULT_SYSTEM_NAME: &str = "goal-mandala-production";
/// The runbook's DB credentials secret, the default `DB_SECRET_ID`.
pub const DEFAULT_DB_SECRET_ID: &str = "goal-mandala/production/database";
/// The default `REPORT_TIMEZONE`.
pub const DEFAULT_TIMEZONE: &str = "Asia/Tokyo";

impl Config {
    /// Reads the shared settings from `env`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let system_name = env.string_or("SYSTEM_NAME", DEFAULT_SYSTEM_NAME);
        if !system_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(ConfigError::new(
                "SYSTEM_NAME",
                "expected letters, digits and hyphens only",
            ));
        }
        let db_cluster_id = env.string_or("DB_CLUSTER_ID", system_name.clone());
        let api_function_name = env.string_or("API_FUNCTION_NAME", format!("{system_name}-api"));
        Ok(Config {
            notify_topic_arn: env.parse("NOTIFY_TOPIC_ARN")?,
            lang: env.parse_or("REPORT_LANG", Lang::Ja)?,
            timezone: env
                .parse::<Tz>("REPORT_TIMEZONE")?
                .unwrap_or(chrono_tz::Asia::Tokyo),
            dry_run: env.flag("DRY_RUN", false)?,
            db_secret_id: env.string_or("DB_SECRET_ID", DEFAULT_DB_SECRET_ID),
            api_log_group: env
                .string_or("API_LOG_GROUP", format!("/aws/lambda/{api_function_name}")),
            api_gateway_name: env.string_or("API_GATEWAY_NAME", system_name.clone()),
            frontend_bucket: env.get("FRONTEND_BUCKET").map(str::to_owned),
            backup_bucket: env.get("BACKUP_BUCKET").map(str::to_owned),
            runbook: Runbook::from_env(env)?,
            db_cluster_id,
            api_function_name,
            system_name,
        })
    }

    /// The notification topic, or a configuration error for a function that must notify.
    pub fn require_topic(&self) -> Result<&TopicArn, ConfigError> {
        self.notify_topic_arn.as_ref().ok_or_else(|| {
            ConfigError::new(
                "NOTIFY_TOPIC_ARN",
                "required: the SNS topic that receives reports",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_derive_every_name_from_system_name() {
        let config = Config::from_env(&Env::from_pairs([("SYSTEM_NAME", "demo-app")])).unwrap();
        assert_eq!(config.db_cluster_id, "demo-app");
        assert_eq!(config.api_function_name, "demo-app-api");
        assert_eq!(config.api_log_group, "/aws/lambda/demo-app-api");
        assert_eq!(config.api_gateway_name, "demo-app");
        assert_eq!(config.db_secret_id, DEFAULT_DB_SECRET_ID);
        assert_eq!(config.lang, Lang::Ja);
        assert_eq!(config.timezone, chrono_tz::Asia::Tokyo);
        assert!(!config.dry_run);
        assert_eq!(config.frontend_bucket, None);
    }

    #[test]
    fn production_defaults_match_the_runbook_names() {
        let config = Config::from_env(&Env::default()).unwrap();
        assert_eq!(config.system_name, "goal-mandala-production");
        assert_eq!(config.db_cluster_id, "goal-mandala-production");
        assert_eq!(
            config.api_log_group,
            "/aws/lambda/goal-mandala-production-api"
        );
    }

    #[test]
    fn each_resource_name_can_be_overridden() {
        let env = Env::from_pairs([
            ("DB_CLUSTER_ID", "other-cluster"),
            ("API_LOG_GROUP", "/custom/group"),
            ("FRONTEND_BUCKET", "front"),
        ]);
        let config = Config::from_env(&env).unwrap();
        assert_eq!(config.db_cluster_id, "other-cluster");
        assert_eq!(config.api_log_group, "/custom/group");
        assert_eq!(config.frontend_bucket.as_deref(), Some("front"));
    }

    #[test]
    fn bad_values_name_their_variable() {
        let cases = [
            ("REPORT_LANG", "fr"),
            ("REPORT_TIMEZONE", "Mars/Olympus"),
            ("DRY_RUN", "yes"),
            (
                "NOTIFY_TOPIC_ARN",
                "arn:aws:sqs:ap-northeast-1:123456789012:q",
            ),
            ("SYSTEM_NAME", "bad name"),
        ];
        for (variable, value) in cases {
            let err = Config::from_env(&Env::from_pairs([(variable, value)])).unwrap_err();
            assert_eq!(err.variable, variable, "{err}");
            assert!(err.to_string().starts_with(variable), "{err}");
            assert!(!err.to_string().contains('\n'));
        }
    }

    #[test]
    fn a_well_formed_topic_arn_is_accepted() {
        let arn = "arn:aws:sns:ap-northeast-1:123456789012:goal-mandala-ops";
        let config = Config::from_env(&Env::from_pairs([("NOTIFY_TOPIC_ARN", arn)])).unwrap();
        assert_eq!(config.require_topic().unwrap().as_str(), arn);
    }

    #[test]
    fn a_missing_topic_is_a_config_error_only_when_required() {
        let config = Config::from_env(&Env::default()).unwrap();
        assert_eq!(
            config.require_topic().unwrap_err().variable,
            "NOTIFY_TOPIC_ARN"
        );
    }

    #[test]
    fn iam_user_lists_trim_and_refuse_bad_names() {
        let env = Env::from_pairs([("USERS", " deploy-a, deploy-b ,")]);
        assert_eq!(
            env.iam_users("USERS", "x").unwrap(),
            ["deploy-a", "deploy-b"]
        );
        assert_eq!(
            Env::default()
                .iam_users("USERS", DEFAULT_DEPLOY_USER)
                .unwrap(),
            [DEFAULT_DEPLOY_USER]
        );
        for bad in [",", "bad user", &"x".repeat(65)] {
            let env = Env::from_pairs([("USERS", bad)]);
            assert_eq!(env.iam_users("USERS", "x").unwrap_err().variable, "USERS");
        }
    }

    #[test]
    fn dry_run_accepts_only_true_or_false() {
        for (raw, expected) in [("true", true), ("FALSE", false), ("True", true)] {
            let config = Config::from_env(&Env::from_pairs([("DRY_RUN", raw)])).unwrap();
            assert_eq!(config.dry_run, expected);
        }
    }
}
