//! The words of a triage report, in Japanese and English.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use shared::console;
use shared::gather::Skip;
use shared::render::number;
use shared::runbook::Verdict;
use shared::time::format_local_and_utc;
use shared::{Finding, FindingStatus, Lang};

use crate::classify::ErrorClass;
use crate::error_lines::ClassSummary;
use crate::event::{AlarmEvent, AlarmState};
use crate::metrics::Point;

/// Report texts in one language and zone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Texts {
    pub(crate) lang: Lang,
    pub(crate) tz: Tz,
}

/// `42.5 min`, `3 h 05 min`.
fn duration(d: TimeDelta) -> String {
    let minutes = d.num_minutes().max(0);
    if minutes < 60 {
        format!("{minutes} min")
    } else {
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    }
}

impl Texts {
    pub(crate) fn new(lang: Lang, tz: Tz) -> Self {
        Texts { lang, tz }
    }

    pub(crate) fn ja_en(&self, ja: String, en: String) -> String {
        self.lang.choose(ja, en)
    }

    pub(crate) fn time(&self, at: DateTime<Utc>) -> String {
        format_local_and_utc(at, self.tz)
    }

    pub(crate) fn class_name(&self, class: ErrorClass) -> &'static str {
        match class {
            ErrorClass::DatabaseConnection => {
                self.lang.pick("DB接続エラー", "database connection errors")
            }
            ErrorClass::ExternalApi => self
                .lang
                .pick("外部API呼び出しエラー", "external API errors"),
            ErrorClass::Validation => self.lang.pick("入力検証エラー", "validation errors"),
            ErrorClass::Timeout => self.lang.pick("タイムアウト", "timeouts"),
            ErrorClass::Other => self.lang.pick("その他のエラー", "other errors"),
        }
    }

    /// The alarm itself: state, when, threshold against the evaluated values.
    pub(crate) fn alarm_finding(&self, event: &AlarmEvent) -> Finding {
        let values: Vec<String> = event
            .datapoints
            .iter()
            .filter_map(|d| d.value.map(number))
            .collect();
        let measured = match (event.threshold, values.is_empty()) {
            (Some(t), false) => self.ja_en(
                format!(
                    "、しきい値 {} に対して評価値 {}",
                    number(t),
                    values.join(", ")
                ),
                format!(
                    ", evaluated {} against the threshold {}",
                    values.join(", "),
                    number(t)
                ),
            ),
            (Some(t), true) => self.ja_en(
                format!("、しきい値 {}", number(t)),
                format!(", threshold {}", number(t)),
            ),
            _ => String::new(),
        };
        let status = match event.state {
            AlarmState::Alarm => FindingStatus::Critical,
            AlarmState::InsufficientData => FindingStatus::Warning,
            AlarmState::Ok => FindingStatus::Ok,
        };
        let detail = self.ja_en(
            format!(
                "{} が {} になりました（{}）{measured}。理由: {}",
                event.name,
                event.state.as_str(),
                self.time(event.changed_at),
                event.reason
            ),
            format!(
                "{} went {} at {}{measured}. Reason: {}",
                event.name,
                event.state.as_str(),
                self.time(event.changed_at),
                event.reason
            ),
        );
        let finding = Finding::new("alarm", status, detail);
        match (
            event.threshold,
            event.datapoints.iter().find_map(|d| d.value),
        ) {
            (Some(t), Some(v)) => finding.measured(v, t),
            _ => finding,
        }
    }

    /// One class's count: failed requests of the class out of all failed
    /// requests, with the lines they wrote and examples.
    pub(crate) fn class_finding(&self, summary: &ClassSummary, requests: usize) -> Finding {
        let examples: Vec<String> = summary
            .examples
            .iter()
            .map(|e| match &e.request_id {
                Some(id) => format!("[{id}] {}", e.text),
                None => e.text.clone(),
            })
            .collect();
        let head = self.ja_en(
            format!(
                "{}: {}/{} リクエスト（{:.0}%、エラー行 {}）",
                self.class_name(summary.class),
                summary.count,
                requests,
                summary.share * 100.0,
                summary.lines
            ),
            format!(
                "{}: {}/{} requests ({:.0} %, {} error lines)",
                self.class_name(summary.class),
                summary.count,
                requests,
                summary.share * 100.0,
                summary.lines
            ),
        );
        let detail = if examples.is_empty() {
            head
        } else {
            format!("{head} — {}", examples.join(" / "))
        };
        Finding::new(summary.class.check_id(), FindingStatus::Warning, detail)
            .measured(summary.count as f64, requests as f64)
    }

    pub(crate) fn no_error_lines(&self, group: &str, minutes: i64) -> Finding {
        Finding::new(
            "errors",
            FindingStatus::Warning,
            self.ja_en(
                format!("{group} の直近 {minutes} 分にエラー行がありません（ログ出力レベル、またはアラームの対象を確認してください）"),
                format!("no error lines in {group} in the last {minutes} minutes (check the log level or what the alarm measures)"),
            ),
        )
    }

    pub(crate) fn truncated(&self, scanned: usize) -> Finding {
        Finding::new(
            "log-read-capped",
            FindingStatus::Warning,
            self.ja_en(
                format!("ログは TRIAGE_MAX_EVENTS（{scanned} 件）までしか読んでいません。件数は下限です"),
                format!("the log read stopped at TRIAGE_MAX_EVENTS ({scanned} events): counts are lower bounds"),
            ),
        )
    }

    /// A source that could not be read (the shared wording).
    pub(crate) fn skipped(&self, check: &str, source: &str, why: &Skip) -> Finding {
        why.finding(check, source, self.lang)
    }

    pub(crate) fn no_single_metric(&self, check: &str, alarm: &str) -> Finding {
        Finding::new(
            check,
            FindingStatus::Skipped,
            self.ja_en(
                format!(
                    "{alarm} は単一のメトリクスを持たないアラームのため、データ点は確認していません"
                ),
                format!("{alarm} has no single metric: datapoints not checked"),
            ),
        )
    }

    pub(crate) fn recovered(&self, event: &AlarmEvent) -> Finding {
        let detail = match event.previous_changed_at {
            Some(since) if event.previous_state == Some(AlarmState::Alarm) => self.ja_en(
                format!(
                    "{} は {} に回復しました。アラーム状態は {} 続きました（{} から）",
                    event.name,
                    self.time(event.changed_at),
                    duration(event.changed_at - since),
                    self.time(since)
                ),
                format!(
                    "{} recovered at {}; it was in ALARM for {} (since {})",
                    event.name,
                    self.time(event.changed_at),
                    duration(event.changed_at - since),
                    self.time(since)
                ),
            ),
            _ => self.ja_en(
                format!(
                    "{} は {} に OK になりました（前の状態: {}）",
                    event.name,
                    self.time(event.changed_at),
                    event.previous_state.map_or("?", |s| s.as_str())
                ),
                format!(
                    "{} went OK at {} (previous state: {})",
                    event.name,
                    self.time(event.changed_at),
                    event.previous_state.map_or("?", |s| s.as_str())
                ),
            ),
        };
        Finding::new("recovered", FindingStatus::Ok, detail)
    }

    pub(crate) fn datapoints(
        &self,
        metric: &str,
        namespace: &str,
        points: &[Point],
        minutes: i64,
    ) -> Finding {
        if let Some(last) = points.last() {
            return Finding::new(
                "metric-datapoints",
                FindingStatus::Ok,
                self.ja_en(
                    format!("{namespace} {metric} には直近 {minutes} 分に {} 件のデータがあります（最新 {}: {}）。メトリクスは送信されています", points.len(), self.time(last.at), number(last.value)),
                    format!("{namespace} {metric} has {} datapoints in the last {minutes} minutes (latest {}: {}); the metric is being sent", points.len(), self.time(last.at), number(last.value)),
                ),
            )
            .measured(points.len() as f64, 1.0);
        }
        let (ja, en) = if namespace.starts_with("AWS/") {
            (
                format!(
                    "{namespace} {metric} に直近 {minutes} 分のデータがありません。AWS のメトリクスは利用があるときだけ送られるため、トラフィックがない（呼び出されていない）可能性が高いです"
                ),
                format!(
                    "{namespace} {metric} has no datapoints in the last {minutes} minutes; AWS publishes it only when there is activity, so there is most likely no traffic"
                ),
            )
        } else {
            (
                format!(
                    "{namespace} {metric} に直近 {minutes} 分のデータがありません。アプリケーションがこのメトリクスを送信していません"
                ),
                format!(
                    "{namespace} {metric} has no datapoints in the last {minutes} minutes: the application is not sending this metric"
                ),
            )
        };
        Finding::new(
            "metric-datapoints",
            FindingStatus::Warning,
            self.ja_en(ja, en),
        )
        .measured(0.0, 1.0)
    }

    pub(crate) fn recent_values(
        &self,
        metric: &str,
        points: &[Point],
        threshold: Option<f64>,
    ) -> Finding {
        let values: Vec<String> = points
            .iter()
            .rev()
            .take(6)
            .map(|p| {
                format!(
                    "{} {}",
                    p.at.with_timezone(&self.tz).format("%H:%M"),
                    number(p.value)
                )
            })
            .collect();
        let t = threshold.map_or_else(String::new, |t| {
            self.ja_en(
                format!("（しきい値 {}）", number(t)),
                format!(" (threshold {})", number(t)),
            )
        });
        Finding::new(
            "metric-values",
            FindingStatus::Ok,
            self.ja_en(
                format!(
                    "{metric} の直近の値{t}: {}",
                    if values.is_empty() {
                        "なし".to_owned()
                    } else {
                        values.join(", ")
                    }
                ),
                format!(
                    "recent values of {metric}{t}: {}",
                    if values.is_empty() {
                        "none".to_owned()
                    } else {
                        values.join(", ")
                    }
                ),
            ),
        )
    }

    /// The runbook's remedy for an error class.
    pub(crate) fn remedy(&self, class: ErrorClass, db_connections_max: u32) -> String {
        let (ja, en) = match class {
            ErrorClass::DatabaseConnection => (
                format!("DB接続エラー: Aurora の状態（停止・再起動中でないか）、接続数（{db_connections_max} 未満）、セキュリティグループと認証情報を確認してください。接続プールの上限と接続の解放漏れも確認してください。"),
                format!("Database connection errors: check Aurora's status (stopped, rebooting?), connections (< {db_connections_max}), security group and credentials; check the pool size and leaked connections."),
            ),
            ErrorClass::ExternalApi => (
                "外部API呼び出しエラー: 呼び出し先のステータスページを確認し、タイムアウトと指数バックオフ付きのリトライを設定してください。".to_owned(),
                "External API errors: check the provider's status page; set timeouts and retries with exponential backoff.".to_owned(),
            ),
            ErrorClass::Validation => (
                "入力検証エラー: 直近のデプロイやクライアントの変更（API のリクエスト形式の不一致）を確認してください。".to_owned(),
                "Validation errors: check recent deploys and client changes (request shape mismatch).".to_owned(),
            ),
            ErrorClass::Timeout => (
                "タイムアウト: Lambda のタイムアウト設定と実行時間を確認し、メモリを増やすか処理を分割してください（DB・外部呼び出しの待ち時間も確認）。".to_owned(),
                "Timeouts: check the Lambda timeout and duration; add memory or split the work (and check DB and external call waits).".to_owned(),
            ),
            ErrorClass::Other => (
                "その他のエラー: 下の例のスタックトレースを確認し、直近のデプロイが原因ならロールバックしてください。".to_owned(),
                "Other errors: read the examples' stack traces; roll back if a recent deploy caused them.".to_owned(),
            ),
        };
        self.ja_en(ja, en)
    }

    pub(crate) fn links(&self, region: &str, alarm: &str, log_group: Option<&str>) -> String {
        let mut out = self.ja_en(
            format!("アラーム: {}", console::alarm(region, alarm)),
            format!("Alarm: {}", console::alarm(region, alarm)),
        );
        if let Some(group) = log_group {
            out.push_str(&self.ja_en(
                format!("\nログ: {}", console::log_group(region, group)),
                format!("\nLogs: {}", console::log_group(region, group)),
            ));
        }
        out
    }

    pub(crate) fn headline_errors(&self, top: Option<&ClassSummary>, requests: usize) -> String {
        match top {
            Some(top) => self.ja_en(
                format!(
                    "{} {}/{} リクエスト",
                    self.class_name(top.class),
                    top.count,
                    requests
                ),
                format!(
                    "{} {}/{} requests",
                    self.class_name(top.class),
                    top.count,
                    requests
                ),
            ),
            None => self.ja_en("エラー行なし".into(), "no error lines".into()),
        }
    }

    pub(crate) fn headline_recovered(&self, event: &AlarmEvent) -> String {
        match event.previous_changed_at {
            Some(since) if event.previous_state == Some(AlarmState::Alarm) => self.ja_en(
                format!("回復（{} 継続）", duration(event.changed_at - since)),
                format!("recovered after {}", duration(event.changed_at - since)),
            ),
            _ => self.ja_en("回復".into(), "recovered".into()),
        }
    }

    pub(crate) fn headline_insufficient(&self, has_data: Option<bool>) -> String {
        match has_data {
            Some(true) => self.ja_en(
                "データ不足（メトリクスは送信中）".into(),
                "insufficient data (metric is being sent)".into(),
            ),
            Some(false) => self.ja_en(
                "データ不足（直近のデータなし）".into(),
                "insufficient data (no recent datapoints)".into(),
            ),
            None => self.ja_en("データ不足".into(), "insufficient data".into()),
        }
    }

    pub(crate) fn headline_generic(&self, metric: Option<&str>) -> String {
        match metric {
            Some(m) => self.ja_en(
                format!("{m} がしきい値を超えました"),
                format!("{m} crossed its threshold"),
            ),
            None => self.ja_en(
                "しきい値を超えました".into(),
                "crossed its threshold".into(),
            ),
        }
    }

    pub(crate) fn recovered_step(&self) -> String {
        self.ja_en(
            "対応は不要です。原因の記録（発生時刻、影響、対応）をインシデントノートに残してください。".into(),
            "Nothing to do now; record the cause, impact and response in the incident notes.".into(),
        )
    }

    pub(crate) fn insufficient_step(&self, has_data: Option<bool>) -> String {
        match has_data {
            Some(false) => self.ja_en(
                "API が呼ばれているか（API Gateway の Count）と、Lambda がデプロイ・有効化されているかを確認してください。トラフィックがないだけなら対応は不要です。".into(),
                "Check that the API is being called (API Gateway Count) and the Lambda is deployed and enabled; if there is simply no traffic, nothing to do.".into(),
            ),
            _ => self.ja_en(
                "アラームの評価期間と TreatMissingData の設定を確認してください。".into(),
                "Check the alarm's evaluation periods and TreatMissingData setting.".into(),
            ),
        }
    }

    pub(crate) fn generic_step(&self) -> String {
        self.ja_en(
            "このアラームには専用の手順がありません。メトリクスの推移と関連するログを確認してください。".into(),
            "This alarm has no playbook of its own; look at the metric's trend and the related logs.".into(),
        )
    }
}

