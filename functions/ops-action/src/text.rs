//! The words of ops-action reports, in Japanese and English: the current
//! value, the value asked for, what was (or would be) done and how to
//! confirm it.

use shared::{Action, ActionResult, Finding, FindingStatus, Lang};

use crate::s3::EXAMPLE_KEYS;

/// Texts in the report language.
#[derive(Debug, Clone)]
pub(crate) struct Texts {
    lang: Lang,
}

fn examples(keys: &[String]) -> String {
    let shown: Vec<&str> = keys.iter().take(EXAMPLE_KEYS).map(String::as_str).collect();
    let more = keys.len().saturating_sub(EXAMPLE_KEYS);
    if more > 0 {
        format!("{} …(+{more})", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

impl Texts {
    pub(crate) fn new(lang: Lang) -> Self {
        Texts { lang }
    }

    fn ja_en(&self, ja: String, en: String) -> String {
        self.lang.choose(ja, en)
    }

    pub(crate) fn none(&self) -> String {
        self.lang.pick("なし", "none").to_owned()
    }

    /// What became of an action, as a phrase: done, planned, already so.
    fn outcome(&self, result: ActionResult) -> &'static str {
        match result {
            ActionResult::Done => self.lang.pick("変更しました", "changed"),
            ActionResult::Planned => self.lang.pick(
                "計画のみ（\"confirm\": true で実行）",
                "plan only (send again with \"confirm\": true)",
            ),
            ActionResult::Skipped => self.lang.pick(
                "すでにその値です（変更なし）",
                "already so (nothing changed)",
            ),
            ActionResult::Failed => self.lang.pick("失敗しました", "failed"),
        }
    }

    pub(crate) fn change_headline(&self, from: &str, to: &str, unit: &str) -> String {
        format!("{from}{unit} → {to}{unit}")
    }

    pub(crate) fn reserved_action(
        &self,
        function: &str,
        from: Option<i64>,
        to: i64,
        result: ActionResult,
    ) -> Action {
        let from = from.map_or_else(|| self.none(), |n| n.to_string());
        Action::new(
            "put-function-concurrency",
            function,
            result,
            self.ja_en(
                format!("予約同時実行数 {from} → {to}: {}", self.outcome(result)),
                format!(
                    "reserved concurrency {from} → {to}: {}",
                    self.outcome(result)
                ),
            ),
        )
    }

    pub(crate) fn provisioned_action(
        &self,
        target: &str,
        from: i64,
        to: i64,
        result: ActionResult,
    ) -> Action {
        let id = if to == 0 {
            "delete-provisioned-concurrency"
        } else {
            "put-provisioned-concurrency"
        };
        let note = if result == ActionResult::Done && to > 0 {
            self.lang.pick(
                "（AWS は IN_PROGRESS と答えます。数分で READY になります）",
                " (AWS answers IN_PROGRESS; it turns READY within minutes)",
            )
        } else {
            ""
        };
        Action::new(
            id,
            target,
            result,
            self.ja_en(
                format!(
                    "プロビジョンド同時実行数 {from} → {to}: {}{note}",
                    self.outcome(result)
                ),
                format!(
                    "provisioned concurrency {from} → {to}: {}{note}",
                    self.outcome(result)
                ),
            ),
        )
    }

    pub(crate) fn capacity_action(
        &self,
        cluster: &str,
        from: (f64, f64),
        to: (f64, f64),
        result: ActionResult,
    ) -> Action {
        Action::new(
            "modify-db-capacity",
            cluster,
            result,
            self.ja_en(
                format!(
                    "Aurora の容量 {}–{} → {}–{} ACU（ApplyImmediately）: {}",
                    from.0,
                    from.1,
                    to.0,
                    to.1,
                    self.outcome(result)
                ),
                format!(
                    "Aurora capacity {}–{} → {}–{} ACU (ApplyImmediately): {}",
                    from.0,
                    from.1,
                    to.0,
                    to.1,
                    self.outcome(result)
                ),
            ),
        )
    }

    pub(crate) fn runbook_value(
        &self,
        what: &str,
        proposed: &str,
        runbook: &str,
        equal: bool,
    ) -> Finding {
        if equal {
            return Finding::new(
                "runbook-value",
                FindingStatus::Ok,
                self.ja_en(
                    format!("{what} {proposed} は runbook の値どおりです"),
                    format!("{what} {proposed} is the runbook's value"),
                ),
            );
        }
        Finding::new(
            "runbook-value",
            FindingStatus::Warning,
            self.ja_en(
                format!("{what} {proposed} は runbook の値 {runbook} と異なります。インシデント後に戻すか、runbook を更新してください"),
                format!("{what} {proposed} differs from the runbook's {runbook}: revert after the incident, or update the runbook"),
            ),
        )
    }

    pub(crate) fn restore_action(
        &self,
        target: &str,
        snapshot: &str,
        result: ActionResult,
        with_source: bool,
    ) -> Action {
        let network = if with_source {
            self.lang.pick(
                "元のクラスターのサブネットグループ・セキュリティグループ・容量で",
                "with the source cluster's subnet group, security groups and capacity",
            )
        } else {
            self.lang.pick(
                "元のクラスターがないため runbook の容量（0.5–2 ACU）、既定のネットワークで",
                "with the runbook's capacity (0.5–2 ACU) and the default network, the source cluster being gone",
            )
        };
        let detail = match result {
            ActionResult::Skipped => self.ja_en(
                format!("{target} はすでに {snapshot} から復元済みです（2 回目の復元はしません）"),
                format!("{target} is already restored from {snapshot} (no second restore)"),
            ),
            _ => self.ja_en(
                format!("{snapshot} から {target} を復元（{network}、タグ created-by=ops-action, restored-from={snapshot}）: {}", self.outcome(result)),
                format!("restore {target} from {snapshot} ({network}; tags created-by=ops-action, restored-from={snapshot}): {}", self.outcome(result)),
            ),
        };
        Action::new("restore-db-cluster", target, result, detail)
    }

    pub(crate) fn instance_action(
        &self,
        instance: &str,
        result: ActionResult,
        status: Option<&str>,
    ) -> Action {
        let detail = match (result, status) {
            (ActionResult::Skipped, Some("available")) | (ActionResult::Skipped, None) => self.ja_en(
                format!("インスタンス {instance}（db.serverless）はすでにあります"),
                format!("instance {instance} (db.serverless) already exists"),
            ),
            (ActionResult::Skipped, Some(status)) => self.ja_en(
                format!("クラスターはまだ {status} です。利用可能になったら同じペイロードをもう一度送ってください（インスタンス {instance} を作成します）"),
                format!("the cluster is still {status}: run the same payload again once it is available (it creates {instance})"),
            ),
            _ => self.ja_en(
                format!("インスタンス {instance}（db.serverless）を作成: {}", self.outcome(result)),
                format!("create instance {instance} (db.serverless): {}", self.outcome(result)),
            ),
        };
        Action::new("create-db-instance", instance, result, detail)
    }

    pub(crate) fn restored_next(&self, target: &str, endpoint: &str) -> String {
        self.ja_en(
            format!("{target} のエンドポイント: {endpoint}。データを確認し、切り替える場合は DB シークレットの host をこのエンドポイントに更新してください。"),
            format!("{target}'s endpoint: {endpoint}. Check the data; to switch over, update the DB secret's host to this endpoint."),
        )
    }

    pub(crate) fn restore_headline(&self, snapshot: &str, target: &str) -> String {
        format!("{snapshot} → {target}")
    }

    pub(crate) fn snapshot_counts(
        &self,
        cluster: &str,
        manual: usize,
        automated: usize,
        quota: usize,
    ) -> Finding {
        Finding::new(
            "snapshots",
            FindingStatus::Ok,
            self.ja_en(
                format!("{cluster}: 手動 {manual} 件・自動 {automated} 件（リージョンの手動スナップショット {quota} 件）"),
                format!("{cluster}: {manual} manual, {automated} automated (manual snapshots in the Region: {quota})"),
            ),
        )
        .measured(quota as f64, 100.0)
    }

    pub(crate) fn snapshot_headline(&self, manual: usize, automated: usize) -> String {
        self.ja_en(
            format!("手動 {manual}・自動 {automated}"),
            format!("{manual} manual, {automated} automated"),
        )
    }

    pub(crate) fn copy_action(
        &self,
        destination: &str,
        keys: &[String],
        copied: usize,
        failed: &[(String, String)],
        result: ActionResult,
    ) -> Action {
        let detail = match result {
            ActionResult::Skipped => self
                .lang
                .pick(
                    "コピーするオブジェクトはありません（同期済み）",
                    "nothing to copy (already in sync)",
                )
                .to_owned(),
            ActionResult::Failed => self.ja_en(
                format!(
                    "{} 件中 {copied} 件をコピー、{} 件失敗（例: {}）",
                    keys.len(),
                    failed.len(),
                    failed
                        .iter()
                        .take(EXAMPLE_KEYS)
                        .map(|(k, c)| format!("{k} {c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "copied {copied} of {}, {} failed (e.g. {})",
                    keys.len(),
                    failed.len(),
                    failed
                        .iter()
                        .take(EXAMPLE_KEYS)
                        .map(|(k, c)| format!("{k} {c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            _ => self.ja_en(
                format!(
                    "{} 件をコピー（最新バージョン、メタデータ保持）: {}。例: {}",
                    keys.len(),
                    self.outcome(result),
                    examples(keys)
                ),
                format!(
                    "copy {} objects (latest versions, metadata kept): {}. E.g. {}",
                    keys.len(),
                    self.outcome(result),
                    examples(keys)
                ),
            ),
        };
        Action::new("copy-objects", destination, result, detail)
    }

    pub(crate) fn delete_action(
        &self,
        destination: &str,
        keys: &[String],
        asked: bool,
        deleted: usize,
        result: ActionResult,
    ) -> Action {
        let detail = match (result, asked) {
            (ActionResult::Skipped, _) if keys.is_empty() => self.lang.pick("コピー先にだけあるオブジェクトはありません", "nothing only in the destination").to_owned(),
            (ActionResult::Skipped, false) => self.ja_en(
                format!("コピー先にだけある {} 件は残します（削除するには \"delete\": true）。例: {}", keys.len(), examples(keys)),
                format!("keeping {} objects only in the destination (\"delete\": true deletes them). E.g. {}", keys.len(), examples(keys)),
            ),
            (ActionResult::Done, _) | (ActionResult::Failed, _) => self.ja_en(
                format!("コピー先にだけある {} 件のうち {deleted} 件を削除（1,000 件ずつ）。例: {}", keys.len(), examples(keys)),
                format!("deleted {deleted} of {} objects only in the destination (1,000 a request). E.g. {}", keys.len(), examples(keys)),
            ),
            _ => self.ja_en(
                format!("コピー先にだけある {} 件を削除: {}。例: {}", keys.len(), self.outcome(result), examples(keys)),
                format!("delete {} objects only in the destination: {}. E.g. {}", keys.len(), self.outcome(result), examples(keys)),
            ),
        };
        Action::new("delete-objects", destination, result, detail)
    }

    pub(crate) fn sync_headline(
        &self,
        source: &str,
        destination: &str,
        copy: usize,
        delete: usize,
    ) -> String {
        self.ja_en(
            format!("{source} → {destination}: コピー {copy}・削除 {delete}"),
            format!("{source} → {destination}: copy {copy}, delete {delete}"),
        )
    }

    pub(crate) fn version_action(
        &self,
        bucket: &str,
        key: &str,
        version: &str,
        latest: &str,
        result: ActionResult,
    ) -> Action {
        Action::new(
            "restore-object-version",
            format!("{bucket}/{key}"),
            result,
            self.ja_en(
                format!("{key} の最新バージョン {latest} を、{version} のコピーで置き換え（古いバージョンは残ります）: {}", self.outcome(result)),
                format!("make a copy of {version} the latest version of {key} (now {latest}; older versions are kept): {}", self.outcome(result)),
            ),
        )
    }

    pub(crate) fn invalidation_action(
        &self,
        distribution: &str,
        paths: &[String],
        result: ActionResult,
    ) -> Action {
        let detail = match result {
            ActionResult::Skipped => self
                .lang
                .pick(
                    "このイベントの無効化はすでに作成済みです（再試行では作りません）",
                    "this event's invalidation was already made (a retry makes none)",
                )
                .to_owned(),
            _ => self.ja_en(
                format!("{} を無効化: {}", paths.join(", "), self.outcome(result)),
                format!("invalidate {}: {}", paths.join(", "), self.outcome(result)),
            ),
        };
        Action::new("create-invalidation", distribution, result, detail)
    }

    pub(crate) fn invalidation_headline(&self, paths: &[String]) -> String {
        examples(paths)
    }

    pub(crate) fn ttl_action(
        &self,
        policy: &str,
        from: i64,
        to: i64,
        result: ActionResult,
    ) -> Action {
        Action::new(
            "update-cache-policy-ttl",
            policy,
            result,
            self.ja_en(
                format!("既定の TTL {from} → {to} 秒: {}", self.outcome(result)),
                format!("default TTL {from} → {to} s: {}", self.outcome(result)),
            ),
        )
    }

    pub(crate) fn title(
        &self,
        action: &str,
        target: &str,
        headline: &str,
        state: RunState,
    ) -> String {
        let tag = match state {
            RunState::Plan => self.lang.pick("[計画]", "[plan]"),
            RunState::DryRun => self.lang.pick("[ドライラン]", "[dry run]"),
            RunState::Changed => self.lang.pick("[実行]", "[done]"),
            RunState::Unchanged => self.lang.pick("[変更なし]", "[no change]"),
            RunState::Read => self.lang.pick("[確認]", "[status]"),
        };
        format!("{tag} {action} {target}: {headline}")
    }

    pub(crate) fn summary(&self, state: RunState) -> String {
        match state {
            RunState::Plan => self.lang.pick(
                "計画です。何も変更していません。内容を確認し、同じペイロードに \"confirm\": true を付けて送ると実行します。",
                "This is the plan; nothing was changed. Check it, then send the same payload with \"confirm\": true to carry it out.",
            ),
            RunState::DryRun => self.lang.pick(
                "ドライランです（confirm 済みでも何も変更していません）。",
                "Dry run: nothing was changed, confirmed or not.",
            ),
            RunState::Changed => self.lang.pick("実行しました。", "Carried out."),
            RunState::Unchanged => self.lang.pick(
                "すでに求められたとおりです。何も変更していません（通知もしません）。",
                "Everything already is as asked: nothing was changed (and nothing notified).",
            ),
            RunState::Read => self.lang.pick("読み取りのみです。", "Read-only."),
        }
        .to_owned()
    }

    pub(crate) fn confirm_step(&self, action: &str) -> String {
        self.ja_en(
            format!("実行するには: `aws lambda invoke --function-name <ops-action> --cli-binary-format raw-in-base64-out --payload '{{\"action\": \"{action}\", …, \"confirm\": true}}' out.json`（同じフィールドで）"),
            format!("To carry it out: `aws lambda invoke --function-name <ops-action> --cli-binary-format raw-in-base64-out --payload '{{\"action\": \"{action}\", …, \"confirm\": true}}' out.json` (same fields)"),
        )
    }
}

/// What a run amounted to, for its title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunState {
    /// Not confirmed: the plan.
    Plan,
    /// Confirmed, but a dry run.
    DryRun,
    /// Something was changed.
    Changed,
    /// Confirmed, and everything already was as asked.
    Unchanged,
    /// A read-only action.
    Read,
}
