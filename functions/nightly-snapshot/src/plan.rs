//! The decisions of a snapshot run, as plain functions over snapshot facts:
//! the snapshot's name, which snapshots to prune, and the health checks.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use shared::runbook::{Days, MANUAL_SNAPSHOT_TIME_FORMAT};

/// Tag that marks the snapshots this function owns.
pub const TAG_CREATED_BY: &str = "created-by";
/// Value of [`TAG_CREATED_BY`] on our snapshots.
pub const CREATED_BY_VALUE: &str = "nightly-snapshot";
/// Tag saying how the run was started: `schedule` or `manual`.
pub const TAG_TRIGGER: &str = "trigger";
/// Tag with the run's reason (`nightly` for scheduled runs).
pub const TAG_REASON: &str = "reason";
/// A snapshot tagged `keep=true` is never pruned.
pub const TAG_KEEP: &str = "keep";

/// What RDS says about one manual or automated cluster snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotInfo {
    /// `DBClusterSnapshotIdentifier`.
    pub id: String,
    /// The cluster it was taken of.
    pub cluster_id: String,
    /// `SnapshotCreateTime`.
    pub created: DateTime<Utc>,
    /// `Status` (`available`, `creating`, …).
    pub status: String,
    /// `SnapshotType` (`manual`, `automated`, …).
    pub kind: String,
    /// Its tags.
    pub tags: Vec<(String, String)>,
}

impl SnapshotInfo {
    fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether this function made it, for this cluster, under this prefix.
    pub fn is_own(&self, cluster_id: &str, prefix: &str) -> bool {
        self.kind == "manual"
            && self.cluster_id == cluster_id
            && self.id.starts_with(prefix)
            && self.tag(TAG_CREATED_BY) == Some(CREATED_BY_VALUE)
    }

    /// Whether someone asked to keep it forever (`keep=true`).
    pub fn is_kept(&self) -> bool {
        self.tag(TAG_KEEP)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// How long own snapshots are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Delete own snapshots older than this (`SNAPSHOT_RETENTION_DAYS`).
    pub retention: Days,
    /// Always keep this many of the newest own snapshots (`SNAPSHOT_KEEP_MIN`).
    pub keep_min: u32,
}

/// The snapshot id of a run at `now`: prefix + `YYYYMMDD-HHMMSS` in `tz`.
/// The same event time always gives the same id, so a retry names the same snapshot.
pub fn snapshot_id(prefix: &str, now: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "{prefix}{}",
        now.with_timezone(&tz).format(MANUAL_SNAPSHOT_TIME_FORMAT)
    )
}

/// The own snapshots to delete: older than the retention, beyond the newest
/// `keep_min` by creation time, `available`, not `keep=true`. Automated,
/// foreign (untagged or other-cluster) snapshots are never candidates.
pub fn plan_pruning<'a>(
    snapshots: &'a [SnapshotInfo],
    cluster_id: &str,
    prefix: &str,
    policy: RetentionPolicy,
    now: DateTime<Utc>,
) -> Vec<&'a SnapshotInfo> {
    let mut own: Vec<&SnapshotInfo> = snapshots
        .iter()
        .filter(|s| s.is_own(cluster_id, prefix))
        .collect();
    // Newest first; the id breaks ties so the plan never depends on list order.
    own.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
    let cutoff = now - policy.retention.to_delta();
    own.into_iter()
        .skip(usize::try_from(policy.keep_min).unwrap_or(usize::MAX))
        .filter(|s| s.created < cutoff && s.status == "available" && !s.is_kept())
        .collect()
}

/// The state of the newest own snapshot taken before this run.
#[derive(Debug, Clone, PartialEq)]
pub enum PreviousSnapshot<'a> {
    /// There is none (first run).
    None,
    /// It reached `available`.
    Available(&'a SnapshotInfo),
    /// Still being created, for this long.
    InProgress(&'a SnapshotInfo, TimeDelta),
    /// Anything else (e.g. `failed`).
    Broken(&'a SnapshotInfo),
}

/// A snapshot still `creating` after this long is suspicious.
pub const CREATING_TOO_LONG: TimeDelta = TimeDelta::hours(6);

/// Finds the newest own snapshot other than `current_id` and judges its state.
pub fn evaluate_previous<'a>(
    snapshots: &'a [SnapshotInfo],
    cluster_id: &str,
    prefix: &str,
    current_id: &str,
    now: DateTime<Utc>,
) -> PreviousSnapshot<'a> {
    let previous = snapshots
        .iter()
        .filter(|s| s.is_own(cluster_id, prefix) && s.id != current_id && s.created <= now)
        .max_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
    match previous {
        None => PreviousSnapshot::None,
        Some(s) if s.status == "available" => PreviousSnapshot::Available(s),
        Some(s) if s.status == "creating" => PreviousSnapshot::InProgress(s, now - s.created),
        Some(s) => PreviousSnapshot::Broken(s),
    }
}

