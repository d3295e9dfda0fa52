//! nightly-snapshot — the runbook's バックアップ, automated.
//!
//! Takes the runbook-named manual snapshot of the Aurora cluster at the
//! event's time (a retried event names the same snapshot and succeeds without
//! a second one), prunes this function's own old snapshots (retention +
//! keep-min), checks that the previous snapshot became `available` and the
//! region's manual-snapshot quota, then reports and notifies.

pub mod config;
pub mod event;
pub mod plan;
pub mod rds;
mod text;

use chrono::{DateTime, Utc};
use lambda_runtime::Context;
use serde_json::Value;
use shared::{ActionResult, Delivery, Done, Error, Notifier, Report, ReportBuilder, Task};

pub use crate::config::SnapshotConfig;
pub use crate::event::{SnapshotRequest, Trigger};
use crate::plan::{
    CREATED_BY_VALUE, SnapshotInfo, TAG_CREATED_BY, TAG_REASON, TAG_TRIGGER, evaluate_previous,
    evaluate_quota, plan_pruning, snapshot_id,
};
use crate::rds::Created;
use crate::text::Texts;

/// The function (binary) name, as in reports and notifications.
pub const FUNCTION: &str = "nightly-snapshot";

/// What the handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct NightlySnapshot {
    /// Settings.
    pub config: SnapshotConfig,
    /// RDS client.
    pub rds: aws_sdk_rds::Client,
    /// Where reports go.
    pub notifier: Notifier,
}

impl NightlySnapshot {
    /// Builds the state from settings and an SDK configuration.
    pub fn new(config: SnapshotConfig, sdk: &aws_config::SdkConfig) -> Result<Self, Error> {
        let notifier = Notifier::for_config(&config.common, sdk)?;
        Ok(NightlySnapshot {
            rds: aws_sdk_rds::Client::new(sdk),
            notifier,
            config,
        })
    }
}

impl Task for NightlySnapshot {
    const FUNCTION: &'static str = FUNCTION;
    type Request = SnapshotRequest;
    type Response = Report;

    fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    fn parse(&self, payload: Value, _: &Context) -> Result<SnapshotRequest, Error> {
        SnapshotRequest::parse(payload, self.config.common.dry_run, Utc::now)
    }

    async fn run(&self, request: &SnapshotRequest) -> Result<Done<Report>, Error> {
        tracing::info!(
            trigger = request.trigger.as_str(),
            reason = %request.reason,
            "snapshot run"
        );
        // A lost notification is a failed run: the retry names the same
        // snapshot, creates nothing new and publishes again.
        Ok(Done::report(run(self, request).await?, Delivery::Required))
    }
}