/// Texts of the latency and database playbooks.
impl Texts {
    pub(crate) fn split_finding(
        &self,
        split: &crate::latency::TimeSplit,
        traces: usize,
        slowest: f64,
    ) -> Finding {
        let total = split.total().max(f64::EPSILON);
        let pct = |v: f64| v / total * 100.0;
        Finding::new(
            "xray-time-split",
            FindingStatus::Warning,
            self.ja_en(
                format!(
                    "X-Ray の遅いトレース {traces} 件（最長 {} ms）の内訳: Lambda {} ms（{:.0}%）、データベース {} ms（{:.0}%）、外部呼び出し {} ms（{:.0}%）",
                    number(slowest * 1000.0), number(split.lambda * 1000.0), pct(split.lambda), number(split.database * 1000.0), pct(split.database), number(split.external * 1000.0), pct(split.external)
                ),
                format!(
                    "{traces} slowest X-Ray traces (slowest {} ms): Lambda {} ms ({:.0} %), database {} ms ({:.0} %), external calls {} ms ({:.0} %)",
                    number(slowest * 1000.0), number(split.lambda * 1000.0), pct(split.lambda), number(split.database * 1000.0), pct(split.database), number(split.external * 1000.0), pct(split.external)
                ),
            ),
        )
    }

    pub(crate) fn no_traces(&self, minutes: i64) -> Finding {
        Finding::new(
            "xray-time-split",
            FindingStatus::Skipped,
            self.ja_en(
                format!("直近 {minutes} 分（広げた範囲を含む）に X-Ray のトレースがありません（トレースが有効か確認してください）"),
                format!("no X-Ray traces in the last {minutes} minutes, widened window included (is tracing active?)"),
            ),
        )
    }

