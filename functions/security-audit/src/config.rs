//! security-audit's settings: the shared ones plus the audit's rules.

use std::str::FromStr;

use ipnet::IpNet;
use shared::config::DEFAULT_DEPLOY_USER;
use shared::{Config, ConfigError, Env};

use crate::rules::NightHours;

/// The destructive calls watched by default (ARCHITECTURE §4).
pub const DEFAULT_DESTRUCTIVE_EVENTS: &str =
    "DeleteDBCluster,DeleteDBInstance,StopLogging,DeleteTrail";

/// The IAM calls that grant access or create credentials, watched by
/// default (`cloudtrail-iam-change`).
pub const DEFAULT_IAM_CHANGE_EVENTS: &str = "CreateUser,CreateAccessKey,CreateLoginProfile,UpdateLoginProfile,AttachUserPolicy,PutUserPolicy,AddUserToGroup,AttachGroupPolicy,PutGroupPolicy,AttachRolePolicy,PutRolePolicy,UpdateAssumeRolePolicy,DeactivateMFADevice,DeleteVirtualMFADevice";

/// Where CloudTrail keeps the events of the global services (IAM, STS's
/// global endpoint, AWS sign-in, CloudFront): their event history exists only
/// in us-east-1 (CloudTrail user guide, "global service events").
pub const DEFAULT_GLOBAL_REGION: &str = "us-east-1";

/// The longest window a review reads: 90 days, CloudTrail's event history.
pub const LOOKBACK_HOURS_MAX: u32 = shared::runbook::limits::CLOUDTRAIL_HISTORY_HOURS;

/// Settings of an audit, read once at start-up.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// The settings every function shares.
    pub common: Config,
    /// `AUDIT_WATCH_USERS` (`github-actions-deploy`): whose calls at night are flagged.
    pub watch_users: Vec<String>,
    /// `AUDIT_NIGHT_HOURS` (`0-6`), in `REPORT_TIMEZONE`.
    pub night: NightHours,
    /// `AUDIT_DELETE_BURST` (10): more `Delete*` calls than this in 60 minutes is a burst.
    pub delete_burst: u32,
    /// `AUDIT_ALLOWED_CIDRS`: where calls may come from; `None` when unset (not checked).
    pub allowed_cidrs: Option<Vec<IpNet>>,
    /// `AUDIT_AUTO_CONTAIN` (false): deactivate the keys of an offender.
    pub auto_contain: bool,
    /// `AUDIT_KEY_UNUSED_DAYS` (90): an active key unused longer is flagged.
    pub key_unused_days: u32,
    /// `AUDIT_LOOKBACK_HOURS` (24): the daily review's window.
    pub lookback_hours: u32,
    /// `AUDIT_DESTRUCTIVE_EVENTS`: event names that are destructive calls.
    pub destructive_events: Vec<String>,
    /// `AUDIT_GLOBAL_REGION` (`us-east-1`; empty = off): the daily review's
    /// second scan, for the global services' events.
    pub global_region: Option<String>,
    /// `AUDIT_IAM_CHANGE_EVENTS`: IAM calls that grant access or create credentials.
    pub iam_change_events: Vec<String>,
    /// `AUDIT_TRUSTED_PRINCIPALS`: role or user names or ARNs whose IAM
    /// changes are expected (rotate-access-keys' role).
    pub trusted_principals: Vec<String>,
    /// `AUDIT_SUPPRESS`: accepted findings, each with a reason and an end date.
    pub suppressions: Vec<crate::suppress::Suppression>,
}

impl AuditConfig {
    /// Reads the settings from `env`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = Config::from_env(env)?;
        common.require_topic()?;
        let delete_burst: u32 = env.parse_or("AUDIT_DELETE_BURST", 10)?;
        if delete_burst == 0 {
            return Err(ConfigError::new(
                "AUDIT_DELETE_BURST",
                "expected an integer of at least 1",
            ));
        }
        let key_unused_days: u32 = env.parse_or("AUDIT_KEY_UNUSED_DAYS", 90)?;
        if key_unused_days == 0 {
            return Err(ConfigError::new(
                "AUDIT_KEY_UNUSED_DAYS",
                "expected an integer of at least 1",
            ));
        }
        let lookback_hours: u32 = env.parse_or("AUDIT_LOOKBACK_HOURS", 24)?;
        if !(1..=LOOKBACK_HOURS_MAX).contains(&lookback_hours) {
            return Err(ConfigError::new(
                "AUDIT_LOOKBACK_HOURS",
                format!("expected 1–{LOOKBACK_HOURS_MAX} hours"),
            ));
        }
        let destructive_events = event_names(
            env,
            "AUDIT_DESTRUCTIVE_EVENTS",
            DEFAULT_DESTRUCTIVE_EVENTS,
            "DeleteDBCluster,StopLogging",
        )?;
        let iam_change_events = event_names(
            env,
            "AUDIT_IAM_CHANGE_EVENTS",
            DEFAULT_IAM_CHANGE_EVENTS,
            "CreateAccessKey,AttachUserPolicy",
        )?;
        Ok(AuditConfig {
            watch_users: env.iam_users("AUDIT_WATCH_USERS", DEFAULT_DEPLOY_USER)?,
            night: env.parse_or("AUDIT_NIGHT_HOURS", NightHours { start: 0, end: 6 })?,
            delete_burst,
            allowed_cidrs: parse_cidrs(env)?,
            auto_contain: env.flag("AUDIT_AUTO_CONTAIN", false)?,
            key_unused_days,
            lookback_hours,
            destructive_events,
            global_region: parse_region(env)?,
            iam_change_events,
            trusted_principals: parse_principals(env)?,
            suppressions: crate::suppress::parse(env.get("AUDIT_SUPPRESS"))?,
            common,
        })
    }
}

