//! Aurora: the capacity range (`aws rds modify-db-cluster
//! --serverless-v2-scaling-configuration`), a restore from a snapshot with
//! its instance and endpoint, and the snapshots' status.

use aws_sdk_rds::types::ServerlessV2ScalingConfiguration;
use serde_json::{Value, json};
use shared::rds::{Restore, cluster_tag};
use shared::{ActionResult, ConfigError, Error, FindingStatus};

use crate::bounds::plan_capacity;
use crate::text::Texts;
use crate::{OpsAction, Outcome};

/// The tag naming the snapshot a cluster was restored from.
pub const RESTORED_FROM: &str = "restored-from";
/// The class of the instance a restored Serverless v2 cluster gets.
pub const INSTANCE_CLASS: &str = shared::rds::SERVERLESS_INSTANCE_CLASS;

/// `set-db-capacity`.
pub(crate) async fn set_capacity(
    state: &OpsAction,
    texts: &Texts,
    min: Option<f64>,
    max: Option<f64>,
    may_change: bool,
) -> Result<Outcome, Error> {
    let id = state.config.common.db_cluster_id.as_str();
    let found = shared::rds::describe_cluster(&state.rds, id)
        .await?
        .ok_or_else(|| ConfigError::new("DB_CLUSTER_ID", format!("no Aurora cluster `{id}`")))?;
    let current = shared::rds::capacity_range(&found).ok_or_else(|| {
        Error::Unexpected(format!("{id} has no Serverless v2 scaling configuration"))
    })?;
    let (new_min, new_max) = plan_capacity(min, max, current)?;
    let mut outcome = Outcome::new(
        id,
        json!({"min": current.0, "max": current.1}),
        json!({"min": new_min, "max": new_max}),
    );
    let result = if (new_min, new_max) == current {
        ActionResult::Skipped
    } else if may_change {
        state
            .rds
            .modify_db_cluster()
            .db_cluster_identifier(id)
            .serverless_v2_scaling_configuration(
                ServerlessV2ScalingConfiguration::builder()
                    .min_capacity(new_min)
                    .max_capacity(new_max)
                    .build(),
            )
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| Error::aws("ModifyDBCluster", e))?;
        outcome.changed = true;
        ActionResult::Done
    } else {
        ActionResult::Planned
    };
    outcome.action(texts.capacity_action(id, current, (new_min, new_max), result));
    let runbook = &state.config.common.runbook;
    let book = (
        runbook.db_min_capacity.value(),
        runbook.db_max_capacity.value(),
    );
    outcome.finding(texts.runbook_value(
        "ACU",
        &format!("{new_min}–{new_max}"),
        &format!("{}–{}", book.0, book.1),
        runbook.judge_db_capacity(new_min, new_max) == FindingStatus::Ok,
    ));
    outcome.headline = texts.change_headline(
        &format!("{}–{}", current.0, current.1),
        &format!("{new_min}–{new_max}"),
        " ACU",
    );
    Ok(outcome)
}