    pub(crate) fn api_latency(
        &self,
        latency: Option<f64>,
        integration: Option<f64>,
        verdict: Option<Verdict>,
    ) -> Finding {
        let (Some(latency), Some(integration), Some(verdict)) = (latency, integration, verdict)
        else {
            return Finding::new(
                "apigw-latency",
                FindingStatus::Skipped,
                self.ja_en(
                    "API Gateway の Latency / IntegrationLatency のデータがありません".into(),
                    "no API Gateway Latency / IntegrationLatency data".into(),
                ),
            );
        };
        let overhead = (latency - integration).max(0.0);
        let limit_ms = verdict.threshold;
        Finding::new(
            "apigw-latency",
            verdict.status,
            self.ja_en(
                format!("API Gateway の平均 Latency {} ms、IntegrationLatency {} ms（API Gateway 自体の時間 {} ms）、目安 {} ms", number(latency), number(integration), number(overhead), number(limit_ms)),
                format!("API Gateway average Latency {} ms, IntegrationLatency {} ms (API Gateway itself {} ms), limit {} ms", number(latency), number(integration), number(overhead), number(limit_ms)),
            ),
        )
        .measured(latency, limit_ms)
    }

    pub(crate) fn lambda_duration(
        &self,
        duration: Option<f64>,
        verdict: Option<Verdict>,
    ) -> Finding {
        let (Some(duration), Some(verdict)) = (duration, verdict) else {
            return Finding::new(
                "lambda-duration",
                FindingStatus::Skipped,
                self.ja_en(
                    "Lambda の Duration のデータがありません".into(),
                    "no Lambda Duration data".into(),
                ),
            );
        };
        let limit_ms = verdict.threshold;
        Finding::new(
            "lambda-duration",
            verdict.status,
            self.ja_en(
                format!(
                    "Lambda の平均実行時間 {} ms（目安 {} ms 未満）",
                    number(duration),
                    number(limit_ms)
                ),
                format!(
                    "Lambda average duration {} ms (runbook: under {} ms)",
                    number(duration),
                    number(limit_ms)
                ),
            ),
        )
        .measured(duration, limit_ms)
    }

