//! The words of a drill's reports, in Japanese and English.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use shared::time::format_local;
use shared::{Action, ActionResult, Error, Finding, FindingStatus, Lang, Report, ReportBuilder};

use crate::FUNCTION;
use crate::config::DrillConfig;
use crate::drill::{CAPACITY, Log, TAG_VERIFIED, step_schedule};
use crate::request::{DrillState, Verified};

/// How an invocation's report ends the drill (or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// A dry run's plan: nothing created.
    Plan,
    /// The drill goes on: the report is returned, not published.
    Continues,
    /// The drill is over: the one notification.
    Final,
    /// The drill cluster's name is taken by something not this drill's.
    Refused,
}

/// Report texts in one language, with what every text names.
#[derive(Debug, Clone)]
pub(crate) struct Texts {
    lang: Lang,
    tz: Tz,
    drill_cluster: String,
    drill_instance: String,
    secret: String,
    timeout_minutes: u64,
    min_tables: i64,
}

fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    ((to - from).num_seconds().max(0) as f64 / 6.0).round() / 10.0
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    ((to - from).num_seconds().max(0) as f64 / 360.0).round() / 10.0
}

impl Texts {
    pub(crate) fn new(config: &DrillConfig) -> Self {
        Texts {
            lang: config.common.lang,
            tz: config.common.timezone,
            drill_cluster: config.drill_cluster_id.clone(),
            drill_instance: config.drill_instance_id(),
            secret: config.common.db_secret_id.clone(),
            timeout_minutes: config.timeout.as_secs() / 60,
            min_tables: config.min_tables,
        }
    }

    fn ja_en(&self, ja: String, en: String) -> String {
        self.lang.choose(ja, en)
    }

    pub(crate) fn no_snapshot(&self) -> Finding {
        Finding::new(
            "snapshot",
            FindingStatus::Critical,
            self.ja_en(
                "訓練できる available な手動スナップショットがありません（nightly-snapshot が動いていない可能性があります）".into(),
                "there is no available manual snapshot to drill (nightly-snapshot may not be running)".into(),
            ),
        )
    }

    pub(crate) fn no_source(&self) -> Finding {
        Finding::new(
            "source-cluster",
            FindingStatus::Critical,
            self.ja_en(
                "本番クラスターが見つからないため、復元先のサブネットグループとセキュリティグループが決まりません".into(),
                "the production cluster is not found: the drill cannot take its subnet group and security groups".into(),
            ),
        )
    }

    pub(crate) fn refused(&self, name: &str, other_drill: Option<&str>) -> Finding {
        let detail = match other_drill {
            Some(other) => self.ja_en(
                format!("{name} は別の復元訓練 (drill-id={other}) のリソースです。何も変更していません（その訓練の後片付けを待つか、不要なら削除してください）"),
                format!("{name} belongs to another drill (drill-id={other}); nothing touched (let that drill clean up, or delete it if it is left over)"),
            ),
            None => self.ja_en(
                format!("{name} は restore-drill が作成したものではありません。何も変更していません"),
                format!("{name} was not created by restore-drill; nothing touched"),
            ),
        };
        Finding::new("drill-cluster", FindingStatus::Critical, detail)
    }

    pub(crate) fn snapshot_finding(&self, state: &DrillState, now: DateTime<Utc>) -> Finding {
        let age = state.snapshot_created_at.map(|c| hours(c, now));
        let when = state
            .snapshot_created_at
            .map(|c| format_local(c, self.tz))
            .unwrap_or_else(|| "?".into());
        let mut f = Finding::new(
            "snapshot",
            FindingStatus::Ok,
            self.ja_en(
                format!(
                    "スナップショット {} ({when} 取得、{} 時間前)",
                    state.snapshot,
                    age.map_or("?".into(), |a| a.to_string())
                ),
                format!(
                    "snapshot {} (taken {when}, {} hours ago)",
                    state.snapshot,
                    age.map_or("?".into(), |a| a.to_string())
                ),
            ),
        );
        if let Some(age) = age {
            f.value = Some(age);
        }
        f
    }

