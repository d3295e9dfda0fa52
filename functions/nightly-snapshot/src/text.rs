//! The words of a snapshot report, in Japanese and English.

use chrono_tz::Tz;
use shared::render::number;
use shared::report::worst_severity;
use shared::time::format_local;
use shared::{Action, ActionResult, Error, Finding, FindingStatus, Lang, ReportBuilder, Severity};

use crate::Creation;
use crate::config::SnapshotConfig;
use crate::event::SnapshotRequest;
use crate::plan::{PreviousSnapshot, QUOTA_WARN_PERCENT, QuotaLevel};

/// Report texts in one language.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Texts {
    lang: Lang,
}

impl Texts {
    pub(crate) fn new(lang: Lang) -> Self {
        Texts { lang }
    }

    fn ja_en(&self, ja: String, en: String) -> String {
        self.lang.choose(ja, en)
    }

    pub(crate) fn cluster_status(&self, cluster: &str, status: &str) -> Finding {
        let ok = status == "available";
        let detail = if ok {
            self.ja_en(
                format!("クラスター {cluster} は available です"),
                format!("cluster {cluster} is available"),
            )
        } else {
            self.ja_en(
                format!("クラスター {cluster} の状態は {status} です（available ではないため、スナップショットが作成できない場合があります）"),
                format!("cluster {cluster} is {status}, not available: the snapshot may not be possible"),
            )
        };
        let status = FindingStatus::ok_if(ok, FindingStatus::Warning);
        Finding::new("cluster-status", status, detail)
    }

    pub(crate) fn create_action(
        &self,
        id: &str,
        creation: Creation,
        request: &SnapshotRequest,
    ) -> Action {
        let tags = format!(
            "created-by=nightly-snapshot, trigger={}, reason={}",
            request.trigger.as_str(),
            request.reason
        );
        let detail = match creation {
            Creation::Created => self.ja_en(
                format!("手動スナップショットを作成しました（タグ: {tags}）"),
                format!("manual snapshot created (tags: {tags})"),
            ),
            Creation::AlreadyExisted => self.ja_en(
                "同じ時刻のイベントで作成済みのため、新たには作成していません（再試行として成功）"
                    .to_owned(),
                "already created for this event time; nothing new created (a retry succeeds)"
                    .to_owned(),
            ),
            Creation::Planned => self.ja_en(
                format!("作成予定（タグ: {tags}）"),
                format!("would create (tags: {tags})"),
            ),
        };
        Action::new("create-snapshot", id, creation.result(), detail)
    }

    pub(crate) fn delete_action(
        &self,
        id: &str,
        result: ActionResult,
        err: Option<&Error>,
        config: &SnapshotConfig,
    ) -> Action {
        let days = config.retention.retention;
        let keep = config.retention.keep_min;
        let detail = match (result, err) {
            (ActionResult::Failed, Some(err)) => self.ja_en(
                format!("削除に失敗しました: {err}"),
                format!("delete failed: {err}"),
            ),
            (ActionResult::Planned, _) => self.ja_en(
                format!("保持期間 {days} 日を過ぎ、最新 {keep} 世代にも入らないため削除予定"),
                format!("would delete: older than {days} days and not among the newest {keep}"),
            ),
            _ => self.ja_en(
                format!("保持期間 {days} 日を過ぎ、最新 {keep} 世代にも入らないため削除しました"),
                format!("deleted: older than {days} days and not among the newest {keep}"),
            ),
        };
        Action::new("delete-snapshot", id, result, detail)
    }

