//! Production as the runbook states it, read as it stands at "now"
//! (metadata only): configuration drift, the automation's own health, and
//! the changes AWS has scheduled. Reads here, judgements by the shared
//! runbook rules; the words are `text.rs`'s.

use aws_sdk_rds::types::Filter;
use aws_sdk_sqs::types::QueueAttributeName;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::{Value, json};
pub use shared::lambda::Concurrency;
use shared::runbook::Runbook;
use shared::{Error, FindingStatus};

use crate::alarms::{AlarmFacts, SUFFIXES};
use crate::hygiene::SecretFacts;

/// The cluster's settings the runbook states (`DescribeDBClusters`).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSettings {
    /// Serverless v2 capacity range (min, max ACU).
    pub capacity: Option<(f64, f64)>,
    /// `BackupRetentionPeriod`, days.
    pub retention_days: Option<i32>,
    /// `PreferredBackupWindow`, UTC `hh24:mi-hh24:mi`.
    pub backup_window: Option<String>,
    /// `DeletionProtection`.
    pub deletion_protection: bool,
    /// Its instances (`DBClusterMembers`).
    pub instances: Vec<String>,
}

/// Reads the cluster; `None` when it does not exist.
pub async fn cluster(
    client: &aws_sdk_rds::Client,
    cluster: &str,
) -> Result<Option<ClusterSettings>, Error> {
    Ok(shared::rds::describe_cluster(client, cluster)
        .await?
        .map(|c| ClusterSettings {
            capacity: shared::rds::capacity_range(&c),
            retention_days: c.backup_retention_period(),
            backup_window: c.preferred_backup_window().map(str::to_owned),
            deletion_protection: c.deletion_protection().unwrap_or(false),
            instances: c
                .db_cluster_members()
                .iter()
                .filter_map(|m| m.db_instance_identifier().map(str::to_owned))
                .collect(),
        }))
}

/// A CloudFront cache policy's default TTL (`GetCachePolicy`).
pub async fn cache_policy_ttl(client: &aws_sdk_cloudfront::Client, id: &str) -> Result<i64, Error> {
    let out = client
        .get_cache_policy()
        .id(id)
        .send()
        .await
        .map_err(|e| Error::aws("GetCachePolicy", e))?;
    Ok(out
        .cache_policy()
        .and_then(|p| p.cache_policy_config())
        .and_then(|c| c.default_ttl())
        .unwrap_or(0))
}

/// Messages waiting in the failure queue (`ApproximateNumberOfMessages`).
pub async fn waiting_failures(client: &aws_sdk_sqs::Client, queue_url: &str) -> Result<i64, Error> {
    let out = client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| Error::aws("GetQueueAttributes", e))?;
    Ok(out
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}

/// When the stuck `AWSPENDING` version was made (`ListSecretVersionIds`, every page).
pub async fn version_created(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    version: &str,
) -> Result<Option<DateTime<Utc>>, Error> {
    let mut pages = client
        .list_secret_version_ids()
        .secret_id(secret_id)
        .include_deprecated(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("ListSecretVersionIds", e))?;
        if let Some(v) = page
            .versions()
            .iter()
            .find(|v| v.version_id() == Some(version))
        {
            return Ok(v.created_date().and_then(shared::time::from_aws));
        }
    }
    Ok(None)
}

/// A DB instance's server certificate (`DescribeDBInstances`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The instance.
    pub instance: String,
    /// `CACertificateIdentifier`.
    pub ca: Option<String>,
    /// `CertificateDetails.ValidTill`.
    pub valid_till: Option<DateTime<Utc>>,
}

/// The certificates of the cluster's instances (every page).
pub async fn certificates(
    client: &aws_sdk_rds::Client,
    cluster: &str,
) -> Result<Vec<Certificate>, Error> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_db_instances()
        .filters(
            Filter::builder()
                .name("db-cluster-id")
                .values(cluster)
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("DescribeDBInstances", e))?;
        for i in page.db_instances() {
            out.push(Certificate {
                instance: i.db_instance_identifier().unwrap_or_default().to_owned(),
                ca: i.ca_certificate_identifier().map(str::to_owned),
                valid_till: i
                    .certificate_details()
                    .and_then(|c| c.valid_till())
                    .and_then(shared::time::from_aws),
            });
        }
    }
    Ok(out)
}