/// A comma list of API event names (`DeleteDBCluster`), `default` when unset.
fn event_names(
    env: &Env,
    variable: &str,
    default: &str,
    example: &str,
) -> Result<Vec<String>, ConfigError> {
    let names: Vec<String> = env
        .string_or(variable, default)
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect();
    let valid = |e: &String| {
        e.len() <= 128
            && e.starts_with(|c: char| c.is_ascii_uppercase())
            && e.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    if names.is_empty() || !names.iter().all(valid) {
        return Err(ConfigError::new(
            variable,
            format!("expected comma-separated API event names like {example}"),
        ));
    }
    Ok(names)
}

/// `AUDIT_TRUSTED_PRINCIPALS`: role or user names (`rotate-access-keys-role`)
/// or their ARNs, comma-separated; empty = none.
fn parse_principals(env: &Env) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = env.get("AUDIT_TRUSTED_PRINCIPALS") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let name = match entry.strip_prefix("arn:") {
            Some(rest) => {
                let resource = rest.splitn(5, ':').nth(4).unwrap_or_default();
                resource
                    .strip_prefix("role/")
                    .or_else(|| resource.strip_prefix("user/"))
                    .and_then(|path| path.rsplit('/').next())
                    .unwrap_or_default()
            }
            None => entry,
        };
        if !shared::config::valid_iam_user_name(name) {
            let shown: String = entry.chars().take(60).collect();
            return Err(ConfigError::new(
                "AUDIT_TRUSTED_PRINCIPALS",
                format!(
                    "`{shown}` is not a role or user name, or its ARN (arn:aws:iam::123456789012:role/NAME)"
                ),
            ));
        }
        out.push(name.to_owned());
    }
    Ok(out)
}

/// `AUDIT_GLOBAL_REGION`: a Region code like `us-east-1`; empty turns the
/// second scan off.
fn parse_region(env: &Env) -> Result<Option<String>, ConfigError> {
    let region = match env.get("AUDIT_GLOBAL_REGION") {
        Some(region) => region,
        None if env.is_present("AUDIT_GLOBAL_REGION") => return Ok(None),
        None => DEFAULT_GLOBAL_REGION,
    };
    let parts: Vec<&str> = region.split('-').collect();
    let valid = region.len() <= 32
        && parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if valid {
        Ok(Some(region.to_owned()))
    } else {
        let shown: String = region.chars().take(40).collect();
        Err(ConfigError::new(
            "AUDIT_GLOBAL_REGION",
            format!(
                "`{shown}` is not a Region code like us-east-1 (empty turns the second scan off)"
            ),
        ))
    }
}

