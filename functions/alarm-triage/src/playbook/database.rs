//! The database-connection playbook (`…-database-connection-error`): the
//! cluster as RDS sees it, its metrics against the runbook, a real login with
//! the DB secret, the cause they point to and its remedy (starting a stopped
//! cluster when `TRIAGE_AUTO_REMEDIATE` allows); gathered, decided and
//! worded here.

use serde::Serialize;
use shared::Error;
use shared::postgres::{Connector, DbSecret, LoginError};
use shared::render::number;
use shared::runbook::Verdict;
use shared::{Action, ActionResult, Finding, FindingStatus};

use crate::event::{AlarmEvent, MetricRef};
use crate::metrics;
use crate::playbook::Outcome;
use crate::text::Texts;
use crate::{AlarmTriage, window};

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
    shared::postgres::secret_at(client, secret_id, "AWSCURRENT", None)
        .await?
        .ok_or_else(|| {
            Error::Config(shared::ConfigError::new(
                "DB_SECRET_ID",
                format!("{secret_id} has no AWSCURRENT value"),
            ))
        })
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

pub(crate) async fn gather(
    state: &AlarmTriage,
    texts: &Texts,
    alarm: &AlarmEvent,
    dry_run: bool,
) -> Outcome {
    let config = &state.config;
    let runbook = &config.common.runbook;
    let cluster_id = &config.common.db_cluster_id;
    let (start, end) = window(alarm, config.lookback);
    let mut outcome = Outcome::default();

    let cluster = shared::gather::bounded(
        config.gather_timeout,
        describe_cluster(&state.rds, cluster_id),
    )
    .await;
    let status = match &cluster {
        Ok(facts) => {
            outcome
                .findings
                .push(texts.cluster_finding(cluster_id, facts.as_ref()));
            facts.as_ref().map(|f| f.status.clone())
        }
        Err(why) => {
            outcome
                .findings
                .push(texts.skipped("cluster-status", "RDS", why));
            None
        }
    };
    let max_acu = cluster
        .as_ref()
        .ok()
        .and_then(|f| f.as_ref())
        .and_then(|f| f.max_acu)
        .unwrap_or(runbook.db_max_capacity.value());

    let rds_metric = |name: &str| MetricRef {
        namespace: "AWS/RDS".into(),
        name: name.into(),
        dimensions: vec![("DBClusterIdentifier".into(), cluster_id.clone())],
        stat: Some("Maximum".into()),
        period: Some(60),
    };
    let connections = |v| runbook.judge_db_connections(v);
    let cpu = |v| runbook.judge_db_cpu(v);
    // At the cluster's own maximum it can scale no further.
    let capacity = |v| Verdict::under(v, max_acu);
    type Judge<'a> = &'a dyn Fn(f64) -> Verdict;
    let judges: [(&str, &str, Judge, &str); 3] = [
        ("db-connections", "DatabaseConnections", &connections, ""),
        ("db-cpu", "CPUUtilization", &cpu, " %"),
        (
            "db-capacity",
            "ServerlessDatabaseCapacity",
            &capacity,
            " ACU",
        ),
    ];
    for (check, name, judge, unit) in judges {
        let label = name;
        match shared::gather::bounded(
            config.gather_timeout,
            metrics::values(&state.cloudwatch, &rds_metric(name), start, end),
        )
        .await
        {
            Ok(points) => {
                let max = points.iter().map(|p| p.value).reduce(f64::max);
                let verdict = max.map(judge);
                outcome
                    .findings
                    .push(texts.db_metric(check, label, max, verdict, unit));
            }
            Err(why) => outcome.findings.push(texts.skipped(check, label, &why)),
        }
    }

    let probe = match status.as_deref() {
        Some(s) if is_not_running(s) => Probe::NotTried(format!("cluster is {s}")),
        _ => match shared::gather::bounded(
            config.gather_timeout,
            current_secret(&state.secrets, &config.common.db_secret_id),
        )
        .await
        {
            Ok(secret) => probe_login(&state.connector, &secret).await,
            Err(why) => Probe::NotTried(format!("DB secret unreadable: {why}")),
        },
    };
    let cause = evaluate_cause(status.as_deref(), &probe);
    outcome.findings.push(texts.probe_finding(&probe, cause));

    let mut remediated = false;
    if cause == Cause::ClusterStopped {
        let action = |result, detail: String| {
            Action::new("start-cluster", cluster_id.clone(), result, detail)
        };
        let act = if !config.auto_remediate {
            action(
                ActionResult::Skipped,
                texts.cause_remedy(Cause::ClusterStopped, false),
            )
        } else if dry_run {
            action(ActionResult::Planned, "StartDBCluster".into())
        } else {
            match start_cluster(&state.rds, cluster_id).await {
                Ok(()) => {
                    remediated = true;
                    action(ActionResult::Done, "StartDBCluster".into())
                }
                Err(err) => action(ActionResult::Failed, err.to_string()),
            }
        };
        outcome.actions.push(act);
    }
    outcome
        .next_steps
        .push(texts.cause_remedy(cause, remediated));
    outcome.headline = texts.headline_cause(cause);
    outcome.cause = Some(cause);
    outcome
}

