//! What nobody looks at until it is too late: the DB secret's age, the last
//! restore point, frontend versioning, the deploy keys' age. Metadata only —
//! the secret's value is never read. Facts are gathered here; the judging
//! functions are pure.

use aws_sdk_iam::types::StatusType;
use aws_sdk_s3::types::BucketVersioningStatus;
use chrono::{DateTime, TimeDelta, Utc};
use shared::runbook::{Days, Runbook};
use shared::{Error, FindingStatus};

/// A hygiene check, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// ok / warning / critical.
    pub status: FindingStatus,
    /// The measured value (days, hours), if there is one.
    pub value: Option<f64>,
    /// The limit it was judged against.
    pub threshold: Option<f64>,
}

/// Whole days from `since` to `now` (floor; 0 for a time after `now`).
pub fn whole_days(since: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - since).num_days().max(0)
}

// ---------------------------------------------------------------- secret-age

/// The DB secret's dates (`DescribeSecret`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretDates {
    /// `LastRotatedDate`: the last rotation.
    pub last_rotated: Option<DateTime<Utc>>,
    /// `CreatedDate`: the measure when it was never rotated.
    pub created: Option<DateTime<Utc>>,
}

/// What `DescribeSecret` says of the DB secret: its dates, its rotation
/// settings and its version stages — never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFacts {
    /// The rotation dates.
    pub dates: SecretDates,
    /// `RotationEnabled` (absent: never configured).
    pub rotation_enabled: bool,
    /// The rotation interval in days: `RotationRules.AutomaticallyAfterDays`,
    /// or a `rate(N days)` schedule; `None` when neither says.
    pub rotation_days: Option<i64>,
    /// A version staged `AWSPENDING` and not `AWSCURRENT`: a rotation that
    /// began and never finished.
    pub stuck_pending: Option<String>,
}

/// `DescribeSecret` of `secret_id`: its dates and rotation state, never its value.
pub async fn secret_facts(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<SecretFacts, Error> {
    let out = client
        .describe_secret()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| Error::aws("DescribeSecret", e))?;
    let rules = out.rotation_rules();
    let rate_days = rules
        .and_then(|r| r.schedule_expression())
        .and_then(rate_days);
    let stuck_pending = out.version_ids_to_stages().and_then(|versions| {
        let mut stuck: Vec<&String> = versions
            .iter()
            .filter(|(_, stages)| {
                stages.iter().any(|s| s == "AWSPENDING")
                    && !stages.iter().any(|s| s == "AWSCURRENT")
            })
            .map(|(id, _)| id)
            .collect();
        stuck.sort();
        stuck.first().map(|id| (*id).clone())
    });
    Ok(SecretFacts {
        dates: SecretDates {
            last_rotated: out.last_rotated_date().and_then(shared::time::from_aws),
            created: out.created_date().and_then(shared::time::from_aws),
        },
        rotation_enabled: out.rotation_enabled().unwrap_or(false),
        rotation_days: rules
            .and_then(|r| r.automatically_after_days())
            .or(rate_days),
        stuck_pending,
    })
}

/// `rate(N days)` (or `rate(1 day)`) → N.
pub fn rate_days(expression: &str) -> Option<i64> {
    let inner = expression.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let (n, unit) = inner.trim().split_once(' ')?;
    matches!(unit.trim(), "day" | "days")
        .then(|| n.trim().parse().ok())
        .flatten()
}

/// Days since the last rotation (or creation): ok ≤ 90, warning > 90,
/// critical > 180 (`threshold` 90, or 180 when critical).
pub fn judge_secret_age(dates: &SecretDates, now: DateTime<Utc>, runbook: &Runbook) -> Judged {
    let Some(since) = dates.last_rotated.or(dates.created) else {
        return Judged {
            status: FindingStatus::Warning,
            value: None,
            threshold: Some(f64::from(runbook.secret_rotation_recommended.0)),
        };
    };
    let days = whole_days(since, now) as f64;
    let verdict = runbook.judge_secret_age(days);
    Judged {
        status: verdict.status,
        value: Some(days),
        threshold: Some(verdict.threshold),
    }
}

