//! The one `DescribeDBClusters` every function that reads the cluster uses
//! (feature `rds`).

use aws_sdk_rds::Client;
use aws_sdk_rds::types::DbCluster;

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