    pub(crate) fn restore_action(
        &self,
        state: &DrillState,
        engine: &str,
        version: Option<&str>,
        subnet_group: Option<&str>,
        security_groups: &[String],
        result: ActionResult,
    ) -> Action {
        let what = format!(
            "{} → {} ({engine} {}, {}–{} ACU, subnet group {}, security groups {}, tags created-by=restore-drill drill-id={})",
            state.snapshot,
            self.drill_cluster,
            version.unwrap_or("?"),
            CAPACITY.0,
            CAPACITY.1,
            subnet_group.unwrap_or("-"),
            if security_groups.is_empty() {
                "-".to_owned()
            } else {
                security_groups.join(",")
            },
            state.id
        );
        let detail = match result {
            ActionResult::Done => self.ja_en(
                format!("復元を開始しました: {what}"),
                format!("restore started: {what}"),
            ),
            ActionResult::Planned => self.ja_en(
                format!("復元予定: {what}"),
                format!("would restore: {what}"),
            ),
            ActionResult::Skipped => self.ja_en(
                "この訓練の復元は開始済みです（再試行: 二重には作成しません）".into(),
                "this drill's restore already started (a retry: nothing made twice)".into(),
            ),
            ActionResult::Failed => self.ja_en(
                format!("復元に失敗しました: {what}"),
                format!("restore failed: {what}"),
            ),
        };
        Action::new("restore-cluster", &self.drill_cluster, result, detail)
    }

    pub(crate) fn deadline_action(
        &self,
        id: &str,
        at: DateTime<Utc>,
        result: ActionResult,
    ) -> Action {
        let when = format_local(at, self.tz);
        let detail = match result {
            ActionResult::Skipped => self.ja_en(
                format!("期限 ({when}) の後片付けスケジュールは作成済みです"),
                format!("the deadline cleanup ({when}) is already scheduled"),
            ),
            ActionResult::Planned => self.ja_en(
                format!("{when} に期限の後片付け（DRILL_TIMEOUT_MINUTES={}）を予約予定", self.timeout_minutes),
                format!("would schedule the deadline cleanup at {when} (DRILL_TIMEOUT_MINUTES={})", self.timeout_minutes),
            ),
            _ => self.ja_en(
                format!("{when} に期限の後片付け（DRILL_TIMEOUT_MINUTES={}）を予約しました: 途中で連鎖が途切れてもクラスターは残りません", self.timeout_minutes),
                format!("deadline cleanup scheduled at {when} (DRILL_TIMEOUT_MINUTES={}): a lost chain never leaves the cluster running", self.timeout_minutes),
            ),
        };
        Action::new(
            "schedule-deadline",
            crate::drill::deadline_schedule(id),
            result,
            detail,
        )
    }

    pub(crate) fn continue_action(&self, state: &DrillState, result: ActionResult) -> Action {
        let detail = match result {
            ActionResult::Planned => self.ja_en(
                "1 分ごとに自身を呼び出して進捗を確認する予定".into(),
                "would continue itself every minute".into(),
            ),
            _ => self.ja_en(
                format!("1 分後に続き ({}) を実行します", state.step.as_str()),
                format!("continues ({}) in a minute", state.step.as_str()),
            ),
        };
        Action::new(
            "schedule-continuation",
            step_schedule(&state.id, state.seq),
            result,
            detail,
        )
    }

    pub(crate) fn instance_action(&self, id: &str, result: ActionResult) -> Action {
        let detail = match result {
            ActionResult::Done => self.ja_en(
                "クラスターが available になったため db.serverless インスタンスを作成しました"
                    .into(),
                "the cluster is available: db.serverless instance created".into(),
            ),
            _ => self.ja_en(
                "db.serverless インスタンスの作成に失敗しました".into(),
                "creating the db.serverless instance failed".into(),
            ),
        };
        Action::new("create-instance", id, result, detail)
    }

