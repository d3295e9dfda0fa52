//! The one `DescribeDBClusters` every function that reads the cluster uses,
//! and the one restore of a cluster snapshot (ops-action's
//! `restore-db-snapshot`, restore-drill) (feature `rds`).

use aws_sdk_rds::Client;
use aws_sdk_rds::types::{DbCluster, DbClusterSnapshot, ServerlessV2ScalingConfiguration, Tag};

use crate::aws::found;
use crate::error::Error;

/// The cluster `id` as RDS describes it; `None` when RDS has no such cluster
/// (`DBClusterNotFoundFault`). What a missing cluster means is the caller's
/// to say: a configuration error, a finding, a target that is free.
pub async fn describe_cluster(client: &Client, id: &str) -> Result<Option<DbCluster>, Error> {
    let answer = client
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await;
    Ok(found("DescribeDBClusters", answer, |e| {
        e.is_db_cluster_not_found_fault()
    })?
    .and_then(|out| out.db_clusters().first().cloned()))
}

/// The cluster's Serverless v2 capacity range (min, max ACU), when it has one.
pub fn capacity_range(cluster: &DbCluster) -> Option<(f64, f64)> {
    let s = cluster.serverless_v2_scaling_configuration()?;
    Some((s.min_capacity()?, s.max_capacity()?))
}

/// The class of the instance a restored Serverless v2 cluster gets.
pub const SERVERLESS_INSTANCE_CLASS: &str = "db.serverless";

/// The value of the cluster's tag `key`.
pub fn cluster_tag<'a>(cluster: &'a DbCluster, key: &str) -> Option<&'a str> {
    cluster
        .tag_list()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(Tag::value)
}

/// The ids of the cluster's VPC security groups.
pub fn security_group_ids(cluster: &DbCluster) -> Vec<String> {
    cluster
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
        .collect()
}

/// Whether `instance` is a member of the cluster.
pub fn has_member(cluster: &DbCluster, instance: &str) -> bool {
    cluster
        .db_cluster_members()
        .iter()
        .any(|m| m.db_instance_identifier() == Some(instance))
}

/// The first (writer) instance a restore gives the cluster `target`.
pub fn first_instance(target: &str) -> String {
    format!("{target}-instance-1")
}

/// The cluster snapshot `id`; `None` when RDS has no such snapshot.
pub async fn cluster_snapshot(
    client: &Client,
    id: &str,
) -> Result<Option<DbClusterSnapshot>, Error> {
    let answer = client
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier(id)
        .send()
        .await;
    Ok(found("DescribeDBClusterSnapshots", answer, |e| {
        e.is_db_cluster_snapshot_not_found_fault()
    })?
    .and_then(|out| out.db_cluster_snapshots().first().cloned()))
}

/// A snapshot restored as a new Serverless v2 cluster. AWS copies nothing
/// from the source cluster by itself: the engine version, the network and
/// the capacity are all said here.
#[derive(Debug, Clone)]
pub struct Restore<'a> {
    /// The cluster snapshot.
    pub snapshot: &'a str,
    /// The new cluster's identifier.
    pub target: &'a str,
    /// The snapshot's engine.
    pub engine: &'a str,
    /// The snapshot's engine version (the default version otherwise).
    pub engine_version: Option<&'a str>,
    /// The DB subnet group (the default VPC's otherwise).
    pub subnet_group: Option<&'a str>,
    /// The VPC security groups (the VPC's default group otherwise).
    pub security_groups: Option<Vec<String>>,
    /// Serverless v2 capacity range (min, max ACU).
    pub capacity: (f64, f64),
    /// Deletion protection, when it is to be said explicitly.
    pub deletion_protection: Option<bool>,
    /// Tags of the new cluster.
    pub tags: &'a [(&'a str, &'a str)],
}

fn tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
    pairs
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
        .collect()
}