/// `AUDIT_ALLOWED_CIDRS`: comma-separated IPv4/IPv6 CIDRs (spaces around
/// entries ignored); one malformed entry makes the whole setting invalid.
fn parse_cidrs(env: &Env) -> Result<Option<Vec<IpNet>>, ConfigError> {
    let Some(raw) = env.get("AUDIT_ALLOWED_CIDRS") else {
        return Ok(None);
    };
    let mut nets = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let net = IpNet::from_str(entry).map_err(|_| {
            let shown: String = entry.chars().take(60).collect();
            ConfigError::new(
                "AUDIT_ALLOWED_CIDRS",
                format!("`{shown}` is not a CIDR like 203.0.113.0/24 or 2001:db8::/32 (one address: 203.0.113.9/32)"),
            )
        })?;
        nets.push(net);
    }
    Ok((!nets.is_empty()).then_some(nets))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC: (&str, &str) = (
        "NOTIFY_TOPIC_ARN",
        "arn:aws:sns:ap-northeast-1:123456789012:ops",
    );

    #[test]
    fn defaults_are_the_designs() {
        let c = AuditConfig::from_env(&Env::from_pairs([TOPIC])).unwrap();
        assert_eq!(c.watch_users, ["github-actions-deploy"]);
        assert_eq!(c.night, NightHours { start: 0, end: 6 });
        assert_eq!(
            (c.delete_burst, c.key_unused_days, c.lookback_hours),
            (10, 90, 24)
        );
        assert_eq!(c.allowed_cidrs, None);
        assert!(!c.auto_contain);
        assert_eq!(c.global_region.as_deref(), Some("us-east-1"));
        assert_eq!(c.iam_change_events.len(), 14);
        assert!(
            c.iam_change_events
                .iter()
                .any(|e| e == "DeleteVirtualMFADevice")
        );
        assert!(c.trusted_principals.is_empty());
        assert_eq!(
            c.destructive_events,
            [
                "DeleteDBCluster",
                "DeleteDBInstance",
                "StopLogging",
                "DeleteTrail"
            ]
        );
    }

    #[test]
    fn cidr_lists_take_ipv4_and_ipv6_with_spaces() {
        let c = AuditConfig::from_env(&Env::from_pairs([
            TOPIC,
            (
                "AUDIT_ALLOWED_CIDRS",
                " 203.0.113.0/24 , 2001:db8::/32,10.0.0.1/32 ",
            ),
        ]))
        .unwrap();
        let nets = c.allowed_cidrs.unwrap();
        assert_eq!(nets.len(), 3);
        assert_eq!(nets[1].to_string(), "2001:db8::/32");
        let c = AuditConfig::from_env(&Env::from_pairs([TOPIC, ("AUDIT_ALLOWED_CIDRS", " , ")]))
            .unwrap();
        assert_eq!(c.allowed_cidrs, None, "empty is unset");
    }

    #[test]
    fn trusted_principals_are_names_or_arns_read_as_names() {
        let c = AuditConfig::from_env(&Env::from_pairs([
            TOPIC,
            (
                "AUDIT_TRUSTED_PRINCIPALS",
                "arn:aws:iam::123456789012:role/service-role/goal-mandala-production-rotate-access-keys-role, ops-bot",
            ),
        ]))
        .unwrap();
        assert_eq!(
            c.trusted_principals,
            ["goal-mandala-production-rotate-access-keys-role", "ops-bot"]
        );
    }

    #[test]
    fn the_global_region_is_a_region_code_or_off() {
        let region = |v: &str| {
            AuditConfig::from_env(&Env::from_pairs([TOPIC, ("AUDIT_GLOBAL_REGION", v)]))
                .unwrap()
                .global_region
        };
        assert_eq!(region("ap-northeast-1").as_deref(), Some("ap-northeast-1"));
        assert_eq!(region("us-gov-west-1").as_deref(), Some("us-gov-west-1"));
        assert_eq!(region(""), None);
        assert_eq!(region("  "), None);
    }

    #[test]
    fn bad_values_fail_at_start_up_naming_the_variable() {
        let misnamed = shared::testing::bad_values_not_naming_their_variable(
            &[TOPIC],
            &[
                ("AUDIT_ALLOWED_CIDRS", "10.0.0.0/33"),
                ("AUDIT_ALLOWED_CIDRS", "203.0.113.0/24,not-a-cidr"),
                ("AUDIT_ALLOWED_CIDRS", "10.0.0.1"),
                ("AUDIT_NIGHT_HOURS", "25-3"),
                ("AUDIT_NIGHT_HOURS", "0-24"),
                ("AUDIT_NIGHT_HOURS", "night"),
                ("AUDIT_NIGHT_HOURS", "6"),
                ("AUDIT_DELETE_BURST", "0"),
                ("AUDIT_DELETE_BURST", "ten"),
                ("AUDIT_KEY_UNUSED_DAYS", "0"),
                ("AUDIT_LOOKBACK_HOURS", "0"),
                ("AUDIT_LOOKBACK_HOURS", "2161"),
                ("AUDIT_AUTO_CONTAIN", "yes"),
                ("AUDIT_WATCH_USERS", "bad user"),
                ("AUDIT_DESTRUCTIVE_EVENTS", "Delete DB"),
                ("AUDIT_IAM_CHANGE_EVENTS", "iam:CreateUser"),
                ("AUDIT_TRUSTED_PRINCIPALS", "has space"),
                (
                    "AUDIT_TRUSTED_PRINCIPALS",
                    "arn:aws:iam::123456789012:policy/x",
                ),
                ("AUDIT_SUPPRESS", "[{\"check\": \"cloudtrail-source-ip\"}]"),
                ("AUDIT_GLOBAL_REGION", "US-EAST-1"),
                ("AUDIT_GLOBAL_REGION", "us-east"),
                ("AUDIT_GLOBAL_REGION", "global"),
            ],
            AuditConfig::from_env,
        );
        assert!(misnamed.is_empty(), "{misnamed:#?}");
    }
}
