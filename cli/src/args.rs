//! The command line: one command per by-hand run of the runbook, each flag
//! typed, so a typo or a wrong type is a usage error before anything is sent.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Tz;
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use shared::Lang;
use shared::runbook::limits;

/// gmops — goal-mandala-ops の手動実行（by-hand runs of the goal-mandala-ops functions).
///
/// Each command invokes one function with the payload the runbook documents
/// and prints its report as the team reads it in the e-mail. Exit status: 0
/// info, 1 warning, 2 critical, 3 the function returned an error, 4 it could
/// not be invoked, 64 a usage error.
#[derive(Debug, Parser)]
#[command(name = "gmops", version, max_term_width = 100)]
pub struct Cli {
    /// What every command takes.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options of every command: the run (dry run, time), the output and the target.
#[derive(Debug, Args)]
pub struct Global {
    /// Plan only: the function changes nothing (`"dry_run": true`).
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// The run's "now" (RFC 3339, e.g. 2026-12-01T09:00:00+09:00): replays a day.
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_at)]
    pub at: Option<DateTime<FixedOffset>>,
    /// Print the function's response exactly (JSON), not the readable report.
    #[arg(long, global = true)]
    pub json: bool,
    /// Language of gmops's own words and the report's headings (the findings
    /// are written in the function's REPORT_LANG).
    #[arg(long, global = true, env = "REPORT_LANG", default_value = "ja", value_parser = parse_lang)]
    pub lang: Lang,
    /// Time zone the report's times are shown in.
    #[arg(long, global = true, env = "REPORT_TIMEZONE", default_value = "Asia/Tokyo", value_parser = parse_timezone)]
    pub timezone: Tz,
    /// The deployed stack: functions are named `<system>-<function>`.
    #[arg(
        long,
        global = true,
        env = "SYSTEM_NAME",
        default_value = "goal-mandala-production"
    )]
    pub system: String,
    /// A local Lambda invoke endpoint (e.g. `cargo lambda watch`), where a
    /// function is invoked by its own name.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "AWS_ENDPOINT_URL_LAMBDA"
    )]
    pub endpoint: Option<String>,
    /// The AWS named profile (else the SDK's usual chain: AWS_PROFILE, environment, …).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// The AWS Region (else the profile's or AWS_REGION).
    #[arg(long, global = true)]
    pub region: Option<String>,
}

/// One by-hand run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// nightly-snapshot: take a manual DB snapshot now (e.g. before a deploy).
    Snapshot {
        /// Why (becomes the snapshot's `reason` tag), e.g. pre-deploy.
        #[arg(long)]
        reason: Option<String>,
    },
    /// daily-health: the health digest of a day (default yesterday in REPORT_TIMEZONE).
    Health {
        /// The day, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    /// security-audit: review the last hours of CloudTrail and the IAM users.
    Audit {
        /// Hours to look back (1–2160: CloudTrail keeps 90 days).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(limits::CLOUDTRAIL_HISTORY_HOURS)))]
        lookback_hours: Option<u32>,
    },
    /// budget-alert: the month's costs against the budget (default this month).
    Budget {
        /// The billing month, YYYY-MM.
        #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
        month: Option<String>,
    },
    /// rotate-access-keys: the IAM access-key rotation, now.
    Keys {
        /// Only this IAM user (repeat for more; default ROTATE_USERS).
        #[arg(long = "user", value_name = "USER", value_parser = parse_user)]
        users: Vec<String>,
        /// Rotate now whatever the keys' age (`force_rotate`).
        #[arg(long)]
        force: bool,
    },
    /// alarm-triage: triage a saved alarm event again.
    Triage {
        /// The event (EventBridge, SNS or alarm-action JSON) to replay.
        #[arg(long, value_name = "FILE")]
        replay: PathBuf,
    },
    /// restore-drill: restore a snapshot to a drill cluster, log in, check, delete
    /// (it continues itself; its report follows when it is done).
    Drill {
        /// The cluster snapshot (default the newest available manual one).
        #[arg(long, value_name = "SNAPSHOT_ID")]
        snapshot: Option<String>,
    },
    /// ops-action: a runbook procedure — the plan is shown, then confirmed.
    Ops {
        /// Confirm without asking (for scripts).
        #[arg(long, global = true)]
        yes: bool,
        /// The action and its fields.
        #[command(subcommand)]
        action: OpsAction,
    },
    /// Any function with any payload.
    Invoke {
        /// The function (its own name, e.g. daily-health; any other name or ARN as given).
        function: String,
        /// The payload: JSON, or @FILE (default `{}`).
        #[arg(long, value_name = "JSON|@FILE")]
        payload: Option<String>,
    },
    /// Print the shell completion script (e.g. `gmops completions bash > /etc/bash_completion.d/gmops`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// The runbook's by-hand procedures (ops-action), each field a typed flag.
#[derive(Debug, Subcommand)]
pub enum OpsAction {
    /// Reserved concurrency of a function (runbook: 10 for the API).
    SetLambdaConcurrency {
        /// The function (default the API function).
        #[arg(long)]
        function: Option<String>,
        /// The new reserved concurrency.
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
        reserved: u32,
    },
    /// Provisioned concurrency of an alias or published version (0 removes it).
    SetProvisionedConcurrency {
        /// The function (default the API function).
        #[arg(long)]
        function: Option<String>,
        /// An alias or published version, never $LATEST.
        #[arg(long)]
        qualifier: String,
        /// The new count.
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
        count: u32,
    },
    /// Aurora Serverless v2 capacity in ACUs (runbook: 0.5–2); give one or both.
    #[command(group(ArgGroup::new("capacity").required(true).multiple(true).args(["min", "max"])))]
    SetDbCapacity {
        /// New minimum ACU (a multiple of 0.5, at least 0.5).
        #[arg(long, value_parser = parse_acu)]
        min: Option<f64>,
        /// New maximum ACU (a multiple of 0.5, 1–256).
        #[arg(long, value_parser = parse_acu)]
        max: Option<f64>,
    },
    /// Restore a cluster snapshot to a new cluster (never overwrites one).
    RestoreDbSnapshot {
        /// The cluster snapshot id.
        #[arg(long)]
        snapshot: String,
        /// The new cluster's id (default `<cluster>-restored`).
        #[arg(long)]
        target: Option<String>,
    },
    /// Sync the frontend bucket to the backup bucket, or back.
    S3BackupSync {
        /// Which way.
        #[arg(long, value_enum)]
        direction: Option<Direction>,
        /// Also delete what only the destination has.
        #[arg(long)]
        delete: bool,
    },
    /// The cluster's snapshots and the quota (read-only, never asks).
    SnapshotStatus,
    /// Put one object of the frontend bucket back to an older version.
    RestoreS3ObjectVersion {
        /// The object's key.
        #[arg(long)]
        key: String,
        /// The version to make the latest again.
        #[arg(long)]
        version_id: String,
    },
    /// Invalidate CloudFront paths.
    CloudfrontInvalidate {
        /// The distribution id.
        #[arg(long)]
        distribution: String,
        /// A path starting with / (repeat for more; default /*).
        #[arg(long = "path", value_name = "PATH", value_parser = parse_path)]
        paths: Vec<String>,
    },
    /// A cache policy's default TTL (runbook: 86400 for the frontend).
    SetCloudfrontTtl {
        /// The cache policy id.
        #[arg(long)]
        cache_policy: String,
        /// Seconds.
        #[arg(long, value_parser = clap::value_parser!(i64).range(0..=limits::CLOUDFRONT_TTL_MAX_SECONDS))]
        default_ttl: i64,
    },
}

/// Which way `s3-backup-sync` copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Direction {
    /// Frontend bucket → backup bucket.
    Backup,
    /// Backup bucket → frontend bucket.
    Restore,
}