    pub(crate) fn mark_verified_action(
        &self,
        snapshot: &str,
        day: &str,
        result: ActionResult,
    ) -> Action {
        let detail = match result {
            ActionResult::Done => self.ja_en(
                format!("検証済みとしてタグ {TAG_VERIFIED}={day} を付けました"),
                format!("tagged {TAG_VERIFIED}={day}"),
            ),
            _ => self.ja_en(
                format!("タグ {TAG_VERIFIED}={day} を付けられませんでした（daily-health の restore-drill-age に反映されません）"),
                format!("could not tag {TAG_VERIFIED}={day} (daily-health's restore-drill-age will not see it)"),
            ),
        };
        Action::new("tag-snapshot", snapshot, result, detail)
    }

    pub(crate) fn delete_action(
        &self,
        id: &str,
        result: ActionResult,
        err: Option<&Error>,
    ) -> Action {
        let why = err.map(|e| e.brief()).unwrap_or_default();
        let detail = match result {
            ActionResult::Done => {
                self.ja_en("削除を開始しました".into(), "deletion started".into())
            }
            ActionResult::Skipped => self.ja_en(
                format!("まだ削除できる状態ではありません（次の呼び出しで再試行）: {why}"),
                format!("not deletable yet (tried again next time): {why}"),
            ),
            _ => self.ja_en(
                format!("削除に失敗しました: {why}"),
                format!("deletion failed: {why}"),
            ),
        };
        Action::new("delete", id, result, detail)
    }

    pub(crate) fn failed_to(&self, operation: &str, err: &Error) -> String {
        self.ja_en(
            format!("{operation} に失敗しました: {}", err.brief()),
            format!("{operation} failed: {}", err.brief()),
        )
    }

    pub(crate) fn read_failed(&self, operation: &str, err: &Error) -> Finding {
        Finding::new(
            "read-back",
            FindingStatus::Skipped,
            self.ja_en(
                format!(
                    "{operation} が失敗したため次の呼び出しで確認します: {}",
                    err.brief()
                ),
                format!(
                    "{operation} failed; checked again next time: {}",
                    err.brief()
                ),
            ),
        )
    }

    pub(crate) fn cluster_vanished(&self, id: &str) -> String {
        self.ja_en(
            format!("復元中のクラスター {id} が見つかりません（誰かが削除した可能性があります）"),
            format!("the restoring cluster {id} is gone (someone may have deleted it)"),
        )
    }

    pub(crate) fn restore_failed(&self, id: &str, status: &str) -> String {
        self.ja_en(
            format!("{id} の状態が {status} になり、復元は失敗しました"),
            format!("{id} went {status}: the restore failed"),
        )
    }

    pub(crate) fn waiting(
        &self,
        id: &str,
        status: &str,
        state: &DrillState,
        now: DateTime<Utc>,
    ) -> Finding {
        let m = minutes(state.started_at, now);
        Finding::new(
            "restore",
            FindingStatus::Ok,
            self.ja_en(
                format!("{id} は {status} です（開始から {m} 分）"),
                format!("{id} is {status} ({m} min since the start)"),
            ),
        )
    }

    pub(crate) fn no_endpoint(&self, id: &str) -> String {
        self.ja_en(
            format!("{id} はエンドポイントを返しません"),
            format!("{id} reports no endpoint"),
        )
    }

    pub(crate) fn no_login(&self, host: &str, port: u16, why: &str) -> String {
        self.ja_en(
            format!("{host}:{port} にログインできません: {why}"),
            format!("cannot log in to {host}:{port}: {why}"),
        )
    }

