//! The RDS calls of a snapshot run: gather facts, create, delete.

use aws_sdk_rds::Client;
use aws_sdk_rds::types::{DbClusterSnapshot, Tag};
use shared::{ConfigError, Error};

use crate::plan::SnapshotInfo;

/// What a run needs to know about the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// `Status` (`available`, `stopped`, …).
    pub status: String,
}

/// Describes the cluster; a missing one is a configuration error naming `DB_CLUSTER_ID`.
pub async fn describe_cluster(rds: &Client, cluster_id: &str) -> Result<ClusterInfo, Error> {
    let cluster = shared::rds::describe_cluster(rds, cluster_id)
        .await?
        .ok_or_else(|| missing_cluster(cluster_id))?;
    Ok(ClusterInfo {
        status: cluster.status().unwrap_or("unknown").to_owned(),
    })
}

fn missing_cluster(cluster_id: &str) -> Error {
    Error::Config(ConfigError::new(
        "DB_CLUSTER_ID",
        format!("Aurora cluster `{cluster_id}` does not exist in this region"),
    ))
}

/// Every manual cluster snapshot of the account in the region, all pages.
/// Region-wide because the quota is; own snapshots are picked out by the planner.
pub async fn list_manual_snapshots(rds: &Client) -> Result<Vec<SnapshotInfo>, Error> {
    let mut pages = rds
        .describe_db_cluster_snapshots()
        .snapshot_type("manual")
        .into_paginator()
        .send();
    let mut snapshots = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("DescribeDBClusterSnapshots", e))?;
        snapshots.extend(page.db_cluster_snapshots().iter().filter_map(snapshot_info));
    }
    Ok(snapshots)
}

fn snapshot_info(s: &DbClusterSnapshot) -> Option<SnapshotInfo> {
    let created = s.snapshot_create_time()?;
    Some(SnapshotInfo {
        id: s.db_cluster_snapshot_identifier()?.to_owned(),
        cluster_id: s.db_cluster_identifier().unwrap_or_default().to_owned(),
        created: shared::time::from_aws(created)?,
        status: s.status().unwrap_or_default().to_owned(),
        kind: s.snapshot_type().unwrap_or_default().to_owned(),
        tags: s
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
            .collect(),
    })
}

/// What came of a create request.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    /// RDS accepted it (the snapshot may still be `creating`).
    New(SnapshotInfo),
    /// A snapshot with this id already exists: a retried event, or a race with another run.
    AlreadyExists,
}

/// Creates the cluster snapshot `id` with `tags`.
pub async fn create_snapshot(
    rds: &Client,
    cluster_id: &str,
    id: &str,
    tags: &[(&str, &str)],
) -> Result<Created, Error> {
    let mut request = rds
        .create_db_cluster_snapshot()
        .db_cluster_identifier(cluster_id)
        .db_cluster_snapshot_identifier(id);
    for (key, value) in tags {
        request = request.tags(Tag::builder().key(*key).value(*value).build());
    }
    match request.send().await {
        Ok(out) => out
            .db_cluster_snapshot()
            .and_then(snapshot_info)
            .map(Created::New)
            .ok_or_else(|| {
                Error::Unexpected(format!(
                    "CreateDBClusterSnapshot returned no snapshot for {id}"
                ))
            }),
        Err(err) => match err.as_service_error() {
            Some(e) if e.is_db_cluster_snapshot_already_exists_fault() => {
                Ok(Created::AlreadyExists)
            }
            // The cluster went away between the describe and the create.
            Some(e) if e.is_db_cluster_not_found_fault() => Err(missing_cluster(cluster_id)),
            _ => Err(Error::aws("CreateDBClusterSnapshot", err)),
        },
    }
}

/// Deletes the cluster snapshot `id`; one already gone counts as deleted.
pub async fn delete_snapshot(rds: &Client, id: &str) -> Result<(), Error> {
    let answer = rds
        .delete_db_cluster_snapshot()
        .db_cluster_snapshot_identifier(id)
        .send()
        .await;
    shared::aws::found("DeleteDBClusterSnapshot", answer, |e| {
        e.is_db_cluster_snapshot_not_found_fault()
    })?;
    Ok(())
}

/// An own manual snapshot of the production cluster, as RDS describes it (test fixture).
#[cfg(test)]
pub(crate) fn own_snapshot(id: &str, created_secs: i64, status: &str) -> DbClusterSnapshot {
    DbClusterSnapshot::builder()
        .db_cluster_snapshot_identifier(id)
        .db_cluster_identifier("goal-mandala-production")
        .snapshot_create_time(aws_smithy_types::DateTime::from_secs(created_secs))
        .status(status)
        .snapshot_type("manual")
        .tag_list(
            Tag::builder()
                .key("created-by")
                .value("nightly-snapshot")
                .build(),
        )
        .build()
}

#[cfg(test)]
mod tests {
    //! The failures the emulator can't produce, with the real client and
    //! mocked responses.