/// `RestoreDBClusterFromSnapshot` as `restore` says.
pub async fn restore_cluster(client: &Client, restore: &Restore<'_>) -> Result<(), Error> {
    client
        .restore_db_cluster_from_snapshot()
        .db_cluster_identifier(restore.target)
        .snapshot_identifier(restore.snapshot)
        .engine(restore.engine)
        .set_engine_version(restore.engine_version.map(str::to_owned))
        .serverless_v2_scaling_configuration(
            ServerlessV2ScalingConfiguration::builder()
                .min_capacity(restore.capacity.0)
                .max_capacity(restore.capacity.1)
                .build(),
        )
        .set_db_subnet_group_name(restore.subnet_group.map(str::to_owned))
        .set_vpc_security_group_ids(restore.security_groups.clone())
        .set_deletion_protection(restore.deletion_protection)
        .set_tags(Some(tags(restore.tags)))
        .send()
        .await
        .map_err(|e| Error::aws("RestoreDBClusterFromSnapshot", e))?;
    Ok(())
}

/// `CreateDBInstance`: the `db.serverless` instance `instance` of `cluster`.
pub async fn create_serverless_instance(
    client: &Client,
    cluster: &str,
    instance: &str,
    engine: &str,
    tag_pairs: &[(&str, &str)],
) -> Result<(), Error> {
    client
        .create_db_instance()
        .db_instance_identifier(instance)
        .db_cluster_identifier(cluster)
        .db_instance_class(SERVERLESS_INSTANCE_CLASS)
        .engine(engine)
        .set_tags(Some(tags(tag_pairs)))
        .send()
        .await
        .map_err(|e| Error::aws("CreateDBInstance", e))?;
    Ok(())
}

/// A manual cluster snapshot, as the functions that look for a restore
/// point read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualSnapshot {
    /// Its id.
    pub id: String,
    /// The cluster it is of.
    pub cluster: String,
    /// `available`, `creating`, …
    pub status: String,
    /// `SnapshotCreateTime`.
    pub created: Option<chrono::DateTime<chrono::Utc>>,
    /// Its tags (key, value).
    pub tags: Vec<(String, String)>,
}

impl ManualSnapshot {
    /// The value of its tag `key`.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl From<&DbClusterSnapshot> for ManualSnapshot {
    fn from(s: &DbClusterSnapshot) -> Self {
        ManualSnapshot {
            id: s
                .db_cluster_snapshot_identifier()
                .unwrap_or_default()
                .to_owned(),
            cluster: s.db_cluster_identifier().unwrap_or_default().to_owned(),
            status: s.status().unwrap_or_default().to_owned(),
            created: s.snapshot_create_time().and_then(crate::time::from_aws),
            tags: s
                .tag_list()
                .iter()
                .map(|t| {
                    (
                        t.key().unwrap_or_default().to_owned(),
                        t.value().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
        }
    }
}

/// The manual snapshots of `cluster` (`DescribeDBClusterSnapshots`, every page).
pub async fn manual_snapshots(
    client: &Client,
    cluster: &str,
) -> Result<Vec<ManualSnapshot>, Error> {
    let mut pages = client
        .describe_db_cluster_snapshots()
        .db_cluster_identifier(cluster)
        .snapshot_type("manual")
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("DescribeDBClusterSnapshots", e))?;
        out.extend(page.db_cluster_snapshots().iter().map(ManualSnapshot::from));
    }
    Ok(out)
}

/// The newest `available` manual snapshot of `cluster`, whoever took it:
/// the point a restore would go back to.
pub fn newest_restore_point<'a>(
    snapshots: &'a [ManualSnapshot],
    cluster: &str,
) -> Option<&'a ManualSnapshot> {
    snapshots
        .iter()
        .filter(|s| s.status == "available" && s.cluster.eq_ignore_ascii_case(cluster))
        .filter(|s| s.created.is_some())
        .max_by_key(|s| s.created)
}