/// `restore-db-snapshot`.
pub(crate) async fn restore(
    state: &OpsAction,
    texts: &Texts,
    snapshot: &str,
    target: &str,
    may_change: bool,
) -> Result<Outcome, Error> {
    let rds = &state.rds;
    let common = &state.config.common;
    // The snapshot: it must exist and be available.
    let found = shared::rds::cluster_snapshot(rds, snapshot).await?;
    let Some(found) = found else {
        return Err(Error::InvalidInput(format!(
            "`snapshot`: no cluster snapshot `{snapshot}`"
        )));
    };
    if found.status() != Some("available") {
        return Err(Error::InvalidInput(format!(
            "`snapshot`: `{snapshot}` is {}, not available",
            found.status().unwrap_or("in an unknown state")
        )));
    }
    let engine = found.engine().unwrap_or("aurora-postgresql").to_owned();
    let engine_version = found.engine_version().map(str::to_owned);
    // Where the source cluster lives and how it scales (the runbook's range
    // when the source is gone).
    let source = shared::rds::describe_cluster(rds, &common.db_cluster_id).await?;
    let runbook = &common.runbook;
    let (min, max) = source
        .as_ref()
        .and_then(shared::rds::capacity_range)
        .unwrap_or((
            runbook.db_min_capacity.value(),
            runbook.db_max_capacity.value(),
        ));
    let existing = shared::rds::describe_cluster(rds, target).await?;
    if let Some(existing) = &existing
        && cluster_tag(existing, RESTORED_FROM) != Some(snapshot)
    {
        return Err(Error::InvalidInput(format!(
            "`target`: cluster `{target}` already exists and is not a restore of `{snapshot}`; it is never overwritten: choose another target"
        )));
    }
    let mut outcome = Outcome::new(
        target,
        json!({"exists": existing.is_some()}),
        json!({"snapshot": snapshot, "engine": engine, "engine_version": engine_version,
               "instance_class": INSTANCE_CLASS, "min": min, "max": max}),
    );
    let instance = shared::rds::first_instance(target);
    outcome.extra("instance", json!(instance));

    // 1. The cluster.
    let restore_result = if existing.is_some() {
        ActionResult::Skipped
    } else if may_change {
        shared::rds::restore_cluster(
            rds,
            &Restore {
                snapshot,
                target,
                engine: &engine,
                engine_version: engine_version.as_deref(),
                subnet_group: source.as_ref().and_then(|s| s.db_subnet_group()),
                security_groups: source.as_ref().map(shared::rds::security_group_ids),
                capacity: (min, max),
                deletion_protection: None,
                tags: &[("created-by", "ops-action"), (RESTORED_FROM, snapshot)],
            },
        )
        .await?;
        outcome.changed = true;
        ActionResult::Done
    } else {
        ActionResult::Planned
    };
    outcome.action(texts.restore_action(target, snapshot, restore_result, source.is_some()));

    // 2. Its instance, once the cluster is available (read back).
    let now = if may_change || existing.is_some() {
        shared::rds::describe_cluster(rds, target).await?
    } else {
        None
    };
    let status = now.as_ref().and_then(|c| c.status()).map(str::to_owned);
    let has_instance = now
        .as_ref()
        .is_some_and(|c| shared::rds::has_member(c, &instance));
    let instance_result = if has_instance {
        ActionResult::Skipped
    } else if !may_change {
        ActionResult::Planned
    } else if status.as_deref() == Some("available") {
        shared::rds::create_serverless_instance(
            rds,
            target,
            &instance,
            &engine,
            &[("created-by", "ops-action")],
        )
        .await?;
        outcome.changed = true;
        ActionResult::Done
    } else {
        // Still `creating`: a rerun of the same payload adds the instance.
        ActionResult::Skipped
    };
    outcome.action(texts.instance_action(&instance, instance_result, status.as_deref()));
    let endpoint = now.as_ref().and_then(|c| c.endpoint()).map(str::to_owned);
    outcome.extra("endpoint", json!(endpoint));
    outcome.extra("status", json!(status));
    if let Some(endpoint) = &endpoint {
        outcome.steps.push(texts.restored_next(target, endpoint));
    }
    outcome.headline = texts.restore_headline(snapshot, target);
    Ok(outcome)
}