    pub(crate) fn checks_failed(&self, verified: &Verified, config: &DrillConfig) -> String {
        let failed: Vec<String> = verified
            .queries
            .iter()
            .filter(|q| q.status != "ok")
            .map(|q| q.name.clone())
            .collect();
        let tables_short = verified.tables.is_none_or(|t| t < config.min_tables);
        let mut what = failed;
        if tables_short {
            what.insert(0, "tables".into());
        }
        self.ja_en(
            format!(
                "ログインはできましたが、データの確認に失敗しました: {}",
                what.join(", ")
            ),
            format!("logged in, but the data checks failed: {}", what.join(", ")),
        )
    }

    /// The login, the tables and the queries.
    pub(crate) fn verified_findings(&self, state: &DrillState) -> Vec<Finding> {
        let mut out = Vec::new();
        let Some(v) = &state.verified else {
            return out;
        };
        if let (Some(at), Some(credentials)) = (v.logged_in_at, &v.credentials) {
            let rto = minutes(state.started_at, at);
            let detail = if credentials == "AWSPREVIOUS" {
                self.ja_en(
                    format!("{} の AWSPREVIOUS でログインできました（スナップショットは直近のローテーション前のものです）。開始から {rto} 分 (RTO)", self.secret),
                    format!("logged in with {}'s AWSPREVIOUS (the snapshot predates the last rotation), {rto} min after the start (RTO)", self.secret),
                )
            } else {
                self.ja_en(
                    format!(
                        "{} の AWSCURRENT でログインできました。開始から {rto} 分 (RTO)",
                        self.secret
                    ),
                    format!(
                        "logged in with {}'s AWSCURRENT, {rto} min after the start (RTO)",
                        self.secret
                    ),
                )
            };
            out.push(
                Finding::new("login", FindingStatus::Ok, detail)
                    .measured(rto, self.timeout_minutes as f64),
            );
            let tables = v.tables;
            let ok = tables.is_some_and(|t| t >= self.min_tables);
            let shown = tables.map_or("?".into(), |t| t.to_string());
            let mut f = Finding::new(
                "tables",
                FindingStatus::ok_if(ok, FindingStatus::Critical),
                self.ja_en(
                    format!(
                        "ユーザーテーブル {shown} 個（DRILL_MIN_TABLES {} 以上）",
                        self.min_tables
                    ),
                    format!(
                        "{shown} user tables (DRILL_MIN_TABLES: at least {})",
                        self.min_tables
                    ),
                ),
            );
            if let Some(t) = tables {
                f = f.measured(t as f64, self.min_tables as f64);
            }
            out.push(f);
            for q in &v.queries {
                let ok = q.status == "ok";
                let detail = match (&q.value, &q.error) {
                    (Some(value), _) => self.ja_en(
                        format!("{}: {value}（{} 以上）", q.name, q.min),
                        format!("{}: {value} (at least {})", q.name, q.min),
                    ),
                    (None, error) => self.ja_en(
                        format!(
                            "{}: 失敗しました: {}",
                            q.name,
                            error.as_deref().unwrap_or("?")
                        ),
                        format!("{}: failed: {}", q.name, error.as_deref().unwrap_or("?")),
                    ),
                };
                let mut f = Finding::new(
                    "verify-query",
                    FindingStatus::ok_if(ok, FindingStatus::Critical),
                    detail,
                );
                if let Some(value) = q.value {
                    f = f.measured(value as f64, q.min as f64);
                }
                out.push(f);
            }
        }
        out
    }