/// Region-wide manual snapshot quota use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaLevel {
    /// Below the warning share.
    Ok,
    /// At or above the warning share (80 %).
    Warning,
    /// At the quota: the next snapshot will fail.
    Full,
}

/// Warn at this share of the manual snapshot quota.
pub const QUOTA_WARN_PERCENT: u32 = 80;

/// Judges `used` manual snapshots against `quota`.
pub fn evaluate_quota(used: u32, quota: u32) -> QuotaLevel {
    if used >= quota {
        QuotaLevel::Full
    } else if u64::from(used) * 100 >= u64::from(quota) * u64::from(QUOTA_WARN_PERCENT) {
        QuotaLevel::Warning
    } else {
        QuotaLevel::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "goal-mandala-production";
    const PREFIX: &str = "goal-mandala-production-manual-";

    fn t(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn own(day: u32, created: DateTime<Utc>) -> SnapshotInfo {
        SnapshotInfo {
            id: format!("{PREFIX}202610{day:02}-043000"),
            cluster_id: CLUSTER.into(),
            created,
            status: "available".into(),
            kind: "manual".into(),
            tags: vec![(TAG_CREATED_BY.into(), CREATED_BY_VALUE.into())],
        }
    }

    /// `count` own snapshots, one per day, the newest `newest_age_days` old at `now`.
    fn daily(now: DateTime<Utc>, count: u32, newest_age_days: i64) -> Vec<SnapshotInfo> {
        (0..count)
            .map(|i| own(i + 1, now - TimeDelta::days(newest_age_days + i64::from(i))))
            .collect()
    }

    const POLICY: RetentionPolicy = RetentionPolicy {
        retention: Days(30),
        keep_min: 7,
    };

    fn ids(plan: &[&SnapshotInfo]) -> Vec<String> {
        plan.iter().map(|s| s.id.clone()).collect()
    }

    #[test]
    fn snapshot_id_uses_the_report_zone_across_jst_midnight() {
        // 2026-11-28 15:00:00Z is 2026-11-29 00:00:00 JST: the JST date has changed.
        let id = snapshot_id(PREFIX, t("2026-11-28T15:00:00Z"), chrono_tz::Asia::Tokyo);
        assert_eq!(id, "goal-mandala-production-manual-20261129-000000");
        let id = snapshot_id(PREFIX, t("2026-11-28T14:59:59Z"), chrono_tz::Asia::Tokyo);
        assert_eq!(id, "goal-mandala-production-manual-20261128-235959");
        let id = snapshot_id(PREFIX, t("2026-11-28T19:30:00Z"), chrono_tz::UTC);
        assert_eq!(id, "goal-mandala-production-manual-20261128-193000");
    }

    #[test]
    fn the_same_event_time_always_names_the_same_snapshot() {
        let now = t("2026-11-28T19:30:00Z");
        assert_eq!(
            snapshot_id(PREFIX, now, chrono_tz::Asia::Tokyo),
            snapshot_id(PREFIX, now, chrono_tz::Asia::Tokyo)
        );
    }

    #[test]
    fn snapshots_older_than_retention_beyond_keep_min_are_pruned() {
        let now = t("2026-11-28T19:30:00Z");
        // 40 daily snapshots aged 0..39 days: ages 31..39 are past retention.
        let snapshots = daily(now, 40, 0);
        let plan = plan_pruning(&snapshots, CLUSTER, PREFIX, POLICY, now);
        assert_eq!(plan.len(), 9);
        assert!(plan.iter().all(|s| now - s.created > TimeDelta::days(30)));
    }

    #[test]
    fn a_snapshot_exactly_at_the_retention_boundary_is_kept() {
        let now = t("2026-11-28T19:30:00Z");
        let snapshots = daily(now, 10, 28); // ages 28..37
        let plan = plan_pruning(&snapshots, CLUSTER, PREFIX, POLICY, now);
        // keep-min keeps the 7 newest (28..34); of 35, 36, 37 all are older than 30 days.
        assert_eq!(plan.len(), 3);
        let at_boundary = daily(now, 8, 30); // ages 30..37, the 8th (age 37) is beyond keep-min
        let plan = plan_pruning(&at_boundary, CLUSTER, PREFIX, POLICY, now);
        assert_eq!(ids(&plan), vec![at_boundary[7].id.clone()]);
        let mut exact = daily(now, 8, 23); // ages 23..30: the 8th is exactly 30 days old
        exact[7].created = now - TimeDelta::days(30);
        assert!(plan_pruning(&exact, CLUSTER, PREFIX, POLICY, now).is_empty());
        exact[7].created = now - TimeDelta::days(30) - TimeDelta::seconds(1);
        assert_eq!(plan_pruning(&exact, CLUSTER, PREFIX, POLICY, now).len(), 1);
    }

    #[test]
    fn fewer_snapshots_than_keep_min_are_all_kept_however_old() {
        let now = t("2026-11-28T19:30:00Z");
        let snapshots = daily(now, 5, 100);
        assert!(plan_pruning(&snapshots, CLUSTER, PREFIX, POLICY, now).is_empty());
        let seven = daily(now, 7, 100);
        assert!(plan_pruning(&seven, CLUSTER, PREFIX, POLICY, now).is_empty());
    }

    #[test]
    fn automated_foreign_other_cluster_and_kept_snapshots_are_never_pruned() {
        let now = t("2026-11-28T19:30:00Z");
        let mut snapshots = daily(now, 7, 0);
        let old = now - TimeDelta::days(200);
        let mut automated = own(20, old);
        automated.kind = "automated".into();
        automated.id = "rds:goal-mandala-production-2026-05-01-18-00".into();
        let mut untagged = own(21, old);
        untagged.tags.clear();
        let mut other_tool = own(22, old);
        other_tool.tags = vec![(TAG_CREATED_BY.into(), "someone-else".into())];
        let mut other_cluster = own(23, old);
        other_cluster.cluster_id = "goal-mandala-staging".into();
        let mut other_prefix = own(24, old);
        other_prefix.id = "goal-mandala-production-before-migration".into();
        let mut kept = own(25, old);
        kept.tags.push((TAG_KEEP.into(), "true".into()));
        let mut creating = own(26, old);
        creating.status = "creating".into();
        let deletable = own(27, old);
        snapshots.extend([
            automated,
            untagged,
            other_tool,
            other_cluster,
            other_prefix,
            kept,
            creating,
            deletable.clone(),
        ]);
        let plan = plan_pruning(&snapshots, CLUSTER, PREFIX, POLICY, now);
        assert_eq!(ids(&plan), vec![deletable.id]);
    }

    #[test]
    fn keep_min_counts_by_creation_time_not_by_name() {
        let now = t("2026-11-28T19:30:00Z");
        let mut snapshots = daily(now, 8, 40);
        // Rename so name order and time order disagree.
        snapshots.reverse();
        for (i, s) in snapshots.iter_mut().enumerate() {
            s.id = format!("{PREFIX}2026{i:04}-000000");
        }
        let plan = plan_pruning(&snapshots, CLUSTER, PREFIX, POLICY, now);
        let oldest = snapshots.iter().min_by_key(|s| s.created).unwrap();
        assert_eq!(ids(&plan), vec![oldest.id.clone()]);
    }

    #[test]
    fn the_previous_snapshot_is_the_newest_own_one_before_this_run() {
        let now = t("2026-11-28T19:30:00Z");
        let mut snapshots = daily(now, 3, 1);
        let current = own(9, now);
        snapshots.push(current.clone());
        match evaluate_previous(&snapshots, CLUSTER, PREFIX, &current.id, now) {
            PreviousSnapshot::Available(s) => assert_eq!(s.id, snapshots[0].id),
            other => panic!("{other:?}"),
        }
        snapshots[0].status = "creating".into();
        assert!(matches!(
            evaluate_previous(&snapshots, CLUSTER, PREFIX, &current.id, now),
            PreviousSnapshot::InProgress(_, age) if age == TimeDelta::days(1)
        ));
        snapshots[0].status = "failed".into();
        assert!(matches!(
            evaluate_previous(&snapshots, CLUSTER, PREFIX, &current.id, now),
            PreviousSnapshot::Broken(_)
        ));
        assert_eq!(
            evaluate_previous(
                std::slice::from_ref(&current),
                CLUSTER,
                PREFIX,
                &current.id,
                now
            ),
            PreviousSnapshot::None
        );
    }

    #[test]
    fn quota_warns_at_eighty_percent_and_is_full_at_the_quota() {
        assert_eq!(evaluate_quota(79, 100), QuotaLevel::Ok);
        assert_eq!(evaluate_quota(80, 100), QuotaLevel::Warning);
        assert_eq!(evaluate_quota(99, 100), QuotaLevel::Warning);
        assert_eq!(evaluate_quota(100, 100), QuotaLevel::Full);
        assert_eq!(evaluate_quota(3, 4), QuotaLevel::Ok);
        assert_eq!(evaluate_quota(4, 5), QuotaLevel::Warning);
    }
}