    pub(crate) fn previous_finding(&self, previous: &PreviousSnapshot<'_>, tz: Tz) -> Finding {
        match previous {
            PreviousSnapshot::None => Finding::new(
                "previous-snapshot",
                FindingStatus::Ok,
                self.ja_en(
                    "この機能が以前に作成したスナップショットはありません（初回の実行）".to_owned(),
                    "no earlier snapshot of this function (first run)".to_owned(),
                ),
            ),
            PreviousSnapshot::Available(s) => Finding::new(
                "previous-snapshot",
                FindingStatus::Ok,
                self.ja_en(
                    format!(
                        "前回のスナップショット {} ({}) は available です",
                        s.id,
                        format_local(s.created, tz)
                    ),
                    format!(
                        "previous snapshot {} ({}) is available",
                        s.id,
                        format_local(s.created, tz)
                    ),
                ),
            ),
            PreviousSnapshot::InProgress(s, age) => {
                let hours = age.num_minutes() as f64 / 60.0;
                let too_long = *age >= crate::plan::CREATING_TOO_LONG;
                Finding::new(
                    "previous-snapshot",
                    if too_long {
                        FindingStatus::Warning
                    } else {
                        FindingStatus::Ok
                    },
                    self.ja_en(
                        format!(
                            "前回のスナップショット {} はまだ作成中です（{} 時間経過）",
                            s.id,
                            number(hours)
                        ),
                        format!(
                            "previous snapshot {} is still creating ({} h)",
                            s.id,
                            number(hours)
                        ),
                    ),
                )
                .measured(hours, crate::plan::CREATING_TOO_LONG.num_hours() as f64)
            }
            PreviousSnapshot::Broken(s) => Finding::new(
                "previous-snapshot",
                FindingStatus::Critical,
                self.ja_en(
                    format!(
                        "前回のスナップショット {} の状態が {} です（available になっていません）",
                        s.id, s.status
                    ),
                    format!(
                        "previous snapshot {} is {}, it never became available",
                        s.id, s.status
                    ),
                ),
            ),
        }
    }

    pub(crate) fn quota_finding(&self, used: u32, quota: u32, level: QuotaLevel) -> Finding {
        let warn_at = f64::from(quota) * f64::from(QUOTA_WARN_PERCENT) / 100.0;
        let percent = f64::from(used) * 100.0 / f64::from(quota);
        let (status, ja_note, en_note) = match level {
            QuotaLevel::Ok => (FindingStatus::Ok, String::new(), String::new()),
            QuotaLevel::Warning => (
                FindingStatus::Warning,
                format!("（{QUOTA_WARN_PERCENT} % 以上）"),
                format!(" (at or above {QUOTA_WARN_PERCENT} %)"),
            ),
            QuotaLevel::Full => (
                FindingStatus::Critical,
                "（上限に達しています。次回のスナップショットは失敗します）".to_owned(),
                " (quota reached: the next snapshot will fail)".to_owned(),
            ),
        };
        Finding::new(
            "snapshot-quota",
            status,
            self.ja_en(
                format!("リージョン全体の手動クラスタースナップショット {used} / {quota} 件 ({} %){ja_note}", number(percent)),
                format!("{used} of {quota} manual cluster snapshots in the region ({} %){en_note}", number(percent)),
            ),
        )
        .measured(f64::from(used), warn_at)
    }

    pub(crate) fn next_steps(
        &self,
        report: &ReportBuilder,
        quota: QuotaLevel,
        dry_run: bool,
        config: &SnapshotConfig,
    ) -> Vec<String> {
        let mut steps = Vec::new();
        if dry_run {
            steps.push(self.ja_en(
                "ドライランです。実行するには \"dry_run\": false で再実行してください。".to_owned(),
                "This was a dry run. Run again with \"dry_run\": false to apply it.".to_owned(),
            ));
        }
        if report
            .actions()
            .iter()
            .any(|a| a.result == ActionResult::Failed)
        {
            steps.push(self.ja_en(
                "削除に失敗したスナップショットを RDS コンソールで確認してください。次回の実行で再度削除を試みます。".to_owned(),
                "Check the snapshots that could not be deleted in the RDS console; the next run tries again.".to_owned(),
            ));
        }
        let previous_bad = report
            .findings()
            .iter()
            .any(|f| f.check == "previous-snapshot" && f.status != FindingStatus::Ok);
        if previous_bad {
            steps.push(self.ja_en(
                "前回のスナップショットの状態を RDS コンソールで確認し、必要なら {\"reason\": \"retake\"} で手動実行して取り直してください。".to_owned(),
                "Check the previous snapshot in the RDS console; if needed take a new one by hand with {\"reason\": \"retake\"}.".to_owned(),
            ));
        }
        if quota != QuotaLevel::Ok {
            steps.push(self.ja_en(
                format!(
                    "不要な手動スナップショット（他ツール・keep=true を含む）を整理するか、SNAPSHOT_RETENTION_DAYS（現在 {} 日）を短くしてください。必要なら Service Quotas で上限 {} の引き上げを申請してください。",
                    config.retention.retention, config.quota
                ),
                format!(
                    "Remove unneeded manual snapshots (including other tools' and keep=true ones) or shorten SNAPSHOT_RETENTION_DAYS (now {} days); if needed, request a higher quota than {} in Service Quotas.",
                    config.retention.retention, config.quota
                ),
            ));
        }
        let cluster_bad = report
            .findings()
            .iter()
            .any(|f| f.check == "cluster-status" && f.status != FindingStatus::Ok);
        if cluster_bad {
            steps.push(self.ja_en(
                "クラスターの状態を RDS コンソールで確認してください（停止中なら起動後に手動実行してください）。".to_owned(),
                "Check the cluster's state in the RDS console (if stopped, start it and run this by hand).".to_owned(),
            ));
        }
        if steps.is_empty() && worst_severity(report.findings(), report.actions()) == Severity::Info
        {
            steps.push(self.ja_en(
                "対応は不要です。復元が必要なときは ops-action の restore-db-snapshot を使ってください。".to_owned(),
                "Nothing to do. To restore, use ops-action's restore-db-snapshot.".to_owned(),
            ));
        }
        steps
    }

