//! The RDS calls of a snapshot run: gather facts, create, delete.

use aws_sdk_rds::Client;
use aws_sdk_rds::error::ProvideErrorMetadata;
use aws_sdk_rds::types::{DbClusterSnapshot, Tag};
use chrono::{DateTime, Utc};
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
    let out = rds
        .describe_db_clusters()
        .db_cluster_identifier(cluster_id)
        .send()
        .await;
    match out {
        Ok(out) => {
            let status = out
                .db_clusters()
                .first()
                .and_then(|c| c.status())
                .unwrap_or("unknown")
                .to_owned();
            Ok(ClusterInfo { status })
        }
        Err(err) if err.code() == Some("DBClusterNotFoundFault") => {
            Err(Error::Config(ConfigError::new(
                "DB_CLUSTER_ID",
                format!("Aurora cluster `{cluster_id}` does not exist in this region"),
            )))
        }
        Err(err) => Err(Error::aws("DescribeDBClusters", err)),
    }
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
        created: DateTime::<Utc>::from_timestamp(created.secs(), created.subsec_nanos())?,
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
        Err(err) if err.code() == Some("DBClusterSnapshotAlreadyExistsFault") => {
            Ok(Created::AlreadyExists)
        }
        Err(err) => Err(Error::aws("CreateDBClusterSnapshot", err)),
    }
}

/// Deletes the cluster snapshot `id`; one already gone counts as deleted.
pub async fn delete_snapshot(rds: &Client, id: &str) -> Result<(), Error> {
    match rds
        .delete_db_cluster_snapshot()
        .db_cluster_snapshot_identifier(id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(err) if err.code() == Some("DBClusterSnapshotNotFoundFault") => Ok(()),
        Err(err) => Err(Error::aws("DeleteDBClusterSnapshot", err)),
    }
}