    /// What the last report says beyond this invocation's own findings.
    pub(crate) fn final_findings(&self, state: &DrillState, cleaned_up: bool) -> Vec<Finding> {
        let mut out = self.verified_findings(state);
        let logged_in = state
            .verified
            .as_ref()
            .is_some_and(|v| v.logged_in_at.is_some());
        if let Some(failure) = &state.failure
            && !logged_in
        {
            out.push(Finding::new(
                "restore",
                FindingStatus::Critical,
                failure.clone(),
            ));
        }
        if state.timed_out {
            out.push(Finding::new(
                "deadline",
                FindingStatus::Critical,
                self.ja_en(
                    format!("訓練が DRILL_TIMEOUT_MINUTES ({} 分) を超えたため、期限の後片付けを実行しました", self.timeout_minutes),
                    format!("the drill ran past DRILL_TIMEOUT_MINUTES ({} min): the deadline cleanup ran", self.timeout_minutes),
                ),
            ));
        }
        if cleaned_up {
            out.push(Finding::new(
                "cleanup",
                FindingStatus::Ok,
                self.ja_en(
                    format!(
                        "{} と {} は削除済みです",
                        self.drill_instance, self.drill_cluster
                    ),
                    format!(
                        "{} and {} are deleted",
                        self.drill_instance, self.drill_cluster
                    ),
                ),
            ));
        }
        out
    }

    pub(crate) fn cleanup_gave_up(&self, left: &[String]) -> Finding {
        Finding::new(
            "cleanup",
            FindingStatus::Critical,
            self.ja_en(
                format!(
                    "期限を 60 分過ぎても削除が終わりません。残っているもの: {}",
                    left.join(", ")
                ),
                format!(
                    "still not deleted 60 min past the deadline; left: {}",
                    left.join(", ")
                ),
            ),
        )
    }

    fn next_steps(&self, state: &DrillState, log: &Log, ending: Ending) -> Vec<String> {
        let mut steps = Vec::new();
        let passed = state.verified.as_ref().is_some_and(|v| v.passed);
        match ending {
            Ending::Plan | Ending::Continues => return steps,
            Ending::Refused => steps.push(self.ja_en(
                format!("{c} を確認してください。restore-drill が作ったものでなければ DRILL_CLUSTER_ID を別の名前にしてください。前回の訓練の残りなら削除してください: `aws rds delete-db-instance --db-instance-identifier {i}` → `aws rds delete-db-cluster --db-cluster-identifier {c} --skip-final-snapshot`", c = self.drill_cluster, i = self.drill_instance),
                format!("Check {c}. If restore-drill did not create it, set DRILL_CLUSTER_ID to another name. If a previous drill left it, delete it: `aws rds delete-db-instance --db-instance-identifier {i}` then `aws rds delete-db-cluster --db-cluster-identifier {c} --skip-final-snapshot`", c = self.drill_cluster, i = self.drill_instance),
            )),
            Ending::Final => {
                if passed && !state.timed_out && log.cleaned_up {
                    steps.push(self.ja_en(
                        format!("対応は不要です。スナップショット {} は復元・ログイン・データ確認ができることを確認しました（タグ {TAG_VERIFIED}）", state.snapshot),
                        format!("Nothing to do: snapshot {} is proven to restore, log in and hold its data (tag {TAG_VERIFIED})", state.snapshot),
                    ));
                }
                if let Some(failure) = &state.failure {
                    let remedy = if failure.contains("AWSPREVIOUS") {
                        self.ja_en(
                            format!("スナップショット取得時のパスワードが {} の AWSCURRENT・AWSPREVIOUS のどちらとも一致しません。ローテーション履歴 (rotate-db-secret) を確認し、実際のリストアで使う認証情報を運用マニュアルに記録してください", self.secret),
                            format!("The snapshot's password matches neither AWSCURRENT nor AWSPREVIOUS of {}: check the rotation history (rotate-db-secret) and write down the credentials a real restore would need", self.secret),
                        )
                    } else if failure.contains("unreachable") || failure.contains("到達") || failure.contains("no answer") {
                        self.ja_en(
                            "Lambda から復元クラスターの 5432 番ポートへ届きません: DRILL_SECURITY_GROUP_IDS と関数の VPC 設定（DbSubnetIds / DbSecurityGroupIds）を確認してください".into(),
                            "Lambda cannot reach the restored cluster on port 5432: check DRILL_SECURITY_GROUP_IDS and the function's VPC settings (DbSubnetIds / DbSecurityGroupIds)".into(),
                        )
                    } else {
                        self.ja_en(
                            format!("運用マニュアルのバックアップ・リストア手順でスナップショット {} を手動で復元して原因を確認してください（RDS イベント: `aws rds describe-events --source-type db-cluster --source-identifier {}`）", state.snapshot, self.drill_cluster),
                            format!("Restore snapshot {} by hand with the runbook's backup/restore procedure to find the cause (RDS events: `aws rds describe-events --source-type db-cluster --source-identifier {}`)", state.snapshot, self.drill_cluster),
                        )
                    };
                    steps.push(remedy);
                }
                if state.timed_out {
                    steps.push(self.ja_en(
                        format!("復元が {} 分以内に終わりませんでした。RDS イベントで遅れの原因を確認し、必要なら DRILL_TIMEOUT_MINUTES を見直してください", self.timeout_minutes),
                        format!("The restore did not finish within {} min: check the RDS events for the delay, and revisit DRILL_TIMEOUT_MINUTES if needed", self.timeout_minutes),
                    ));
                }
                if !log.cleaned_up {
                    steps.push(self.ja_en(
                        format!("残っている訓練用リソースを削除してください（課金が続きます）: `aws rds delete-db-instance --db-instance-identifier {i}` → `aws rds delete-db-cluster --db-cluster-identifier {c} --skip-final-snapshot`", i = self.drill_instance, c = self.drill_cluster),
                        format!("Delete what the drill left (it keeps billing): `aws rds delete-db-instance --db-instance-identifier {i}` then `aws rds delete-db-cluster --db-cluster-identifier {c} --skip-final-snapshot`", i = self.drill_instance, c = self.drill_cluster),
                    ));
                }
            }
        }
        steps
    }