// -------------------------------------------------------------- snapshot-age

/// A manual cluster snapshot.
pub use shared::rds::ManualSnapshot as Snapshot;
pub use shared::rds::{manual_snapshots, newest_restore_point};

/// The tag restore-drill gives a snapshot it restored, logged in to and
/// checked: `restore-verified=<YYYY-MM-DD>` (the drill's day, local).
pub const VERIFIED_TAG: &str = "restore-verified";

/// The newest drill-verified snapshot of `cluster` and its day.
pub fn newest_verified<'a>(
    snapshots: &'a [Snapshot],
    cluster: &str,
) -> Option<(&'a Snapshot, chrono::NaiveDate)> {
    snapshots
        .iter()
        .filter(|s| s.cluster.eq_ignore_ascii_case(cluster))
        .filter_map(|s| {
            let day = chrono::NaiveDate::parse_from_str(s.tag(VERIFIED_TAG)?, "%Y-%m-%d").ok()?;
            Some((s, day))
        })
        .max_by_key(|(_, day)| *day)
}

/// Days since the last verified restore: warning above `max_days`; never
/// verified → warning.
pub fn judge_drill_age(
    verified_on: Option<chrono::NaiveDate>,
    today: chrono::NaiveDate,
    max_days: i64,
) -> Judged {
    let days = verified_on.map(|day| (today - day).num_days().max(0));
    Judged {
        status: match days {
            Some(d) if d <= max_days => FindingStatus::Ok,
            _ => FindingStatus::Warning,
        },
        value: days.map(|d| d as f64),
        threshold: Some(max_days as f64),
    }
}

/// A drill cluster older than this is a leftover: a drill takes minutes.
pub const DRILL_LEFTOVER_HOURS: i64 = 3;

/// A cluster restore-drill made (`created-by=restore-drill`) and its age in
/// hours; `None` when there is no drill cluster, or it is not a drill's.
pub async fn drill_cluster_age(
    client: &aws_sdk_rds::Client,
    drill_cluster: &str,
    now: DateTime<Utc>,
) -> Result<Option<f64>, Error> {
    let Some(cluster) = shared::rds::describe_cluster(client, drill_cluster).await? else {
        return Ok(None);
    };
    if shared::rds::cluster_tag(&cluster, "created-by") != Some("restore-drill") {
        return Ok(None);
    }
    let created = cluster
        .cluster_create_time()
        .and_then(shared::time::from_aws)
        .unwrap_or(now);
    Ok(Some((now - created).num_minutes().max(0) as f64 / 60.0))
}

/// Hours since the newest restore point (one decimal): warning above
/// `max_hours`; none at all → warning.
pub fn judge_snapshot_age(newest: Option<&Snapshot>, now: DateTime<Utc>, max_hours: f64) -> Judged {
    let hours = newest.and_then(|s| s.created).map(|created| {
        let hours = (now - created).num_seconds().max(0) as f64 / 3600.0;
        (hours * 10.0).round() / 10.0
    });
    Judged {
        status: match hours {
            Some(h) if h <= max_hours => FindingStatus::Ok,
            _ => FindingStatus::Warning,
        },
        value: hours,
        threshold: Some(max_hours),
    }
}

// ------------------------------------------------------- frontend-versioning

/// The frontend bucket's versioning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    /// On: every overwrite or delete keeps the old version.
    Enabled,
    /// Turned off after being on.
    Suspended,
    /// Never turned on.
    Never,
}

/// `GetBucketVersioning` of `bucket`.
pub async fn versioning(client: &aws_sdk_s3::Client, bucket: &str) -> Result<Versioning, Error> {
    let out = client
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| Error::aws("GetBucketVersioning", e))?;
    Ok(match out.status() {
        Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
        Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
        _ => Versioning::Never,
    })
}

