//! The words of the digest's two later sections — 「運用手順との差分」 (what
//! production has against what the runbook states) and 「予定された変更」
//! (what AWS will change, and when) — and of the automation's own health:
//! each line names the current value and the runbook's, and the next step is
//! the ops-action payload or command that restores the runbook's value.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::gather::Skip;
use shared::time::format_local;
use shared::{Finding, FindingStatus};

use crate::conformance::{Certificate, Conformance, ScheduledChange};
use crate::text::Texts;

/// What the conformance words need to name the resources.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Targets<'a> {
    pub function: &'a str,
    pub cluster: &'a str,
    pub secret: &'a str,
    pub cache_policy: Option<&'a str>,
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        // 0.5 → "0.5", 2.0 → "2": the runbook's way of writing them.
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| format!("{f}")),
        other => other.to_string(),
    }
}

impl Texts {
    pub(crate) fn conformance_section(&self) -> &'static str {
        self.lang()
            .pick("運用手順との差分", "Differences from the runbook")
    }

    pub(crate) fn scheduled_section(&self) -> &'static str {
        self.lang()
            .pick("予定された変更", "Changes AWS has scheduled")
    }

    /// One conformance line: what production has, what the runbook says.
    pub(crate) fn conformance_finding(&self, c: &Conformance, t: Targets) -> Finding {
        let (c_, r) = (&c.current, &c.runbook);
        let cur = |key: &str| shown(&c_[key]);
        let book = |key: &str| shown(&r[key]);
        let detail = match c.check.as_str() {
            "runbook-lambda-concurrency" => {
                let (f, cr, cp) = (t.function, cur("reserved"), cur("provisioned"));
                let (rr, rp) = (book("reserved"), book("provisioned"));
                self.ja_en(
                    format!(
                        "{f}: 予約同時実行数 {cr}、プロビジョンド {cp}（運用手順: {rr}、{rp}）"
                    ),
                    format!(
                        "{f}: reserved concurrency {cr}, provisioned {cp} (runbook: {rr}, {rp})"
                    ),
                )
            }
            "runbook-db-capacity" => {
                let (cl, cmin, cmax) = (t.cluster, cur("min"), cur("max"));
                let (rmin, rmax) = (book("min"), book("max"));
                self.ja_en(
                    format!("{cl}: {cmin}–{cmax} ACU（運用手順: {rmin}–{rmax} ACU）"),
                    format!("{cl}: {cmin}–{cmax} ACU (runbook: {rmin}–{rmax} ACU)"),
                )
            }
            "runbook-db-backup" => {
                let lost =
                    if c.differs.contains(&"retention") && c.status == FindingStatus::Critical {
                        self.lang().pick(
                            "（保持期間が短く、復元ポイントが失われています）",
                            " (shorter: restore points are being lost)",
                        )
                    } else {
                        ""
                    };
                let (cl, days, window) = (t.cluster, cur("retention_days"), cur("window_utc"));
                let (rdays, rwindow, zone) =
                    (book("retention_days"), book("window_local"), self.zone());
                self.ja_en(
                    format!("{cl}: 自動バックアップ保持 {days} 日、ウィンドウ {window} UTC（運用手順: {rdays} 日、{rwindow} {zone}）{lost}"),
                    format!("{cl}: automated backups kept {days} days, window {window} UTC (runbook: {rdays} days, {rwindow} {zone}){lost}"),
                )
            }
            "runbook-db-deletion-protection" => self.ja_en(
                format!(
                    "{}: 削除保護 {}（運用手順: 有効）",
                    t.cluster,
                    if c_ == &json!(true) {
                        "有効"
                    } else {
                        "無効"
                    }
                ),
                format!(
                    "{}: deletion protection {} (runbook: on)",
                    t.cluster,
                    if c_ == &json!(true) { "on" } else { "off" }
                ),
            ),
            "runbook-alarms" => {
                let alarm = shown(&c_["alarm"]);
                if c.differs.is_empty() {
                    self.ja_en(
                        format!(
                            "{alarm}: 有効、通知先あり、しきい値 {}",
                            shown(&c_["threshold"])
                        ),
                        format!(
                            "{alarm}: enabled, with an action, threshold {}",
                            shown(&c_["threshold"])
                        ),
                    )
                } else {
                    let what: Vec<String> = c
                        .differs
                        .iter()
                        .map(|d| match *d {
                            "missing" => self
                                .lang()
                                .pick("アラームがありません", "the alarm does not exist")
                                .to_owned(),
                            "actions-disabled" => self
                                .lang()
                                .pick("アクションが無効", "its actions are disabled")
                                .to_owned(),
                            "no-action" => self
                                .lang()
                                .pick(
                                    "通知先（アラームアクション）がありません",
                                    "it has no alarm action",
                                )
                                .to_owned(),
                            _ => self.ja_en(
                                format!(
                                    "しきい値 {}（運用手順: {}）",
                                    shown(&c_["threshold"]),
                                    shown(&r["threshold"])
                                ),
                                format!(
                                    "threshold {} (runbook: {})",
                                    shown(&c_["threshold"]),
                                    shown(&r["threshold"])
                                ),
                            ),
                        })
                        .collect();
                    format!("{alarm}: {}", what.join(self.lang().pick("、", ", ")))
                }
            }
            "runbook-secret-rotation" => {
                let days = shown(&c_["days"]);
                if c_["enabled"] == json!(true) {
                    self.ja_en(
                        format!(
                            "{}: ローテーション有効、間隔 {days} 日（運用手順: {} 日ごと）",
                            t.secret,
                            shown(&r["days"])
                        ),
                        format!(
                            "{}: rotation on, every {days} days (runbook: every {} days)",
                            t.secret,
                            shown(&r["days"])
                        ),
                    )
                } else {
                    self.ja_en(
                        format!(
                            "{}: ローテーションが無効です（運用手順: {} 日ごと）",
                            t.secret,
                            shown(&r["days"])
                        ),
                        format!(
                            "{}: rotation is off (runbook: every {} days)",
                            t.secret,
                            shown(&r["days"])
                        ),
                    )
                }
            }
            _ => self.ja_en(
                format!(
                    "{}: デフォルト TTL {} 秒（運用手順: {} 秒）",
                    t.cache_policy.unwrap_or_default(),
                    shown(c_),
                    shown(r)
                ),
                format!(
                    "{}: default TTL {} s (runbook: {} s)",
                    t.cache_policy.unwrap_or_default(),
                    shown(c_),
                    shown(r)
                ),
            ),
        };
        let mut finding =
            Finding::new(c.check.clone(), c.status, detail).in_section(self.conformance_section());
        finding.value = c.value;
        finding.threshold = c.threshold;
        finding
    }

    /// The next step for a line that differs: the payload or command that
    /// restores the runbook's value — or update the runbook.
    pub(crate) fn conformance_remedy(
        &self,
        c: &Conformance,
        t: Targets,
        provisioned: &[String],
    ) -> String {
        let r = &c.runbook;
        let fix = match c.check.as_str() {
            "runbook-lambda-concurrency" => {
                let mut payloads = vec![format!(
                    r#"{{"action": "set-lambda-concurrency", "reserved": {}}}"#,
                    shown(&r["reserved"])
                )];
                payloads.extend(provisioned.iter().map(|q| {
                    format!(r#"{{"action": "set-provisioned-concurrency", "qualifier": "{q}", "count": 0}}"#)
                }));
                self.ops_action(&payloads)
            }
            "runbook-db-capacity" => self.ops_action(&[format!(
                r#"{{"action": "set-db-capacity", "min": {}, "max": {}}}"#,
                shown(&r["min"]),
                shown(&r["max"])
            )]),
            "runbook-db-backup" => format!(
                "`aws rds modify-db-cluster --db-cluster-identifier {} --backup-retention-period {} --preferred-backup-window {} --apply-immediately`",
                t.cluster,
                shown(&r["retention_days"]),
                shown(&r["window_utc"])
            ),
            "runbook-db-deletion-protection" => format!(
                "`aws rds modify-db-cluster --db-cluster-identifier {} --deletion-protection --apply-immediately`",
                t.cluster
            ),
            "runbook-alarms" => {
                let alarm = shown(&c.current["alarm"]);
                if c.differs.contains(&"missing") {
                    self.lang()
                        .pick(
                            "`sam deploy --parameter-overrides CreateRunbookAlarms=true` で運用手順のアラームを作成",
                            "create the runbook's alarms: `sam deploy --parameter-overrides CreateRunbookAlarms=true`",
                        )
                        .to_owned()
                } else if c.differs.contains(&"actions-disabled") {
                    format!("`aws cloudwatch enable-alarm-actions --alarm-names {alarm}`")
                } else {
                    self.ja_en(
                        format!("{alarm} のしきい値と通知先を運用手順どおりに戻す（`sam deploy` で再作成）"),
                        format!("restore {alarm}'s threshold and action as the runbook states (redeploy with `sam deploy`)"),
                    )
                }
            }
            "runbook-secret-rotation" => format!(
                "`aws secretsmanager rotate-secret --secret-id {} --rotation-rules AutomaticallyAfterDays={} --no-rotate-immediately`",
                t.secret,
                shown(&r["days"])
            ),
            _ => self.ops_action(&[format!(
                r#"{{"action": "set-cloudfront-ttl", "cache_policy": "{}", "default_ttl": {}}}"#,
                t.cache_policy.unwrap_or_default(),
                shown(&c.runbook)
            )]),
        };
        self.ja_en(
            format!("{}: 運用手順の値に戻す: {fix}。意図した変更なら運用手順を更新してください。", c.check),
            format!("{}: restore the runbook's value: {fix}. If the change is meant to stay, update the runbook.", c.check),
        )
    }

    fn ops_action(&self, payloads: &[String]) -> String {
        let with = self.lang().pick("ops-action に", "ops-action with");
        let list: Vec<String> = payloads.iter().map(|p| format!("`{p}`")).collect();
        format!(
            "{with} {}{}",
            list.join(" / "),
            self.lang().pick(
                "（確認後に \"confirm\": true）",
                " (then again with \"confirm\": true)"
            )
        )
    }

    /// A conformance source that could not be read: its checks skipped.
    pub(crate) fn conformance_skipped(&self, check: &str, source: &str, why: &Skip) -> Finding {
        why.finding(check, source, self.lang())
            .in_section(self.conformance_section())
    }

    pub(crate) fn cache_policy_unset(&self) -> Finding {
        Finding::new(
            "runbook-cloudfront-ttl",
            FindingStatus::Skipped,
            self.lang().pick(
                "CLOUDFRONT_CACHE_POLICY_ID が未設定のため TTL は確認していません",
                "TTL not checked: CLOUDFRONT_CACHE_POLICY_ID is not set",
            ),
        )
        .in_section(self.conformance_section())
    }

    pub(crate) fn cluster_missing(&self, cluster: &str) -> Finding {
        Finding::new(
            "runbook-db-capacity",
            FindingStatus::Warning,
            self.ja_en(
                format!("{cluster}: クラスターが見つかりません（DB_CLUSTER_ID を確認）"),
                format!("{cluster}: no such cluster (check DB_CLUSTER_ID)"),
            ),
        )
        .in_section(self.conformance_section())
    }

    // ------------------------------------------------- automation health

    pub(crate) fn rotation_stuck(
        &self,
        secret: &str,
        version: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> Finding {
        match version {
            None => Finding::new(
                "secret-rotation-stuck",
                FindingStatus::Ok,
                self.ja_en(
                    format!("{secret}: 途中で止まったローテーションはありません"),
                    format!("{secret}: no rotation left unfinished"),
                ),
            ),
            Some(version) => {
                let began = since
                    .map(|t| format_local(t, self.tz()))
                    .unwrap_or_else(|| "—".into());
                Finding::new(
                    "secret-rotation-stuck",
                    FindingStatus::Critical,
                    self.ja_en(
                        format!("{secret}: ローテーションが完了していません（AWSPENDING のバージョン {version}、開始 {began}）"),
                        format!("{secret}: a rotation began and never finished (AWSPENDING version {version}, began {began})"),
                    ),
                )
            }
        }
    }

    pub(crate) fn rotation_stuck_remedy(&self, secret: &str) -> String {
        self.ja_en(
            format!("{secret}: rotate-db-secret のログと失敗キューで原因を確認し、`aws secretsmanager rotate-secret --secret-id {secret}` で再実行してください（AWSCURRENT のログインは保たれています）。"),
            format!("{secret}: find the cause in rotate-db-secret's logs and the failure queue, then retry: `aws secretsmanager rotate-secret --secret-id {secret}` (logins with AWSCURRENT keep working)."),
        )
    }

    pub(crate) fn failures(&self, waiting: Option<i64>, queue: Option<&str>) -> Finding {
        match (waiting, queue) {
            (Some(0), Some(queue)) => Finding::new(
                "automation-failures",
                FindingStatus::Ok,
                self.ja_en(
                    format!("失敗キュー {queue} は空です"),
                    format!("the failure queue {queue} is empty"),
                ),
            ),
            (Some(n), Some(queue)) => Finding::new(
                "automation-failures",
                FindingStatus::Warning,
                self.ja_en(
                    format!("失敗キュー {queue} に {n} 件の失敗した実行があります"),
                    format!("{n} failed runs wait in the failure queue {queue}"),
                ),
            )
            .measured(n as f64, 0.0),
            _ => Finding::new(
                "automation-failures",
                FindingStatus::Skipped,
                self.lang().pick(
                    "FAILURE_QUEUE_URL が未設定のため失敗キューは確認していません",
                    "failure queue not checked: FAILURE_QUEUE_URL is not set",
                ),
            ),
        }
    }

    pub(crate) fn failures_remedy(&self, queue: &str) -> String {
        self.ja_en(
            format!("失敗した実行を読む: `aws sqs receive-message --queue-url {queue} --max-number-of-messages 10`（原因を直したら削除）"),
            format!("read the failed runs: `aws sqs receive-message --queue-url {queue} --max-number-of-messages 10` (delete them once the cause is fixed)"),
        )
    }

    // --------------------------------------------------- scheduled changes

    pub(crate) fn certificate(&self, c: &Certificate, status: FindingStatus, days: i64) -> Finding {
        let till = c
            .valid_till
            .map(|t| format_local(t, self.tz()))
            .unwrap_or_default();
        let ca = c.ca.as_deref().unwrap_or("—");
        Finding::new(
            "db-ca-expiry",
            status,
            self.ja_en(
                format!(
                    "{}: CA {ca} のサーバー証明書は {till} まで（残り {days} 日）",
                    c.instance
                ),
                format!(
                    "{}: the server certificate (CA {ca}) is valid until {till} ({days} days left)",
                    c.instance
                ),
            ),
        )
        .measured(days as f64, crate::conformance::CA_WARN_DAYS as f64)
        .in_section(self.scheduled_section())
    }

    pub(crate) fn certificate_remedy(&self, c: &Certificate) -> String {
        self.ja_en(
            format!("{}: 新しい CA（例 rds-ca-rsa2048-g1）をクライアントの信頼ストアに入れてから `aws rds modify-db-instance --db-instance-identifier {} --ca-certificate-identifier rds-ca-rsa2048-g1` をメンテナンスウィンドウで実行してください。", c.instance, c.instance),
            format!("{}: add the new CA (e.g. rds-ca-rsa2048-g1) to the clients' trust store, then run `aws rds modify-db-instance --db-instance-identifier {} --ca-certificate-identifier rds-ca-rsa2048-g1` in the maintenance window.", c.instance, c.instance),
        )
    }

    pub(crate) fn maintenance(&self, m: &ScheduledChange, status: FindingStatus) -> Finding {
        let when = m.date.map(|t| format_local(t, self.tz()));
        let detail = match when {
            Some(when) => self.ja_en(
                format!(
                    "{}: {}（{}）— AWS が {when} に適用します",
                    m.resource, m.action, m.description
                ),
                format!(
                    "{}: {} ({}) — AWS applies it on {when}",
                    m.resource, m.action, m.description
                ),
            ),
            None => self.ja_en(
                format!(
                    "{}: {}（{}）— 適用日は未定（オプトインで適用）",
                    m.resource, m.action, m.description
                ),
                format!(
                    "{}: {} ({}) — no date (applied when opted in)",
                    m.resource, m.action, m.description
                ),
            ),
        };
        Finding::new("db-pending-maintenance", status, detail).in_section(self.scheduled_section())
    }

    pub(crate) fn maintenance_remedy(&self, m: &ScheduledChange, arn: &str) -> String {
        self.ja_en(
            format!("{}: AWS の適用日より前に、運用手順のメンテナンスウィンドウで適用できます: `aws rds apply-pending-maintenance-action --resource-identifier {arn} --apply-action {} --opt-in-type next-maintenance`", m.resource, m.action),
            format!("{}: apply it before AWS does, in the runbook's maintenance window: `aws rds apply-pending-maintenance-action --resource-identifier {arn} --apply-action {} --opt-in-type next-maintenance`", m.resource, m.action),
        )
    }

    pub(crate) fn nothing_scheduled(&self, check: &str, what: &str) -> Finding {
        Finding::new(
            check,
            FindingStatus::Ok,
            self.ja_en(
                format!("{what}: 予定された変更はありません"),
                format!("{what}: nothing scheduled"),
            ),
        )
        .in_section(self.scheduled_section())
    }

    pub(crate) fn scheduled_skipped(&self, check: &str, source: &str, why: &Skip) -> Finding {
        why.finding(check, source, self.lang())
            .in_section(self.scheduled_section())
    }
}