    /// The report of the drill so far.
    pub(crate) fn report(
        &self,
        log: &Log,
        state: &DrillState,
        step: &str,
        ending: Ending,
        dry_run: bool,
    ) -> Report {
        let now = Utc::now();
        let mut b = ReportBuilder::new(
            FUNCTION,
            if ending == Ending::Plan {
                state.started_at
            } else {
                now.max(state.started_at)
            },
            dry_run,
        );
        for f in &log.findings {
            b.finding(f.clone());
        }
        for a in &log.actions {
            b.action(a.clone());
        }
        for s in self.next_steps(state, log, ending) {
            b.next_step(s);
        }
        let v = state.verified.as_ref();
        let rto = v
            .and_then(|v| v.logged_in_at)
            .map(|at| minutes(state.started_at, at));
        let age = state
            .snapshot_created_at
            .map(|c| hours(c, state.started_at));
        let step = if ending == Ending::Final {
            "report"
        } else {
            step
        };
        b.extra("drill_id", &state.id)
            .extra("snapshot", &state.snapshot)
            .extra("snapshot_age_hours", age)
            .extra("rto_minutes", rto)
            .extra("credentials", v.and_then(|v| v.credentials.clone()))
            .extra("tables", v.and_then(|v| v.tables))
            .extra("queries", v.map(|v| v.queries.clone()).unwrap_or_default())
            .extra("cleaned_up", log.cleaned_up)
            .extra("step", step)
            .extra("drill_cluster", &self.drill_cluster)
            .extra("timed_out", state.timed_out);
        if let Some(failure) = &state.failure {
            b.extra("failure", failure);
        }
        let passed = v.is_some_and(|v| v.passed)
            && !state.timed_out
            && state.failure.is_none()
            && log.cleaned_up;
        let since = minutes(state.started_at, now);
        let (title, summary) = match ending {
            Ending::Plan => (
                self.ja_en(
                    format!("復元訓練の計画: {} → {}", state.snapshot, self.drill_cluster),
                    format!("Restore drill plan: {} → {}", state.snapshot, self.drill_cluster),
                ),
                self.ja_en(
                    format!("ドライラン: 何も作成していません。実行すると {} を {} として復元し、ログインとデータを確認して削除します（期限 {} 分）。", state.snapshot, self.drill_cluster, self.timeout_minutes),
                    format!("Dry run: nothing created. A drill restores {} as {}, logs in, checks the data and deletes it (deadline {} min).", state.snapshot, self.drill_cluster, self.timeout_minutes),
                ),
            ),
            Ending::Continues => (
                self.ja_en(
                    format!("復元訓練 {}: {step}（開始から {since} 分）", state.id),
                    format!("Restore drill {}: {step} ({since} min since the start)", state.id),
                ),
                self.ja_en(
                    format!("{} を {} として復元中です。最後の呼び出しだけが通知します。", state.snapshot, self.drill_cluster),
                    format!("Restoring {} as {}; only the drill's last invocation notifies.", state.snapshot, self.drill_cluster),
                ),
            ),
            Ending::Refused => (
                self.ja_en(
                    format!("復元訓練を中止: {} は使えません", self.drill_cluster),
                    format!("Restore drill refused: {} is taken", self.drill_cluster),
                ),
                self.ja_en(
                    format!("{} はこの訓練のものではないため、何も変更せずに中止しました。", self.drill_cluster),
                    format!("{} is not this drill's; the drill stopped without touching anything.", self.drill_cluster),
                ),
            ),
            Ending::Final if passed => {
                let rto = rto.unwrap_or_default();
                let age = age.map_or("?".into(), |a| a.to_string());
                (
                    self.ja_en(
                        format!("復元訓練 成功: {} を {rto} 分で復元・ログイン", state.snapshot),
                        format!("Restore drill passed: {} restored and logged in in {rto} min", state.snapshot),
                    ),
                    self.ja_en(
                        format!("{} ({age} 時間前のスナップショット = RPO) を {} に復元し、{rto} 分でログインできました (RTO)。{} でログイン、ユーザーテーブル {} 個、確認クエリ {} 件すべて合格。訓練用クラスターは削除済みです。",
                            state.snapshot, self.drill_cluster,
                            v.and_then(|v| v.credentials.as_deref()).unwrap_or("?"),
                            v.and_then(|v| v.tables).unwrap_or_default(),
                            v.map_or(0, |v| v.queries.len())),
                        format!("{} (a {age}-hour-old snapshot = the RPO) restored as {} and logged in to in {rto} min (RTO), with {}; {} user tables, all {} verification queries passed. The drill cluster is deleted.",
                            state.snapshot, self.drill_cluster,
                            v.and_then(|v| v.credentials.as_deref()).unwrap_or("?"),
                            v.and_then(|v| v.tables).unwrap_or_default(),
                            v.map_or(0, |v| v.queries.len())),
                    ),
                )
            }
            Ending::Final => {
                let why = state.failure.clone().unwrap_or_else(|| {
                    if state.timed_out {
                        self.ja_en("期限切れ".into(), "timed out".into())
                    } else if !log.cleaned_up {
                        self.ja_en(
                            "復元・確認はできましたが、後片付けが終わっていません".into(),
                            "restored and verified, but the cleanup did not finish".into(),
                        )
                    } else {
                        self.ja_en("確認に失敗".into(), "checks failed".into())
                    }
                });
                let left = if log.cleaned_up {
                    self.ja_en("訓練用クラスターは削除済みです。".into(), "The drill cluster is deleted.".into())
                } else {
                    self.ja_en(
                        format!("削除が残っています: {}, {}", self.drill_instance, self.drill_cluster),
                        format!("Left to delete: {}, {}", self.drill_instance, self.drill_cluster),
                    )
                };
                (
                    self.ja_en(
                        format!("復元訓練 失敗: {}", state.snapshot),
                        format!("Restore drill FAILED: {}", state.snapshot),
                    ),
                    format!("{why}. {left}"),
                )
            }
        };
        b.build(&title, summary)
    }
}