/// Enabled → ok; suspended or never enabled → warning.
pub fn judge_versioning(v: Versioning) -> FindingStatus {
    match v {
        Versioning::Enabled => FindingStatus::Ok,
        Versioning::Suspended | Versioning::Never => FindingStatus::Warning,
    }
}

// ------------------------------------------------------------------ key-age

/// An access key of a user (`ListAccessKeys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// Active or not.
    pub active: bool,
    /// `CreateDate`.
    pub created: Option<DateTime<Utc>>,
}

/// The user's keys; `None` when IAM has no such user.
pub async fn access_keys(
    client: &aws_sdk_iam::Client,
    user: &str,
) -> Result<Option<Vec<Key>>, Error> {
    let mut pages = client
        .list_access_keys()
        .user_name(user)
        .into_paginator()
        .send();
    let mut keys = Vec::new();
    while let Some(page) = pages.next().await {
        let Some(page) =
            shared::aws::found("ListAccessKeys", page, |e| e.is_no_such_entity_exception())?
        else {
            return Ok(None);
        };
        keys.extend(page.access_key_metadata().iter().map(|k| Key {
            active: k.status() == Some(&StatusType::Active),
            created: k.create_date().and_then(shared::time::from_aws),
        }));
    }
    Ok(Some(keys))
}

/// Days since the newest active key was created (the last rotation: the old
/// key stays active for a while after one and is not the measure): warning
/// above `rotate_days`; no active key → warning.
pub fn judge_key_age(keys: &[Key], now: DateTime<Utc>, rotate_days: Days) -> Judged {
    let newest = keys
        .iter()
        .filter(|k| k.active)
        .filter_map(|k| k.created)
        .max();
    let days = newest.map(|c| whole_days(c, now) as f64);
    let threshold = f64::from(rotate_days.0);
    Judged {
        status: match days {
            Some(d) if d <= threshold => FindingStatus::Ok,
            _ => FindingStatus::Warning,
        },
        value: days,
        threshold: Some(threshold),
    }
}