/// `snapshot-status` (read-only).
pub(crate) async fn snapshot_status(state: &OpsAction, texts: &Texts) -> Result<Outcome, Error> {
    let rds = &state.rds;
    let id = state.config.common.db_cluster_id.as_str();
    let mut snapshots: Vec<(Option<aws_smithy_types::DateTime>, Value)> = Vec::new();
    let mut pages = rds
        .describe_db_cluster_snapshots()
        .db_cluster_identifier(id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("DescribeDBClusterSnapshots", e))?;
        for s in page.db_cluster_snapshots() {
            snapshots.push((
                s.snapshot_create_time().copied(),
                json!({
                    "id": s.db_cluster_snapshot_identifier(),
                    "type": s.snapshot_type(),
                    "status": s.status(),
                    "created": s.snapshot_create_time().and_then(shared::time::from_aws)
                        .map(shared::time::rfc3339),
                }),
            ));
        }
    }
    snapshots.sort_by(|a, b| {
        b.0.map(|t| t.as_secs_f64())
            .partial_cmp(&a.0.map(|t| t.as_secs_f64()))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let count = |kind: &str| snapshots.iter().filter(|(_, s)| s["type"] == kind).count();
    let (manual, automated) = (count("manual"), count("automated"));
    // The Region's manual cluster snapshots, against the quota.
    let mut quota_used = 0usize;
    let mut pages = rds
        .describe_db_cluster_snapshots()
        .snapshot_type("manual")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("DescribeDBClusterSnapshots", e))?;
        quota_used += page.db_cluster_snapshots().len();
    }
    let mut outcome = Outcome::new(
        id,
        json!({"manual": manual, "automated": automated}),
        Value::Null,
    );
    outcome.extra(
        "snapshots",
        Value::Array(snapshots.into_iter().map(|(_, s)| s).collect()),
    );
    outcome.extra("quota_used", json!(quota_used));
    outcome.finding(texts.snapshot_counts(id, manual, automated, quota_used));
    outcome.headline = texts.snapshot_headline(manual, automated);
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    //! The real RDS client with mocked responses: the exact restore request
    //! (AWS copies nothing from the source by itself), a snapshot that is not
    //! available, snapshot listings over several pages.

    use aws_sdk_rds::operation::create_db_instance::CreateDbInstanceOutput;
    use aws_sdk_rds::operation::describe_db_cluster_snapshots::DescribeDbClusterSnapshotsOutput;
    use aws_sdk_rds::operation::describe_db_clusters::{
        DescribeDBClustersError, DescribeDbClustersOutput,
    };
    use aws_sdk_rds::operation::restore_db_cluster_from_snapshot::RestoreDbClusterFromSnapshotOutput;
    use aws_sdk_rds::types::error::DbClusterNotFoundFault;
    use aws_sdk_rds::types::{DbCluster, DbClusterSnapshot, VpcSecurityGroupMembership};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
    use shared::{Env, Lang, Notifier};

    use super::*;
    use crate::config::OpsConfig;
    use aws_sdk_rds::Client;

    fn state(rds: Client) -> OpsAction {
        let config = OpsConfig::from_env(&Env::from_pairs([(
            "NOTIFY_TOPIC_ARN",
            "arn:aws:sns:ap-northeast-1:123456789012:ops",
        )]))
        .unwrap();
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("ap-northeast-1"))
            .build();
        OpsAction {
            lambda: aws_sdk_lambda::Client::new(&sdk),
            s3: aws_sdk_s3::Client::new(&sdk),
            cloudfront: aws_sdk_cloudfront::Client::new(&sdk),
            notifier: Notifier::for_config(&config.common, &sdk).unwrap(),
            rds,
            config,
        }
    }

    fn snapshot(status: &str) -> Rule {
        let status = status.to_owned();
        mock!(Client::describe_db_cluster_snapshots).then_output(move || {
            DescribeDbClusterSnapshotsOutput::builder()
                .db_cluster_snapshots(
                    DbClusterSnapshot::builder()
                        .db_cluster_snapshot_identifier("snap-1")
                        .status(&status)
                        .engine("aurora-postgresql")
                        .engine_version("15.4")
                        .build(),
                )
                .build()
        })
    }

    fn source_and_missing_target() -> [Rule; 2] {
        let source = mock!(Client::describe_db_clusters)
            .match_requests(|r| r.db_cluster_identifier() == Some("goal-mandala-production"))
            .then_output(|| {
                DescribeDbClustersOutput::builder()
                    .db_clusters(
                        DbCluster::builder()
                            .db_cluster_identifier("goal-mandala-production")
                            .db_subnet_group("prod-db-subnets")
                            .vpc_security_groups(
                                VpcSecurityGroupMembership::builder()
                                    .vpc_security_group_id("sg-0abc")
                                    .build(),
                            )
                            .serverless_v2_scaling_configuration(
                                aws_sdk_rds::types::ServerlessV2ScalingConfigurationInfo::builder()
                                    .min_capacity(1.0)
                                    .max_capacity(4.0)
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let target = mock!(Client::describe_db_clusters)
            .match_requests(|r| {
                r.db_cluster_identifier() == Some("goal-mandala-production-restored")
            })
            .then_error(|| {
                DescribeDBClustersError::DbClusterNotFoundFault(
                    DbClusterNotFoundFault::builder().build(),
                )
            });
        [source, target]
    }

    #[tokio::test]
    async fn the_restore_request_carries_engine_version_network_scaling_and_tags() {
        let [source, target] = source_and_missing_target();
        let snap = snapshot("available");
        let restored = mock!(Client::restore_db_cluster_from_snapshot)
            .match_requests(|r| {
                let tags: Vec<(&str, &str)> = r
                    .tags()
                    .iter()
                    .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
                    .collect();
                let scaling = r.serverless_v2_scaling_configuration();
                r.snapshot_identifier() == Some("snap-1")
                    && r.engine() == Some("aurora-postgresql")
                    && r.engine_version() == Some("15.4")
                    && r.db_subnet_group_name() == Some("prod-db-subnets")
                    && r.vpc_security_group_ids() == ["sg-0abc"]
                    && scaling.and_then(|s| s.min_capacity()) == Some(1.0)
                    && scaling.and_then(|s| s.max_capacity()) == Some(4.0)
                    && tags == [("created-by", "ops-action"), ("restored-from", "snap-1")]
            })
            .then_output(|| RestoreDbClusterFromSnapshotOutput::builder().build());
        let instance = mock!(Client::create_db_instance)
            .then_output(|| CreateDbInstanceOutput::builder().build());
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&source, &target, &snap, &restored, &instance]
        );

        let outcome = restore_fn(&state(rds)).await.unwrap();

        assert_eq!(
            restored.num_calls(),
            1,
            "the request did not carry what AWS needs"
        );
        assert!(outcome.changed);
        // Read back: the mocked target is still missing, so no instance yet.
        assert_eq!(instance.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_snapshot_that_is_not_available_is_refused_naming_it() {
        let [source, target] = source_and_missing_target();
        let snap = snapshot("creating");
        let restored = mock!(Client::restore_db_cluster_from_snapshot)
            .then_output(|| RestoreDbClusterFromSnapshotOutput::builder().build());
        let rds = mock_client!(
            aws_sdk_rds,
            RuleMode::MatchAny,
            [&source, &target, &snap, &restored]
        );

        let err = restore_fn(&state(rds)).await.unwrap_err();

        assert!(
            matches!(&err, Error::InvalidInput(m) if m.contains("`snapshot`") && m.contains("snap-1") && m.contains("creating")),
            "{err}"
        );
        assert_eq!(restored.num_calls(), 0);
    }

    async fn restore_fn(state: &OpsAction) -> Result<Outcome, Error> {
        restore(
            state,
            &Texts::new(Lang::En),
            "snap-1",
            "goal-mandala-production-restored",
            true,
        )
        .await
    }

    #[tokio::test]
    async fn snapshot_status_reads_every_page() {
        let page = |ids: &[&str], marker: Option<&str>| {
            let mut b =
                DescribeDbClusterSnapshotsOutput::builder().set_marker(marker.map(str::to_owned));
            for id in ids {
                b = b.db_cluster_snapshots(
                    DbClusterSnapshot::builder()
                        .db_cluster_snapshot_identifier(*id)
                        .snapshot_type("manual")
                        .status("available")
                        .build(),
                );
            }
            b.build()
        };
        let first = mock!(Client::describe_db_cluster_snapshots)
            .match_requests(|r| r.marker().is_none() && r.db_cluster_identifier().is_some())
            .then_output(move || page(&["a", "b"], Some("m1")));
        let second = mock!(Client::describe_db_cluster_snapshots)
            .match_requests(|r| r.marker() == Some("m1"))
            .then_output(move || page(&["c"], None));
        let region = mock!(Client::describe_db_cluster_snapshots)
            .match_requests(|r| r.db_cluster_identifier().is_none())
            .then_output(move || page(&["a", "b", "c", "other"], None));
        let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&first, &second, &region]);

        let outcome = snapshot_status(&state(rds), &Texts::new(Lang::En))
            .await
            .unwrap();

        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
        assert_eq!(outcome.current["manual"], 3);
        assert_eq!(outcome.extra["quota_used"], 4);
    }
}