impl Texts {
    pub(crate) fn cluster_finding(&self, cluster: &str, facts: Option<&ClusterFacts>) -> Finding {
        match facts {
            None => Finding::new(
                "cluster-status",
                FindingStatus::Critical,
                self.ja_en(
                    format!("クラスター {cluster} が見つかりません（DB_CLUSTER_ID を確認）"),
                    format!("cluster {cluster} not found (check DB_CLUSTER_ID)"),
                ),
            ),
            Some(f) => {
                let ok = f.status == "available";
                let endpoints = format!(
                    "{} / {}",
                    f.endpoint.as_deref().unwrap_or("-"),
                    f.reader_endpoint.as_deref().unwrap_or("-")
                );
                Finding::new(
                    "cluster-status",
                    FindingStatus::ok_if(ok, FindingStatus::Critical),
                    self.ja_en(
                        format!(
                            "クラスター {cluster} の状態: {}（エンドポイント {endpoints}）",
                            f.status
                        ),
                        format!("cluster {cluster} is {} (endpoints {endpoints})", f.status),
                    ),
                )
            }
        }
    }

    pub(crate) fn db_metric(
        &self,
        check: &str,
        label: &str,
        value: Option<f64>,
        verdict: Option<Verdict>,
        unit: &str,
    ) -> Finding {
        match value.zip(verdict) {
            None => Finding::new(
                check,
                FindingStatus::Skipped,
                self.ja_en(
                    format!("{label} のデータがありません"),
                    format!("no {label} data"),
                ),
            ),
            Some((v, verdict)) => Finding::new(
                check,
                verdict.status,
                self.ja_en(
                    format!(
                        "{label}: 最大 {}{unit}（上限の目安 {}{unit}）",
                        number(v),
                        number(verdict.threshold)
                    ),
                    format!(
                        "{label}: max {}{unit} (limit {}{unit})",
                        number(v),
                        number(verdict.threshold)
                    ),
                ),
            )
            .measured(v, verdict.threshold),
        }
    }

    pub(crate) fn probe_finding(&self, probe: &Probe, cause: Cause) -> Finding {
        let (status, ja, en) = match probe {
            Probe::LoggedIn => (
                FindingStatus::Ok,
                "DB シークレットの認証情報でログインし、SELECT 1 が成功しました（現在は接続できます）".to_owned(),
                "logged in with the DB secret's credentials and ran SELECT 1 (connections work now)".to_owned(),
            ),
            Probe::Failed(err) => (FindingStatus::Critical, format!("ログインに失敗しました: {err}"), format!("login failed: {err}")),
            Probe::NotTried(why) => (FindingStatus::Skipped, format!("ログインは試していません: {why}"), format!("login not tried: {why}")),
        };
        Finding::new(
            "login-probe",
            status,
            self.ja_en(
                format!("{ja}（原因: {}）", cause.as_str()),
                format!("{en} (cause: {})", cause.as_str()),
            ),
        )
    }

    pub(crate) fn cause_remedy(&self, cause: Cause, auto_remediate: bool) -> String {
        let (ja, en) = match cause {
            Cause::ClusterStopped if auto_remediate => (
                "クラスターが停止していたため起動しました。available になるまで数分かかります。停止した理由（手動停止・7 日後の自動起動など）を確認してください。",
                "The cluster was stopped and has been started; it takes a few minutes to become available. Find out why it was stopped.",
            ),
            Cause::ClusterStopped => (
                "クラスターが停止しています: RDS コンソールで起動してください（TRIAGE_AUTO_REMEDIATE=true なら自動で起動します）。",
                "The cluster is stopped: start it in the RDS console (TRIAGE_AUTO_REMEDIATE=true starts it automatically).",
            ),
            Cause::Network => (
                "ネットワークの問題です: Lambda と Aurora のセキュリティグループ（5432 番の許可）、サブネット、ルートを確認してください。",
                "Network: check the security groups (5432 allowed from the Lambda), subnets and routes.",
            ),
            Cause::TooManyConnections => (
                "接続数が上限に達しています: 接続プールの上限と接続の解放漏れを確認し、RDS Proxy の導入や最大 ACU の引き上げを検討してください。",
                "Too many connections: check the pool size and leaked connections; consider RDS Proxy or a higher max ACU.",
            ),
            Cause::BadCredentials => (
                "認証情報が拒否されました: シークレットのローテーションが途中で失敗していないか、アプリが古いパスワードを使っていないか確認してください。",
                "Credentials refused: check for a half-finished secret rotation and apps using an old password.",
            ),
            Cause::Ok => (
                "現在は接続できます: 一時的な障害（フェイルオーバー、スケーリング）だった可能性があります。アラームの推移を確認してください。",
                "Connections work now: likely a transient failure (failover, scaling); watch the alarm.",
            ),
            Cause::Unknown => (
                "原因を特定できませんでした: 上の証拠と API のログを確認してください。",
                "Cause not determined: read the evidence above and the API logs.",
            ),
        };
        self.ja_en(ja.into(), en.into())
    }

    pub(crate) fn headline_cause(&self, cause: Cause) -> String {
        match cause {
            Cause::ClusterStopped => self.ja_en("クラスター停止".into(), "cluster stopped".into()),
            Cause::Network => self.ja_en(
                "ネットワーク（到達不可）".into(),
                "network (unreachable)".into(),
            ),
            Cause::TooManyConnections => {
                self.ja_en("接続数の上限".into(), "too many connections".into())
            }
            Cause::BadCredentials => {
                self.ja_en("認証情報の拒否".into(), "credentials refused".into())
            }
            Cause::Ok => self.ja_en("現在は接続可能".into(), "connections work now".into()),
            Cause::Unknown => self.ja_en("原因不明".into(), "cause unknown".into()),
        }
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