/// `now` minus `days` whole days and `hours` hours (for tests and seeds).
pub fn ago(now: DateTime<Utc>, days: i64, hours: i64) -> DateTime<Utc> {
    now - TimeDelta::days(days) - TimeDelta::hours(hours)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_secret_is_ok_to_ninety_days_and_critical_past_one_eighty() {
        let runbook = Runbook::default();
        for (days, status, threshold) in [
            (90, FindingStatus::Ok, 90.0),
            (91, FindingStatus::Warning, 90.0),
            (180, FindingStatus::Warning, 90.0),
            (181, FindingStatus::Critical, 180.0),
        ] {
            // 23 hours on top: whole days are floored.
            let dates = SecretDates {
                last_rotated: Some(ago(now(), days, 23)),
                created: Some(ago(now(), 400, 0)),
            };
            let j = judge_secret_age(&dates, now(), &runbook);
            assert_eq!(
                (j.status, j.value, j.threshold),
                (status, Some(days as f64), Some(threshold)),
                "{days} days"
            );
        }
    }

    #[test]
    fn a_never_rotated_secret_is_measured_from_its_creation() {
        let dates = SecretDates {
            last_rotated: None,
            created: Some(ago(now(), 91, 0)),
        };
        let j = judge_secret_age(&dates, now(), &Runbook::default());
        assert_eq!((j.status, j.value), (FindingStatus::Warning, Some(91.0)));
    }

    fn snapshot(id: &str, cluster: &str, status: &str, hours: i64) -> Snapshot {
        Snapshot {
            id: id.into(),
            cluster: cluster.into(),
            status: status.into(),
            created: Some(ago(now(), 0, hours)),
            tags: Vec::new(),
        }
    }

    #[test]
    fn the_restore_point_is_the_newest_available_manual_snapshot_of_the_cluster() {
        let snapshots = [
            snapshot("a", "goal-mandala-production", "available", 30),
            snapshot("b", "goal-mandala-production", "creating", 1),
            snapshot("c", "other-cluster", "available", 2),
            snapshot("by-hand", "goal-mandala-production", "available", 5),
        ];
        let newest = newest_restore_point(&snapshots, "goal-mandala-production").unwrap();
        assert_eq!(newest.id, "by-hand");
        let j = judge_snapshot_age(Some(newest), now(), 26.0);
        assert_eq!((j.status, j.value), (FindingStatus::Ok, Some(5.0)));
    }

    #[test]
    fn a_snapshot_older_than_twenty_six_hours_or_none_is_a_warning() {
        let at = |minutes: i64| Snapshot {
            created: Some(now() - TimeDelta::minutes(minutes)),
            ..snapshot("x", "c", "available", 0)
        };
        let j = judge_snapshot_age(Some(&at(26 * 60)), now(), 26.0);
        assert_eq!((j.status, j.value), (FindingStatus::Ok, Some(26.0)));
        let j = judge_snapshot_age(Some(&at(26 * 60 + 6)), now(), 26.0);
        assert_eq!((j.status, j.value), (FindingStatus::Warning, Some(26.1)));
        let j = judge_snapshot_age(None, now(), 26.0);
        assert_eq!((j.status, j.value), (FindingStatus::Warning, None));
    }

    #[test]
    fn a_drill_verified_within_eight_days_is_ok_and_none_or_older_a_warning() {
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut old = snapshot("old", "goal-mandala-production", "available", 300);
        old.tags = vec![(VERIFIED_TAG.into(), "2026-11-20".into())];
        let mut newer = snapshot("newer", "goal-mandala-production", "available", 30);
        newer.tags = vec![(VERIFIED_TAG.into(), "2026-11-22".into())];
        let mut other = snapshot("other", "other-cluster", "available", 1);
        other.tags = vec![(VERIFIED_TAG.into(), "2026-11-29".into())];
        let snapshots = [
            old,
            newer,
            other,
            snapshot("plain", "goal-mandala-production", "available", 2),
        ];
        let (found, on) = newest_verified(&snapshots, "goal-mandala-production").unwrap();
        assert_eq!((found.id.as_str(), on), ("newer", day("2026-11-22")));
        let j = judge_drill_age(Some(on), day("2026-11-30"), 8);
        assert_eq!((j.status, j.value), (FindingStatus::Ok, Some(8.0)));
        let j = judge_drill_age(Some(on), day("2026-12-01"), 8);
        assert_eq!((j.status, j.value), (FindingStatus::Warning, Some(9.0)));
        let j = judge_drill_age(None, day("2026-12-01"), 8);
        assert_eq!((j.status, j.value), (FindingStatus::Warning, None));
    }

    #[test]
    fn versioning_must_be_enabled() {
        assert_eq!(judge_versioning(Versioning::Enabled), FindingStatus::Ok);
        assert_eq!(
            judge_versioning(Versioning::Suspended),
            FindingStatus::Warning
        );
        assert_eq!(judge_versioning(Versioning::Never), FindingStatus::Warning);
    }

    #[test]
    fn the_key_age_is_the_newest_active_keys() {
        let key = |active: bool, days: i64| Key {
            active,
            created: Some(ago(now(), days, 1)),
        };
        // Just rotated: the old active key (95 days) is not the measure.
        let j = judge_key_age(&[key(true, 95), key(true, 3)], now(), Days(90));
        assert_eq!((j.status, j.value), (FindingStatus::Ok, Some(3.0)));
        let j = judge_key_age(&[key(true, 90)], now(), Days(90));
        assert_eq!((j.status, j.value), (FindingStatus::Ok, Some(90.0)));
        let j = judge_key_age(&[key(true, 91), key(false, 2)], now(), Days(90));
        assert_eq!((j.status, j.value), (FindingStatus::Warning, Some(91.0)));
        let j = judge_key_age(&[key(false, 2)], now(), Days(90));
        assert_eq!((j.status, j.value), (FindingStatus::Warning, None));
    }
}