fn parse_at(raw: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(raw)
        .map_err(|_| format!("`{raw}` is not an RFC 3339 time like 2026-12-01T09:00:00+09:00"))
}

fn parse_lang(raw: &str) -> Result<Lang, String> {
    raw.parse()
}

fn parse_timezone(raw: &str) -> Result<Tz, String> {
    raw.parse()
        .map_err(|_| format!("`{raw}` is not an IANA time zone like Asia/Tokyo"))
}

fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|_| raw.len() == 10)
        .ok_or_else(|| format!("`{raw}` is not a date like 2026-12-01 (YYYY-MM-DD)"))
}

fn parse_month(raw: &str) -> Result<String, String> {
    let valid =
        raw.len() == 7 && NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d").is_ok();
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(format!("`{raw}` is not a month like 2026-11 (YYYY-MM)"))
    }
}

fn parse_user(raw: &str) -> Result<String, String> {
    if shared::config::valid_iam_user_name(raw) {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "`{raw}` is not an IAM user name (1–64 letters, digits and +=,.@_-)"
        ))
    }
}

fn parse_acu(raw: &str) -> Result<f64, String> {
    let acu: f64 = raw
        .parse()
        .map_err(|_| format!("`{raw}` is not a number of ACUs"))?;
    let steps = acu / limits::ACU_STEP;
    if acu.is_finite() && acu >= limits::ACU_MIN && steps.fract() == 0.0 {
        Ok(acu)
    } else {
        Err(format!(
            "`{raw}` must be a multiple of {} ACU, at least {}",
            limits::ACU_STEP,
            limits::ACU_MIN
        ))
    }
}

fn parse_path(raw: &str) -> Result<String, String> {
    if raw.starts_with('/') {
        Ok(raw.to_owned())
    } else {
        Err(format!(
            "`{raw}` must start with / (e.g. /index.html or /assets/*)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn acu_flags_take_the_runbook_steps_only() {
        assert_eq!(parse_acu("1"), Ok(1.0));
        assert_eq!(parse_acu("1.5"), Ok(1.5));
        assert!(parse_acu("0.25").is_err());
        assert!(parse_acu("0").is_err());
        assert!(parse_acu("1.2").is_err());
        assert!(parse_acu("NaN").is_err());
        assert!(parse_acu("four").is_err());
    }

    #[test]
    fn months_and_dates_are_checked_to_the_day() {
        assert!(parse_month("2026-11").is_ok());
        assert!(parse_month("2026-13").is_err());
        assert!(parse_month("2026-1").is_err());
        assert!(parse_date("2026-02-29").is_err());
        assert!(parse_date("2024-02-29").is_ok());
    }
}