    pub(crate) fn title(
        &self,
        id: &str,
        creation: Creation,
        pruned: usize,
        severity: Severity,
    ) -> String {
        let head = match (creation, self.lang) {
            (Creation::Created, Lang::Ja) => format!("DBスナップショット作成: {id}"),
            (Creation::Created, Lang::En) => format!("DB snapshot created: {id}"),
            (Creation::AlreadyExisted, Lang::Ja) => format!("DBスナップショット作成済み: {id}"),
            (Creation::AlreadyExisted, Lang::En) => format!("DB snapshot already exists: {id}"),
            (Creation::Planned, Lang::Ja) => {
                format!("[ドライラン] DBスナップショット作成予定: {id}")
            }
            (Creation::Planned, Lang::En) => format!("[dry run] DB snapshot planned: {id}"),
        };
        let mut title = head;
        if pruned > 0 {
            title.push_str(&self.ja_en(
                format!("（古い {pruned} 件を削除）"),
                format!(" ({pruned} old pruned)"),
            ));
        }
        match severity {
            Severity::Info => title,
            Severity::Warning => {
                self.ja_en(format!("【要確認】{title}"), format!("[CHECK] {title}"))
            }
            Severity::Critical => {
                self.ja_en(format!("【重大】{title}"), format!("[CRITICAL] {title}"))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn summary(
        &self,
        cluster: &str,
        cluster_status: &str,
        id: &str,
        creation: Creation,
        request: &SnapshotRequest,
        to_prune: &[String],
        quota_used: u32,
        config: &SnapshotConfig,
    ) -> String {
        let trigger = request.trigger.as_str();
        let reason = &request.reason;
        let days = config.retention.retention;
        let keep = config.retention.keep_min;
        let first = match creation {
            Creation::Created => self.ja_en(
                format!("クラスター {cluster}（{cluster_status}）の手動スナップショット {id} を作成しました（トリガー: {trigger}、理由: {reason}）。"),
                format!("Created manual snapshot {id} of cluster {cluster} ({cluster_status}); trigger {trigger}, reason {reason}."),
            ),
            Creation::AlreadyExisted => self.ja_en(
                format!("スナップショット {id} はこのイベントで作成済みです。再試行のため新たには作成していません。"),
                format!("Snapshot {id} already exists for this event; a retry creates nothing new."),
            ),
            Creation::Planned => self.ja_en(
                format!("ドライラン: クラスター {cluster}（{cluster_status}）のスナップショット {id} を作成する予定です（トリガー: {trigger}、理由: {reason}）。"),
                format!("Dry run: would create snapshot {id} of cluster {cluster} ({cluster_status}); trigger {trigger}, reason {reason}."),
            ),
        };
        let verb_ja = if request.dry_run {
            "削除予定です"
        } else {
            "削除しました"
        };
        let verb_en = if request.dry_run {
            "would be pruned"
        } else {
            "pruned"
        };
        let second = if to_prune.is_empty() {
            self.ja_en(
                format!("保持期間 {days} 日・最新 {keep} 世代の方針で、削除対象の古いスナップショットはありません。"),
                format!("Retention {days} days, newest {keep} always kept: nothing to prune."),
            )
        } else {
            self.ja_en(
                format!("保持期間 {days} 日・最新 {keep} 世代の方針で、古い自作スナップショット {} 件を{verb_ja}。", to_prune.len()),
                format!("Retention {days} days, newest {keep} always kept: {} old snapshots {verb_en}.", to_prune.len()),
            )
        };
        let third = self.ja_en(
            format!(
                "手動スナップショット数（リージョン全体）: {quota_used} / {}。",
                config.quota
            ),
            format!(
                "Manual snapshots in the region: {quota_used} of {}.",
                config.quota
            ),
        );
        format!("{first}\n{second}\n{third}")
    }
}