    pub(crate) fn bottleneck_remedy(&self, bottleneck: crate::latency::Bottleneck) -> String {
        use crate::latency::Bottleneck;
        let (ja, en) = match bottleneck {
            Bottleneck::Lambda => (
                "ボトルネックは Lambda です: コードの最適化（不要な処理・初期化の見直し）とメモリの増量（CPU も比例して増えます）を検討してください。",
                "The bottleneck is Lambda: optimise the code (work and initialisation) and add memory (CPU grows with it).",
            ),
            Bottleneck::Database => (
                "ボトルネックはデータベースです: 遅いクエリを確認し（Performance Insights）、インデックスの追加やクエリの見直しを行ってください。",
                "The bottleneck is the database: find the slow queries (Performance Insights), add indexes or rewrite the queries.",
            ),
            Bottleneck::External => (
                "ボトルネックは外部呼び出しです: タイムアウトを短く設定し、結果のキャッシュを検討してください。",
                "The bottleneck is external calls: set short timeouts and cache results.",
            ),
        };
        self.ja_en(ja.into(), en.into())
    }

    pub(crate) fn headline_latency(
        &self,
        bottleneck: Option<crate::latency::Bottleneck>,
    ) -> String {
        use crate::latency::Bottleneck;
        match bottleneck {
            Some(Bottleneck::Lambda) => {
                self.ja_en("ボトルネック Lambda".into(), "bottleneck: Lambda".into())
            }
            Some(Bottleneck::Database) => self.ja_en(
                "ボトルネック データベース".into(),
                "bottleneck: database".into(),
            ),
            Some(Bottleneck::External) => self.ja_en(
                "ボトルネック 外部呼び出し".into(),
                "bottleneck: external calls".into(),
            ),
            None => self.ja_en("ボトルネック不明".into(), "bottleneck unknown".into()),
        }
    }

    pub(crate) fn cluster_finding(
        &self,
        cluster: &str,
        facts: Option<&crate::database::ClusterFacts>,
    ) -> Finding {
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
                    if ok {
                        FindingStatus::Ok
                    } else {
                        FindingStatus::Critical
                    },
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

    pub(crate) fn probe_finding(
        &self,
        probe: &crate::database::Probe,
        cause: crate::database::Cause,
    ) -> Finding {
        use crate::database::Probe;
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

    pub(crate) fn cause_remedy(
        &self,
        cause: crate::database::Cause,
        auto_remediate: bool,
    ) -> String {
        use crate::database::Cause;
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

    pub(crate) fn headline_cause(&self, cause: crate::database::Cause) -> String {
        use crate::database::Cause;
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
    fn durations_read_as_minutes_or_hours() {
        assert_eq!(duration(TimeDelta::minutes(42)), "42 min");
        assert_eq!(duration(TimeDelta::minutes(185)), "3 h 05 min");
    }
}
