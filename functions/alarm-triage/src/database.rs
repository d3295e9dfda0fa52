//! The database-connection playbook: the cluster as RDS sees it, a real
//! login with the DB secret, and the cause they point to.

use serde::Serialize;
use shared::Error;
use shared::postgres::{Connector, DbSecret, LoginError};

/// Why the API can't reach its database (report field `cause`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The cluster is stopped (or stopping/starting).
    ClusterStopped,
    /// No answer or refused at the TCP/TLS level: security group, subnet, routing, server down.
    Network,
    /// The server or the role is at its connection limit.
    TooManyConnections,
    /// The secret's credentials are refused.
    BadCredentials,
    /// The login works now.
    Ok,
    /// Something else (see the evidence).
    Unknown,
}

impl Cause {
    /// The report's `cause` id.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::ClusterStopped => "cluster_stopped",
            Cause::Network => "network",
            Cause::TooManyConnections => "too_many_connections",
            Cause::BadCredentials => "bad_credentials",
            Cause::Ok => "ok",
            Cause::Unknown => "unknown",
        }
    }
}

/// What the probe saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// Logged in and ran `SELECT 1`.
    LoggedIn,
    /// The login failed, and how.
    Failed(LoginError),
    /// Not tried (cluster stopped, or no usable secret).
    NotTried(String),
}

/// Cluster states in which no login can succeed.
const NOT_RUNNING: [&str; 3] = ["stopped", "stopping", "starting"];

/// The cause the cluster status and the probe point to.
pub fn evaluate_cause(cluster_status: Option<&str>, probe: &Probe) -> Cause {
    if cluster_status.is_some_and(|s| NOT_RUNNING.contains(&s)) {
        return Cause::ClusterStopped;
    }
    match probe {
        Probe::LoggedIn => Cause::Ok,
        Probe::Failed(LoginError::Refused(_)) => Cause::BadCredentials,
        Probe::Failed(LoginError::TooManyConnections(_)) => Cause::TooManyConnections,
        Probe::Failed(LoginError::Unreachable(_)) => Cause::Network,
        Probe::Failed(LoginError::Other(_)) | Probe::NotTried(_) => Cause::Unknown,
    }
}

/// Whether the cluster status means no login is worth trying.
pub fn is_not_running(status: &str) -> bool {
    NOT_RUNNING.contains(&status)
}

/// The cluster's status and endpoints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterFacts {
    /// `available`, `stopped`, …
    pub status: String,
    /// Writer endpoint.
    pub endpoint: Option<String>,
    /// Reader endpoint.
    pub reader_endpoint: Option<String>,
    /// Serverless v2 maximum capacity (ACU).
    pub max_acu: Option<f64>,
}

/// `DescribeDBClusters` for `cluster`; `None` when it does not exist.
pub async fn describe_cluster(
    client: &aws_sdk_rds::Client,
    cluster: &str,
) -> Result<Option<ClusterFacts>, Error> {
    let cluster = shared::rds::describe_cluster(client, cluster).await?;
    Ok(cluster.as_ref().map(|c| ClusterFacts {
        status: c.status().unwrap_or("unknown").to_owned(),
        endpoint: c.endpoint().map(str::to_owned),
        reader_endpoint: c.reader_endpoint().map(str::to_owned),
        max_acu: c
            .serverless_v2_scaling_configuration()
            .and_then(|s| s.max_capacity()),
    }))
}

/// `StartDBCluster` (only with `TRIAGE_AUTO_REMEDIATE=true`).
pub async fn start_cluster(client: &aws_sdk_rds::Client, cluster: &str) -> Result<(), Error> {
    client
        .start_db_cluster()
        .db_cluster_identifier(cluster)
        .send()
        .await
        .map_err(|e| Error::aws("StartDBCluster", e))?;
    Ok(())
}

/// The DB secret's `AWSCURRENT` version.
pub async fn current_secret(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<DbSecret, Error> {
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .map_err(|e| Error::aws("GetSecretValue", e))?;
    DbSecret::parse(out.secret_string().unwrap_or_default())
}

/// A real login with `secret` (bounded by the connector's timeout) and `SELECT 1`.
pub async fn probe_login(connector: &Connector, secret: &DbSecret) -> Probe {
    match connector.login(secret).await {
        Ok(client) => match client.simple_query("SELECT 1").await {
            Ok(_) => Probe::LoggedIn,
            Err(e) => Probe::Failed(LoginError::Other(shared::postgres::db_error_text(&e))),
        },
        Err(err) => Probe::Failed(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_probe_outcome_names_its_cause() {
        let failed = |e: LoginError| evaluate_cause(Some("available"), &Probe::Failed(e));
        assert_eq!(
            evaluate_cause(Some("available"), &Probe::LoggedIn),
            Cause::Ok
        );
        assert_eq!(
            failed(LoginError::Refused("28P01".into())),
            Cause::BadCredentials
        );
        assert_eq!(
            failed(LoginError::TooManyConnections("53300".into())),
            Cause::TooManyConnections
        );
        assert_eq!(
            failed(LoginError::Unreachable("timeout".into())),
            Cause::Network
        );
        assert_eq!(failed(LoginError::Other("?".into())), Cause::Unknown);
        assert_eq!(
            evaluate_cause(Some("available"), &Probe::NotTried("no secret".into())),
            Cause::Unknown
        );
    }

    #[test]
    fn a_stopped_cluster_is_the_cause_whatever_the_login_says() {
        for status in ["stopped", "stopping", "starting"] {
            assert_eq!(
                evaluate_cause(
                    Some(status),
                    &Probe::Failed(LoginError::Unreachable("x".into()))
                ),
                Cause::ClusterStopped
            );
        }
        assert!(!is_not_running("available"));
    }
}