/// A maintenance action AWS has scheduled (`DescribePendingMaintenanceActions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduledChange {
    /// The resource (its identifier, from the ARN).
    pub resource: String,
    /// Its ARN (`ResourceIdentifier`), for the command that applies it.
    #[serde(skip)]
    pub arn: String,
    /// `Action` (`system-update`, `db-upgrade`, `ca-certificate-rotation`, …).
    pub action: String,
    /// When AWS applies it: `CurrentApplyDate`, else `AutoAppliedAfterDate`,
    /// else `ForcedApplyDate`; `None` when only an opt-in would apply it.
    pub date: Option<DateTime<Utc>>,
    /// `Description`.
    pub description: String,
}

/// The pending maintenance of the cluster and of its instances (every page).
pub async fn pending_maintenance(
    client: &aws_sdk_rds::Client,
    cluster: &str,
    instances: &[String],
) -> Result<Vec<ScheduledChange>, Error> {
    let mut filters = vec![
        Filter::builder()
            .name("db-cluster-id")
            .values(cluster)
            .build(),
    ];
    if !instances.is_empty() {
        filters.push(
            Filter::builder()
                .name("db-instance-id")
                .set_values(Some(instances.to_vec()))
                .build(),
        );
    }
    let mut out = Vec::new();
    // Filters of different names narrow each other: one request per resource kind.
    for filter in filters {
        let mut pages = client
            .describe_pending_maintenance_actions()
            .filters(filter)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("DescribePendingMaintenanceActions", e))?;
            for resource in page.pending_maintenance_actions() {
                let arn = resource.resource_identifier().unwrap_or_default();
                let id = arn.rsplit(':').next().unwrap_or_default();
                for d in resource.pending_maintenance_action_details() {
                    let date = d
                        .current_apply_date()
                        .or(d.auto_applied_after_date())
                        .or(d.forced_apply_date())
                        .and_then(shared::time::from_aws);
                    out.push(ScheduledChange {
                        resource: id.to_owned(),
                        arn: arn.to_owned(),
                        action: d.action().unwrap_or_default().to_owned(),
                        date,
                        description: d.description().unwrap_or_default().to_owned(),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.date.cmp(&b.date).then(a.resource.cmp(&b.resource)));
    out.dedup();
    Ok(out)
}

/// One conformance check: what production has against what the runbook says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conformance {
    /// The `check` id (`runbook-…`).
    pub check: String,
    /// Production's setting.
    pub current: Value,
    /// The runbook's.
    pub runbook: Value,
    /// ok / warning / critical.
    pub status: FindingStatus,
    /// The current setting as a number, where it is one.
    #[serde(skip)]
    pub value: Option<f64>,
    /// The runbook's number it was judged against.
    #[serde(skip)]
    pub threshold: Option<f64>,
    /// What differs, for the words (alarm checks: `missing`, `actions-disabled`, …).
    #[serde(skip)]
    pub differs: Vec<&'static str>,
}

impl Conformance {
    fn new(check: &str, current: Value, runbook: Value, status: FindingStatus) -> Self {
        Conformance {
            check: check.to_owned(),
            current,
            runbook,
            status,
            value: None,
            threshold: None,
            differs: Vec::new(),
        }
    }
}

/// `runbook-lambda-concurrency`.
pub fn judge_concurrency(c: &Concurrency, runbook: &Runbook) -> Conformance {
    let mut judged = Conformance::new(
        "runbook-lambda-concurrency",
        json!({"reserved": c.reserved, "provisioned": c.provisioned_total()}),
        json!({"reserved": runbook.lambda_reserved_concurrency, "provisioned": runbook.lambda_provisioned_concurrency}),
        runbook.judge_lambda_concurrency(c.reserved, c.provisioned_total()),
    );
    judged.value = c.reserved.map(|r| r as f64);
    judged.threshold = Some(f64::from(runbook.lambda_reserved_concurrency));
    judged
}

/// `runbook-db-capacity`, `runbook-db-backup`, `runbook-db-deletion-protection`.
pub fn judge_cluster(
    c: &ClusterSettings,
    runbook: &Runbook,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Vec<Conformance> {
    let stated = (
        runbook.db_min_capacity.value(),
        runbook.db_max_capacity.value(),
    );
    let capacity = match c.capacity {
        Some((min, max)) => {
            let mut judged = Conformance::new(
                "runbook-db-capacity",
                json!({"min": min, "max": max}),
                json!({"min": stated.0, "max": stated.1}),
                runbook.judge_db_capacity(min, max),
            );
            judged.value = Some(max);
            judged.threshold = Some(stated.1);
            judged
        }
        None => Conformance::new(
            "runbook-db-capacity",
            Value::Null,
            json!({"min": stated.0, "max": stated.1}),
            FindingStatus::Warning,
        ),
    };
    let window_utc = c.backup_window.as_deref().unwrap_or_default();
    // The runbook's window as RDS wants it (UTC) on this day, for the remedy.
    let to_utc = |t: chrono::NaiveTime| {
        use chrono::TimeZone;
        tz.from_local_datetime(&now.with_timezone(&tz).date_naive().and_time(t))
            .earliest()
            .map(|d| d.with_timezone(&Utc).format("%H:%M").to_string())
            .unwrap_or_default()
    };
    let stated_utc = format!(
        "{}-{}",
        to_utc(runbook.db_backup_window.start),
        to_utc(runbook.db_backup_window.end)
    );
    let window_ok = runbook.backup_window_is_stated(window_utc, tz, now) == Some(true);
    let retention = c.retention_days.map_or(0.0, f64::from);
    let verdict = runbook.judge_backup_retention(retention);
    let mut backup = Conformance::new(
        "runbook-db-backup",
        json!({"retention_days": c.retention_days, "window_utc": c.backup_window}),
        json!({"retention_days": runbook.db_backup_retention.0, "window_local": runbook.db_backup_window.to_string(), "window_utc": stated_utc}),
        match (verdict.status, window_ok) {
            (FindingStatus::Ok, false) => FindingStatus::Warning,
            (status, _) => status,
        },
    );
    backup.value = Some(retention);
    backup.threshold = Some(verdict.threshold);
    if verdict.status != FindingStatus::Ok {
        backup.differs.push("retention");
    }
    if !window_ok {
        backup.differs.push("window");
    }
    let protection = Conformance::new(
        "runbook-db-deletion-protection",
        json!(c.deletion_protection),
        json!(true),
        if c.deletion_protection {
            FindingStatus::Ok
        } else {
            FindingStatus::Warning
        },
    );
    vec![capacity, backup, protection]
}

/// `runbook-alarms`: one per runbook alarm.
pub fn judge_alarms(alarms: &[AlarmFacts], system: &str, runbook: &Runbook) -> Vec<Conformance> {
    alarms
        .iter()
        .map(|a| {
            let suffix = SUFFIXES
                .iter()
                .find(|s| a.alarm == format!("{system}-{s}"))
                .copied()
                .unwrap_or_default();
            let stated = runbook.alarm_threshold(suffix);
            let mut differs = Vec::new();
            if a.state.is_none() {
                differs.push("missing");
            } else {
                if a.actions_enabled != Some(true) {
                    differs.push("actions-disabled");
                }
                if a.alarm_actions == 0 {
                    differs.push("no-action");
                }
                if stated.is_some_and(|t| a.threshold != Some(t)) {
                    differs.push("threshold");
                }
            }
            let mut judged = Conformance::new(
                "runbook-alarms",
                json!({"alarm": a.alarm, "exists": a.state.is_some(), "actions_enabled": a.actions_enabled,
                       "alarm_actions": a.alarm_actions, "threshold": a.threshold}),
                json!({"alarm": a.alarm, "exists": true, "actions_enabled": true, "threshold": stated}),
                if differs.is_empty() {
                    FindingStatus::Ok
                } else {
                    FindingStatus::Warning
                },
            );
            judged.value = a.threshold;
            judged.threshold = stated;
            judged.differs = differs;
            judged
        })
        .collect()
}

/// `runbook-secret-rotation`.
pub fn judge_secret_rotation(s: &SecretFacts, runbook: &Runbook) -> Conformance {
    let mut judged = Conformance::new(
        "runbook-secret-rotation",
        json!({"enabled": s.rotation_enabled, "days": s.rotation_days}),
        json!({"enabled": true, "days": runbook.secret_rotation_recommended.0}),
        runbook.judge_secret_rotation(s.rotation_enabled, s.rotation_days),
    );
    judged.value = s.rotation_days.map(|d| d as f64);
    judged.threshold = Some(f64::from(runbook.secret_rotation_recommended.0));
    judged
}

/// `runbook-cloudfront-ttl`.
pub fn judge_ttl(ttl: i64, runbook: &Runbook) -> Conformance {
    let stated = runbook.cloudfront_ttl.as_secs();
    let mut judged = Conformance::new(
        "runbook-cloudfront-ttl",
        json!(ttl),
        json!(stated),
        runbook.judge_cloudfront_ttl(ttl),
    );
    judged.value = Some(ttl as f64);
    judged.threshold = Some(stated as f64);
    judged
}

/// Days a certificate warns before it expires, and the days it is critical.
pub const CA_WARN_DAYS: i64 = 30;
/// Clients that pin the CA break on the day: a week ahead is critical.
pub const CA_CRITICAL_DAYS: i64 = 7;
/// A maintenance action AWS applies within this many days is a warning.
pub const MAINTENANCE_WARN_DAYS: i64 = 14;

/// Whole days from `now` to `until` (floor; negative once past).
pub fn days_left(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (until - now)
        .num_seconds()
        .div_euclid(TimeDelta::days(1).num_seconds())
}

/// `db-ca-expiry` of one certificate: ok beyond 30 days, warning within 30,
/// critical within 7.
pub fn judge_certificate(valid_till: DateTime<Utc>, now: DateTime<Utc>) -> (FindingStatus, i64) {
    let days = days_left(valid_till, now);
    let status = if days <= CA_CRITICAL_DAYS {
        FindingStatus::Critical
    } else if days <= CA_WARN_DAYS {
        FindingStatus::Warning
    } else {
        FindingStatus::Ok
    };
    (status, days)
}

/// `db-pending-maintenance` of one action: a warning when AWS applies it
/// within 14 days, else listed as ok.
pub fn judge_maintenance(change: &ScheduledChange, now: DateTime<Utc>) -> FindingStatus {
    match change.date {
        Some(date) if days_left(date, now) <= MAINTENANCE_WARN_DAYS => FindingStatus::Warning,
        _ => FindingStatus::Ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        shared::time::parse_event_time("at", "2026-12-01T00:00:00Z").unwrap()
    }

    #[test]
    fn a_certificate_warns_from_thirty_days_and_is_critical_from_seven() {
        for (days, status) in [
            (31, FindingStatus::Ok),
            (30, FindingStatus::Warning),
            (8, FindingStatus::Warning),
            (7, FindingStatus::Critical),
            (-1, FindingStatus::Critical),
        ] {
            let (judged, left) = judge_certificate(now() + TimeDelta::days(days), now());
            assert_eq!((judged, left), (status, days), "{days} days");
        }
    }

    #[test]
    fn maintenance_within_fourteen_days_is_a_warning() {
        let change = |days: Option<i64>| ScheduledChange {
            resource: "goal-mandala-production".into(),
            arn: "arn:aws:rds:ap-northeast-1:123456789012:cluster:goal-mandala-production".into(),
            action: "system-update".into(),
            date: days.map(|d| now() + TimeDelta::days(d)),
            description: "New Operating System update is available".into(),
        };
        assert_eq!(
            judge_maintenance(&change(Some(13)), now()),
            FindingStatus::Warning
        );
        assert_eq!(
            judge_maintenance(&change(Some(14)), now()),
            FindingStatus::Warning
        );
        assert_eq!(
            judge_maintenance(&change(Some(15)), now()),
            FindingStatus::Ok
        );
        assert_eq!(judge_maintenance(&change(None), now()), FindingStatus::Ok);
    }

    #[test]
    fn backups_below_the_runbooks_retention_are_critical_and_another_window_a_warning() {
        let runbook = Runbook::default();
        let tz = chrono_tz::Asia::Tokyo;
        let cluster = |days: i32, window: &str| ClusterSettings {
            capacity: Some((0.5, 2.0)),
            retention_days: Some(days),
            backup_window: Some(window.into()),
            deletion_protection: true,
            instances: vec![],
        };
        let backup = |c: &ClusterSettings| judge_cluster(c, &runbook, tz, now())[1].status;
        assert_eq!(backup(&cluster(7, "18:00-19:00")), FindingStatus::Ok);
        assert_eq!(backup(&cluster(6, "18:00-19:00")), FindingStatus::Critical);
        assert_eq!(backup(&cluster(8, "18:00-19:00")), FindingStatus::Warning);
        assert_eq!(backup(&cluster(7, "19:00-20:00")), FindingStatus::Warning);
        let judged = judge_cluster(&cluster(7, "18:00-19:00"), &runbook, tz, now());
        assert_eq!(judged[0].status, FindingStatus::Ok);
        assert_eq!(judged[2].status, FindingStatus::Ok);
    }
}