/// One snapshot run: gather facts, create, prune, check; returns the report.
pub async fn run(state: &NightlySnapshot, request: &SnapshotRequest) -> Result<Report, Error> {
    let config = &state.config;
    let cluster_id = config.common.db_cluster_id.as_str();
    let prefix = config.prefix.as_str();
    let now = request.now;
    let texts = Texts::new(config.common.lang);
    let id = snapshot_id(prefix, now, config.common.timezone);

    let cluster = rds::describe_cluster(&state.rds, cluster_id).await?;
    let before = rds::list_manual_snapshots(&state.rds).await?;
    let mut report = ReportBuilder::new(FUNCTION, now, request.dry_run);
    report.finding(texts.cluster_status(cluster_id, &cluster.status));

    // 1. The snapshot itself.
    let existing = before.iter().find(|s| s.id == id);
    let (creation, mut snapshots) = match existing {
        Some(found) if !found.is_own(cluster_id, prefix) => {
            return Err(Error::Unexpected(format!(
                "snapshot `{id}` exists but was not made by {FUNCTION} for `{cluster_id}`; refusing to treat it as ours"
            )));
        }
        Some(_) => (Creation::AlreadyExisted, before),
        None if request.dry_run => {
            let mut snapshots = before;
            snapshots.push(planned_snapshot(&id, cluster_id, now, request));
            (Creation::Planned, snapshots)
        }
        None => {
            let tags = [
                (TAG_CREATED_BY, CREATED_BY_VALUE),
                (TAG_TRIGGER, request.trigger.as_str()),
                (TAG_REASON, request.reason.as_str()),
            ];
            match rds::create_snapshot(&state.rds, cluster_id, &id, &tags).await? {
                Created::New(info) => {
                    let mut snapshots = before;
                    snapshots.push(info);
                    (Creation::Created, snapshots)
                }
                // Another run got there between our list and our create: re-read.
                Created::AlreadyExists => (
                    Creation::AlreadyExisted,
                    rds::list_manual_snapshots(&state.rds).await?,
                ),
            }
        }
    };
    tracing::info!(snapshot_id = %id, outcome = creation.as_str(), "snapshot");
    report.action(texts.create_action(&id, creation, request));

    // 2. Prune own snapshots past retention, beyond keep-min.
    let to_prune: Vec<String> = plan_pruning(&snapshots, cluster_id, prefix, config.retention, now)
        .into_iter()
        .map(|s| s.id.clone())
        .collect();
    let mut pruned = Vec::new();
    for old in &to_prune {
        let result = if request.dry_run {
            ActionResult::Planned
        } else {
            match rds::delete_snapshot(&state.rds, old).await {
                Ok(()) => {
                    pruned.push(old.clone());
                    ActionResult::Done
                }
                Err(err) => {
                    tracing::error!(snapshot_id = %old, error = %err, "prune failed");
                    report.action(texts.delete_action(
                        old,
                        ActionResult::Failed,
                        Some(&err),
                        config,
                    ));
                    continue;
                }
            }
        };
        tracing::info!(snapshot_id = %old, result = ?result, "prune");
        report.action(texts.delete_action(old, result, None, config));
    }
    // What the region holds once this run's changes are made (or would be).
    let gone = if request.dry_run { &to_prune } else { &pruned };
    snapshots.retain(|s| !gone.contains(&s.id));

    // 3. Health: the previous snapshot, and quota use.
    let previous = evaluate_previous(&snapshots, cluster_id, prefix, &id, now);
    report.finding(texts.previous_finding(&previous, config.common.timezone));
    let quota_used = u32::try_from(snapshots.len()).unwrap_or(u32::MAX);
    let quota_level = evaluate_quota(quota_used, config.quota);
    report.finding(texts.quota_finding(quota_used, config.quota, quota_level));

    for step in texts.next_steps(&report, quota_level, request.dry_run, config) {
        report.next_step(step);
    }
    report
        .extra("snapshot_id", &id)
        .extra("created", creation == Creation::Created)
        .extra("pruned", &pruned)
        .extra("quota_used", quota_used);
    let title = texts.title(&id, creation, to_prune.len(), report.severity());
    let summary = texts.summary(
        cluster_id,
        &cluster.status,
        &id,
        creation,
        request,
        &to_prune,
        quota_used,
        config,
    );
    Ok(report.build(&title, summary))
}

/// What happened to this run's snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    /// Created by this run.
    Created,
    /// Already there: a retried event (success, nothing new).
    AlreadyExisted,
    /// Would be created (dry run).
    Planned,
}

impl Creation {
    fn as_str(self) -> &'static str {
        match self {
            Creation::Created => "created",
            Creation::AlreadyExisted => "already-existed",
            Creation::Planned => "planned",
        }
    }

    fn result(self) -> ActionResult {
        match self {
            Creation::Created => ActionResult::Done,
            Creation::AlreadyExisted => ActionResult::Skipped,
            Creation::Planned => ActionResult::Planned,
        }
    }
}

/// The snapshot a dry run would create, so the plan counts it like a real one.
fn planned_snapshot(
    id: &str,
    cluster_id: &str,
    now: DateTime<Utc>,
    request: &SnapshotRequest,
) -> SnapshotInfo {
    SnapshotInfo {
        id: id.to_owned(),
        cluster_id: cluster_id.to_owned(),
        created: now,
        status: "creating".to_owned(),
        kind: "manual".to_owned(),
        tags: vec![
            (TAG_CREATED_BY.to_owned(), CREATED_BY_VALUE.to_owned()),
            (TAG_TRIGGER.to_owned(), request.trigger.as_str().to_owned()),
            (TAG_REASON.to_owned(), request.reason.clone()),
        ],
    }
}

#[cfg(test)]
mod tests {
    //! A whole run with the real RDS client and mocked responses, for what
    //! the emulator can't do: a snapshot that refuses to be deleted.

    use aws_sdk_rds::Client;
    use aws_sdk_rds::operation::create_db_cluster_snapshot::{
        CreateDBClusterSnapshotError, CreateDbClusterSnapshotOutput,
    };
    use aws_sdk_rds::operation::delete_db_cluster_snapshot::{
        DeleteDBClusterSnapshotError, DeleteDbClusterSnapshotOutput,
    };
    use aws_sdk_rds::operation::describe_db_cluster_snapshots::DescribeDbClusterSnapshotsOutput;
    use aws_sdk_rds::operation::describe_db_clusters::DescribeDbClustersOutput;
    use aws_sdk_rds::types::error::{
        InvalidDbClusterSnapshotStateFault, InvalidDbClusterStateFault,
    };
    use aws_sdk_rds::types::{DbCluster, DbClusterSnapshot};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use shared::{Env, ErrorType, Severity};

    use super::*;