    use aws_sdk_rds::operation::create_db_cluster_snapshot::{
        CreateDBClusterSnapshotError, CreateDbClusterSnapshotOutput,
    };
    use aws_sdk_rds::operation::delete_db_cluster_snapshot::DeleteDBClusterSnapshotError;
    use aws_sdk_rds::operation::describe_db_cluster_snapshots::DescribeDbClusterSnapshotsOutput;
    use aws_sdk_rds::types::error::{
        DbClusterSnapshotAlreadyExistsFault, DbClusterSnapshotNotFoundFault,
        InvalidDbClusterSnapshotStateFault,
    };
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::retry::RetryConfig;

    use super::*;

    fn snapshot(id: &str) -> DbClusterSnapshot {
        own_snapshot(id, 1_764_000_000, "available")
    }

    #[tokio::test]
    async fn every_page_of_snapshots_is_read() {
        let first = mock!(Client::describe_db_cluster_snapshots)
            .match_requests(|r| r.marker().is_none() && r.snapshot_type() == Some("manual"))
            .then_output(|| {
                DescribeDbClusterSnapshotsOutput::builder()
                    .db_cluster_snapshots(snapshot("a"))
                    .marker("page-2")
                    .build()
            });
        let second = mock!(Client::describe_db_cluster_snapshots)
            .match_requests(|r| r.marker() == Some("page-2"))
            .then_output(|| {
                DescribeDbClusterSnapshotsOutput::builder()
                    .db_cluster_snapshots(snapshot("b"))
                    .build()
            });
        let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&first, &second]);
        let ids: Vec<String> = list_manual_snapshots(&rds)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn throttling_is_retried_by_the_sdk() {
        let throttled = mock!(Client::describe_db_cluster_snapshots)
            .sequence()
            .http_status(503, None)
            .times(2)
            .output(|| {
                DescribeDbClusterSnapshotsOutput::builder()
                    .db_cluster_snapshots(snapshot("a"))
                    .build()
            })
            .build();
        let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&throttled], |c| {
            c.retry_config(RetryConfig::standard().with_max_attempts(shared::aws::MAX_ATTEMPTS))
        });
        assert_eq!(list_manual_snapshots(&rds).await.unwrap().len(), 1);
        assert_eq!(throttled.num_calls(), 3);
    }

    #[tokio::test]
    async fn an_existing_snapshot_id_is_reported_not_failed() {
        let exists = mock!(Client::create_db_cluster_snapshot).then_error(|| {
            CreateDBClusterSnapshotError::DbClusterSnapshotAlreadyExistsFault(
                DbClusterSnapshotAlreadyExistsFault::builder()
                    .message("exists")
                    .build(),
            )
        });
        let rds = mock_client!(aws_sdk_rds, [&exists]);
        let created = create_snapshot(&rds, "goal-mandala-production", "x", &[])
            .await
            .unwrap();
        assert_eq!(created, Created::AlreadyExists);
    }

    #[tokio::test]
    async fn a_created_snapshot_carries_its_tags_in_the_request() {
        let create = mock!(Client::create_db_cluster_snapshot)
            .match_requests(|r| {
                let tags: Vec<(&str, &str)> = r
                    .tags()
                    .iter()
                    .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
                    .collect();
                r.db_cluster_identifier() == Some("goal-mandala-production")
                    && tags == [("created-by", "nightly-snapshot"), ("trigger", "schedule")]
            })
            .then_output(|| {
                CreateDbClusterSnapshotOutput::builder()
                    .db_cluster_snapshot(snapshot("x"))
                    .build()
            });
        let rds = mock_client!(aws_sdk_rds, [&create]);
        let tags = [("created-by", "nightly-snapshot"), ("trigger", "schedule")];
        let created = create_snapshot(&rds, "goal-mandala-production", "x", &tags)
            .await
            .unwrap();
        assert!(matches!(created, Created::New(ref s) if s.id == "x"));
    }

    #[tokio::test]
    async fn a_snapshot_already_gone_counts_as_deleted() {
        let gone = mock!(Client::delete_db_cluster_snapshot).then_error(|| {
            DeleteDBClusterSnapshotError::DbClusterSnapshotNotFoundFault(
                DbClusterSnapshotNotFoundFault::builder().build(),
            )
        });
        let rds = mock_client!(aws_sdk_rds, [&gone]);
        delete_snapshot(&rds, "x").await.unwrap();
    }

    #[tokio::test]
    async fn other_delete_failures_keep_the_service_error() {
        let busy = mock!(Client::delete_db_cluster_snapshot).then_error(|| {
            DeleteDBClusterSnapshotError::InvalidDbClusterSnapshotStateFault(
                InvalidDbClusterSnapshotStateFault::builder()
                    .message("snapshot is being copied")
                    .build(),
            )
        });
        let rds = mock_client!(aws_sdk_rds, [&busy]);
        let err = delete_snapshot(&rds, "x").await.unwrap_err();
        assert_eq!(err.error_type(), shared::ErrorType::Aws);
        assert!(err.to_string().contains("DeleteDBClusterSnapshot"), "{err}");
        assert!(
            err.to_string().contains("snapshot is being copied"),
            "{err}"
        );
    }
}