    const NOW: i64 = 1_764_358_200; // 2025-11-28T19:30:00Z

    fn state(rds: Client) -> NightlySnapshot {
        let env = Env::from_pairs([(
            "NOTIFY_TOPIC_ARN",
            "arn:aws:sns:ap-northeast-1:123456789012:ops",
        )]);
        let config = SnapshotConfig::from_env(&env).unwrap();
        let sns = aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::Config::builder()
                .behavior_version_latest()
                .build(),
        );
        let notifier = Notifier::new(
            sns,
            config.common.require_topic().unwrap().clone(),
            config.common.lang,
            config.common.timezone,
        );
        NightlySnapshot {
            config,
            rds,
            notifier,
        }
    }

    fn request() -> SnapshotRequest {
        SnapshotRequest {
            now: DateTime::from_timestamp(NOW, 0).unwrap(),
            trigger: Trigger::Schedule,
            reason: "nightly".into(),
            dry_run: false,
        }
    }

    fn own(id: &str, age_days: i64, status: &str) -> DbClusterSnapshot {
        crate::rds::own_snapshot(id, NOW - age_days * 86_400, status)
    }

    fn old_own(age_days: i64) -> DbClusterSnapshot {
        own(
            &format!("goal-mandala-production-manual-old-{age_days:02}"),
            age_days,
            "available",
        )
    }

    fn facts() -> [Rule; 2] {
        let cluster = mock!(Client::describe_db_clusters).then_output(|| {
            DescribeDbClustersOutput::builder()
                .db_clusters(DbCluster::builder().status("available").build())
                .build()
        });
        // Nine own snapshots aged 31..39 days: with the new one and keep-min 7, three go.
        let list = mock!(Client::describe_db_cluster_snapshots).then_output(|| {
            DescribeDbClusterSnapshotsOutput::builder()
                .set_db_cluster_snapshots(Some((31..40).map(old_own).collect()))
                .build()
        });
        [cluster, list]
    }

    #[tokio::test]
    async fn a_snapshot_that_cannot_be_pruned_is_a_failed_action_and_the_rest_go_on() {
        let [cluster, list] = facts();
        let create = mock!(Client::create_db_cluster_snapshot).then_output(|| {
            CreateDbClusterSnapshotOutput::builder()
                .db_cluster_snapshot(own(
                    "goal-mandala-production-manual-20251129-043000",
                    0,
                    "creating",
                ))
                .build()
        });
        let refuse = mock!(Client::delete_db_cluster_snapshot)
            .match_requests(|r| {
                r.db_cluster_snapshot_identifier() == Some("goal-mandala-production-manual-old-39")
            })
            .then_error(|| {
                DeleteDBClusterSnapshotError::InvalidDbClusterSnapshotStateFault(
                    InvalidDbClusterSnapshotStateFault::builder()
                        .message("being copied")
                        .build(),
                )
            });
        let delete = mock!(Client::delete_db_cluster_snapshot)
            .then_output(|| DeleteDbClusterSnapshotOutput::builder().build());
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&cluster, &list, &create, &refuse, &delete]
        );

        let report = run(&state(rds), &request()).await.unwrap();

        assert_eq!(report.severity, Severity::Critical);
        let failed: Vec<&str> = report
            .actions
            .iter()
            .filter(|a| a.result == ActionResult::Failed)
            .map(|a| a.target.as_str())
            .collect();
        assert_eq!(failed, ["goal-mandala-production-manual-old-39"]);
        assert_eq!(
            report.extra["pruned"],
            serde_json::json!([
                "goal-mandala-production-manual-old-37",
                "goal-mandala-production-manual-old-38"
            ])
        );
        assert_eq!(report.extra["created"], true);
        assert!(report.next_steps.iter().any(|s| s.contains("削除に失敗")));
    }

    #[tokio::test]
    async fn a_refused_snapshot_fails_the_run_before_anything_is_pruned() {
        let [cluster, list] = facts();
        let refuse = mock!(Client::create_db_cluster_snapshot).then_error(|| {
            CreateDBClusterSnapshotError::InvalidDbClusterStateFault(
                InvalidDbClusterStateFault::builder()
                    .message("cluster is stopped")
                    .build(),
            )
        });
        let delete = mock!(Client::delete_db_cluster_snapshot)
            .then_output(|| DeleteDbClusterSnapshotOutput::builder().build());
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&cluster, &list, &refuse, &delete]
        );

        let err = run(&state(rds), &request()).await.unwrap_err();

        assert_eq!(err.error_type(), ErrorType::Aws);
        assert!(err.to_string().contains("cluster is stopped"), "{err}");
        assert_eq!(
            delete.num_calls(),
            0,
            "never prune when the new snapshot was not taken"
        );
    }
}
