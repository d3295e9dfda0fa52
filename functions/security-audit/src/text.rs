//! The words of the audit, in Japanese and English: every finding names the
//! principal, the source IP, the event, the resource and the local time (a
//! user's key by its last four characters), with console links and the
//! runbook's remedy.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use shared::gather::Skip;
use shared::report::masked_key_id;
use shared::time::format_local;
use shared::{Action, ActionResult, Finding, FindingStatus, Lang, console};

/// A finding that counts calls (no threshold: any is one too many).
trait Counted {
    fn counted(self, n: usize) -> Self;
}

impl Counted for Finding {
    fn counted(mut self, n: usize) -> Self {
        self.value = Some(n as f64);
        self
    }
}

use crate::contain::{Containment, KeyContainment};
use crate::iam::{Grant, UserFacts};
use crate::review::UnusedKey;
use crate::rules::{Burst, ForeignSource, NightHours};
use crate::trail::TrailEvent;

/// Texts in the report language, times in the report zone.
#[derive(Debug, Clone)]
pub(crate) struct Texts {
    lang: Lang,
    tz: Tz,
    region: String,
}

impl Texts {
    pub(crate) fn new(lang: Lang, tz: Tz, region: &str) -> Self {
        Texts {
            lang,
            tz,
            region: region.to_owned(),
        }
    }

    pub(crate) fn ja_en(&self, ja: String, en: String) -> String {
        self.lang.choose(ja, en)
    }

    pub(crate) fn lang(&self) -> Lang {
        self.lang
    }

    pub(crate) fn time(&self, at: DateTime<Utc>) -> String {
        format_local(at, self.tz)
    }

    /// `who from where: Event (resource) at time`.
    pub(crate) fn call(&self, e: &TrailEvent) -> String {
        let ip = e.source_ip.as_deref().unwrap_or("?");
        let resources = if e.resources.is_empty() {
            String::new()
        } else {
            format!("（{}）", e.resources.join(", "))
        };
        let resources_en = if e.resources.is_empty() {
            String::new()
        } else {
            format!(" on {}", e.resources.join(", "))
        };
        self.ja_en(
            format!(
                "{} が {ip} から {}{resources} を {} に実行",
                e.principal.name(),
                e.name,
                self.time(e.time)
            ),
            format!(
                "{} called {}{resources_en} from {ip} at {}",
                e.principal.name(),
                e.name,
                self.time(e.time)
            ),
        )
    }

    pub(crate) fn event_link(&self, e: &TrailEvent) -> String {
        // A global service's event is found in the Region whose history holds it.
        console::cloudtrail_event(e.region.as_deref().unwrap_or(&self.region), &e.id)
    }

    // ------------------------------------------------------------ IAM

    fn grant(&self, g: &Grant) -> String {
        let kind = match g.kind {
            "aws-managed" => self.lang.pick("AWS 管理", "AWS managed"),
            "customer-managed" => self.lang.pick("カスタマー管理", "customer managed"),
            _ => self.lang.pick("インライン", "inline"),
        };
        match &g.group {
            Some(group) => self.ja_en(
                format!("グループ {group} の {}（{kind}）", g.policy),
                format!("{} ({kind}) through group {group}", g.policy),
            ),
            None => self.ja_en(
                format!("{}（{kind}）", g.policy),
                format!("{} ({kind})", g.policy),
            ),
        }
    }

    pub(crate) fn admin(&self, u: &UserFacts) -> Finding {
        let via: Vec<String> = u.admin_via.iter().map(|g| self.grant(g)).collect();
        Finding::new(
            "iam-admin-access",
            FindingStatus::Warning,
            self.ja_en(
                format!(
                    "{} が管理者権限を持っています: {} {}",
                    u.user,
                    via.join("、"),
                    console::iam_user(&u.user)
                ),
                format!(
                    "{} holds admin: {} {}",
                    u.user,
                    via.join(", "),
                    console::iam_user(&u.user)
                ),
            ),
        )
    }

    pub(crate) fn no_admins(&self, users: usize) -> Finding {
        Finding::new(
            "iam-admin-access",
            FindingStatus::Ok,
            self.ja_en(
                format!("管理者権限を持つ IAM ユーザーはいません（{users} 人を確認）"),
                format!("no IAM user holds admin ({users} reviewed)"),
            ),
        )
    }

    pub(crate) fn unused_key(&self, k: &UnusedKey<'_>, limit: u32) -> Finding {
        let used = match k.key.last_used {
            Some(t) => self.ja_en(
                format!("最終使用 {}", self.time(t)),
                format!("last used {}", self.time(t)),
            ),
            None => self
                .lang
                .pick("一度も使われていません", "never used")
                .to_owned(),
        };
        Finding::new(
            "iam-access-key-unused",
            FindingStatus::Warning,
            self.ja_en(
                format!(
                    "{} の有効なアクセスキー {} が {} 日使われていません（{used}）",
                    k.user,
                    masked_key_id(&k.key.id),
                    k.days
                ),
                format!(
                    "{}'s active access key {} has not been used for {} days ({used})",
                    k.user,
                    masked_key_id(&k.key.id),
                    k.days
                ),
            ),
        )
        .measured(k.days as f64, f64::from(limit))
    }

    pub(crate) fn no_unused_keys(&self, limit: u32) -> Finding {
        Finding::new(
            "iam-access-key-unused",
            FindingStatus::Ok,
            self.ja_en(
                format!("{limit} 日を超えて使われていない有効なアクセスキーはありません"),
                format!("no active access key unused for more than {limit} days"),
            ),
        )
    }

    pub(crate) fn console_without_mfa(&self, u: &UserFacts) -> Finding {
        Finding::new(
            "iam-console-without-mfa",
            FindingStatus::Warning,
            self.ja_en(
                format!(
                    "{} はコンソールのパスワードを持ち、MFA デバイスがありません {}",
                    u.user,
                    console::iam_user(&u.user)
                ),
                format!(
                    "{} has a console password and no MFA device {}",
                    u.user,
                    console::iam_user(&u.user)
                ),
            ),
        )
    }

    pub(crate) fn all_console_users_have_mfa(&self) -> Finding {
        Finding::new(
            "iam-console-without-mfa",
            FindingStatus::Ok,
            self.lang
                .pick(
                    "MFA のないコンソールユーザーはいません",
                    "every console user has MFA",
                )
                .to_owned(),
        )
    }

    // ----------------------------------------------------- CloudTrail

    /// A destructive call, worded for the status the rule gave it.
    pub(crate) fn destructive(&self, e: &TrailEvent, status: FindingStatus) -> Finding {
        let outcome = match (&e.error_code, status) {
            (Some(code), FindingStatus::Warning) => {
                self.ja_en(format!("（失敗: {code}）"), format!(" (failed: {code})"))
            }
            _ => self.lang.pick("（成功）", " (it succeeded)").to_owned(),
        };
        Finding::new(
            "cloudtrail-destructive-call",
            status,
            format!("{}{outcome} {}", self.call(e), self.event_link(e)),
        )
    }

    pub(crate) fn no_destructive(&self, names: &[String], scanned: usize) -> Finding {
        Finding::new(
            "cloudtrail-destructive-call",
            FindingStatus::Ok,
            self.ja_en(
                format!(
                    "破壊的な操作（{}）はありません（{scanned} 件を確認）",
                    names.join(", ")
                ),
                format!(
                    "no destructive call ({}) among {scanned} events",
                    names.join(", ")
                ),
            ),
        )
    }

    pub(crate) fn night(&self, user: &str, calls: &[&TrailEvent], night: NightHours) -> Finding {
        let tz = self.tz.name();
        let examples: Vec<String> = calls.iter().take(3).map(|e| self.call(e)).collect();
        Finding::new(
            "cloudtrail-night-activity",
            FindingStatus::Warning,
            self.ja_en(
                format!(
                    "{user} が夜間（{night} {tz}）に {} 回呼び出しました: {}",
                    calls.len(),
                    examples.join(" / ")
                ),
                format!(
                    "{user} made {} calls at night ({night} {tz}): {}",
                    calls.len(),
                    examples.join(" / ")
                ),
            ),
        )
        .counted(calls.len())
    }

    pub(crate) fn no_night_calls(&self, watched: &[String], night: NightHours) -> Finding {
        let tz = self.tz.name();
        Finding::new(
            "cloudtrail-night-activity",
            FindingStatus::Ok,
            self.ja_en(
                format!(
                    "監視対象（{}）の夜間（{night} {tz}）の呼び出しはありません",
                    watched.join(", ")
                ),
                format!("no calls by {} at night ({night} {tz})", watched.join(", ")),
            ),
        )
    }

    pub(crate) fn burst(&self, b: &Burst, events: &[TrailEvent], threshold: u32) -> Finding {
        let first = &events[b.events[0]];
        let last = &events[b.events[b.events.len() - 1]];
        let mut names: Vec<(&str, usize)> = Vec::new();
        for &i in &b.events {
            match names.iter_mut().find(|(n, _)| *n == events[i].name) {
                Some((_, c)) => *c += 1,
                None => names.push((&events[i].name, 1)),
            }
        }
        let names: Vec<String> = names.iter().map(|(n, c)| format!("{n}×{c}")).collect();
        let ip = first.source_ip.as_deref().unwrap_or("?");
        Finding::new(
            "cloudtrail-delete-burst",
            FindingStatus::Critical,
            self.ja_en(
                format!(
                    "{} が 60 分以内に削除を {} 回（{} 〜 {}、{ip} から）: {}",
                    b.principal.name(),
                    b.most,
                    self.time(first.time),
                    self.time(last.time),
                    names.join(", ")
                ),
                format!(
                    "{} made {} deletes within 60 minutes ({} to {}, from {ip}): {}",
                    b.principal.name(),
                    b.most,
                    self.time(first.time),
                    self.time(last.time),
                    names.join(", ")
                ),
            ),
        )
        .measured(b.most as f64, f64::from(threshold))
    }

    pub(crate) fn no_bursts(&self, threshold: u32) -> Finding {
        Finding::new(
            "cloudtrail-delete-burst",
            FindingStatus::Ok,
            self.ja_en(
                format!("60 分以内に {threshold} 回を超える削除はありません"),
                format!("no one made more than {threshold} deletes within 60 minutes"),
            ),
        )
    }

    pub(crate) fn foreign(&self, f: &ForeignSource, events: &[TrailEvent]) -> Finding {
        let first = &events[f.events[0]];
        Finding::new(
            "cloudtrail-source-ip",
            FindingStatus::Warning,
            self.ja_en(
                format!(
                    "{} が許可された CIDR の外のアドレス {} から {} 回呼び出しました（例: {}）",
                    f.principal.name(),
                    f.ip,
                    f.events.len(),
                    self.call(first)
                ),
                format!(
                    "{} made {} calls from {}, outside the allowed CIDRs (e.g. {})",
                    f.principal.name(),
                    f.events.len(),
                    f.ip,
                    self.call(first)
                ),
            ),
        )
        .counted(f.events.len())
    }

    pub(crate) fn no_foreign(&self, cidrs: usize) -> Finding {
        Finding::new(
            "cloudtrail-source-ip",
            FindingStatus::Ok,
            self.ja_en(
                format!("許可された CIDR（{cidrs} 件）の外からの呼び出しはありません"),
                format!("no calls from outside the {cidrs} allowed CIDRs"),
            ),
        )
    }

    pub(crate) fn cidrs_unset(&self) -> Finding {
        Finding::new(
            "cloudtrail-source-ip",
            FindingStatus::Skipped,
            self.lang
                .pick(
                    "AUDIT_ALLOWED_CIDRS が未設定のため送信元アドレスは確認していません",
                    "source addresses not checked: AUDIT_ALLOWED_CIDRS is not set",
                )
                .to_owned(),
        )
    }

    /// A check a real-time run does not make.
    pub(crate) fn not_in_real_time(&self, check: &str) -> Finding {
        Finding::new(
            check,
            FindingStatus::Skipped,
            self.lang
                .pick(
                    "リアルタイム: この 1 件だけを判定しました（この確認は日次の監査で行います）",
                    "real time: this one event was judged (this check is the daily audit's)",
                )
                .to_owned(),
        )
    }

    /// A source that could not be read (the shared wording).
    pub(crate) fn source_failed(&self, check: &str, source: &str, why: &Skip) -> Finding {
        why.finding(check, source, self.lang)
    }

    // ----------------------------------------------------- containment

    pub(crate) fn containment(
        &self,
        c: &KeyContainment,
        result: Option<Result<(), String>>,
    ) -> Action {
        let target = format!("{}/{}", c.user, masked_key_id(&c.key.id));
        let by_hand = format!(
            "aws iam update-access-key --user-name {} --access-key-id <{}> --status Inactive",
            c.user,
            masked_key_id(&c.key.id)
        );
        let (outcome, detail) = match (c.containment, result) {
            (Containment::Deactivate, Some(Ok(()))) => (
                ActionResult::Done,
                self.lang
                    .pick(
                        "アクセスキーを無効化しました（UpdateAccessKey Status=Inactive）。調査後、必要なら IAM コンソールで再度有効化できます",
                        "deactivated the access key (UpdateAccessKey Status=Inactive); after the investigation it can be reactivated in the IAM console",
                    )
                    .to_owned(),
            ),
            (Containment::Deactivate, failed) => {
                let code = failed
                    .and_then(Result::err)
                    .unwrap_or_else(|| "not attempted".to_owned());
                (
                    ActionResult::Failed,
                    self.ja_en(
                        format!("無効化に失敗しました（{code}）。手動で: {by_hand}"),
                        format!("could not deactivate it ({code}); by hand: {by_hand}"),
                    ),
                )
            }
            (Containment::Planned, _) => (
                ActionResult::Planned,
                self.lang
                    .pick("ドライラン: 無効化する予定です", "dry run: would deactivate it")
                    .to_owned(),
            ),
            (Containment::Recommended, _) => (
                ActionResult::Skipped,
                self.ja_en(
                    format!("AUDIT_AUTO_CONTAIN が無効なため変更していません。無効化を推奨: {by_hand}"),
                    format!("not changed (AUDIT_AUTO_CONTAIN is off); deactivate it by hand: {by_hand}"),
                ),
            ),
        };
        Action::new("deactivate-access-key", target, outcome, detail)
    }

    // ------------------------------------------------------ next steps

    pub(crate) fn contain_remedy(&self, user: &str, system: &str) -> String {
        self.ja_en(
            format!("{user}: 不正利用の可能性があります。ユーザーを無効化（アクセスキーの無効化、コンソールパスワードの削除）し、CloudTrail で前後の操作を確認してください。正当な操作でなければ、キーをローテーション（`aws lambda invoke --function-name {system}-rotate-access-keys --cli-binary-format raw-in-base64-out --payload '{{\"users\": [\"{user}\"], \"force_rotate\": true}}' out.json`）し、失われたリソースを復旧します。{}", console::iam_user(user)),
            format!("{user}: possible misuse. Disable the user (deactivate its access keys, remove its console password) and review its calls around it in CloudTrail. If it was not legitimate, rotate the keys (`aws lambda invoke --function-name {system}-rotate-access-keys --cli-binary-format raw-in-base64-out --payload '{{\"users\": [\"{user}\"], \"force_rotate\": true}}' out.json`) and restore what was lost. {}", console::iam_user(user)),
        )
    }

    pub(crate) fn restore_remedy(&self, e: &TrailEvent) -> String {
        let (what_ja, what_en) = match e.resources.is_empty() {
            true => ("対象".to_owned(), "what it acted on".to_owned()),
            false => (
                format!("対象 {}", e.resources.join(", ")),
                e.resources.join(", "),
            ),
        };
        self.ja_en(
            format!("{}: {what_ja} を確認し、必要ならスナップショットから復元してください（ops-action restore-db-snapshot、CloudTrail のログは StartLogging で再開）。{}", e.name, self.event_link(e)),
            format!("{}: check {what_en}; if needed restore it from a snapshot (ops-action restore-db-snapshot; restart trail logging with StartLogging). {}", e.name, self.event_link(e)),
        )
    }

    pub(crate) fn burst_remedy(&self, principal: &str) -> String {
        self.ja_en(
            format!("{principal}: 削除が集中しています。意図した一括削除か確認し、そうでなければ認証情報を止め（ユーザーならアクセスキーの無効化、ロールなら信頼ポリシー・セッションの取り消し）、バージョニングやスナップショットから復旧してください。"),
            format!("{principal}: a burst of deletes. Check it was an intended clean-up; otherwise stop the credentials (a user's access keys, a role's trust policy or sessions) and restore from versions or snapshots."),
        )
    }

    pub(crate) fn source_remedy(&self, principal: &str, ip: &str) -> String {
        self.ja_en(
            format!("{principal} の {ip} からの呼び出し: そのアドレスが社内・CI のものか確認し、セキュリティグループと認証情報の利用場所を見直してください。心当たりがなければキーをローテーションし、AUDIT_ALLOWED_CIDRS を更新します。"),
            format!("{principal}'s calls from {ip}: check whether the address is yours (office, CI); review the security groups and where the credentials are used. If it is unknown, rotate the keys; otherwise update AUDIT_ALLOWED_CIDRS."),
        )
    }

    pub(crate) fn night_remedy(&self, user: &str) -> String {
        self.ja_en(
            format!("{user} の夜間の呼び出し: 予定されたデプロイ・バッチか確認し、そうでなければ CloudTrail で操作内容を確認してキーをローテーションしてください。"),
            format!("{user}'s night calls: check they were a scheduled deploy or batch; otherwise review them in CloudTrail and rotate the keys."),
        )
    }

    pub(crate) fn admin_remedy(&self, user: &str) -> String {
        self.ja_en(
            format!("{user}: 管理者権限が本当に必要か確認し、必要な操作だけを許可するポリシーに置き換えてください（最小権限）。"),
            format!("{user}: check that admin is really needed and replace it with a policy allowing only what it does (least privilege)."),
        )
    }

    pub(crate) fn unused_key_remedy(&self, user: &str, suffix: &str) -> String {
        self.ja_en(
            format!("{user} のキー {suffix}: 使われていないキーは無効化し、問題がなければ削除してください。"),
            format!("{user}'s key {suffix}: deactivate an unused key, then delete it when nothing breaks."),
        )
    }

    pub(crate) fn mfa_remedy(&self, user: &str) -> String {
        self.ja_en(
            format!("{user}: MFA デバイスを登録するか、コンソールのパスワードを削除してください。"),
            format!("{user}: register an MFA device, or remove the console password."),
        )
    }

    pub(crate) fn source_failed_remedy(&self, source: &str, why: &Skip) -> String {
        why.remedy("security-audit", source, self.lang)
    }

    pub(crate) fn all_clear(&self) -> String {
        self.lang
            .pick("対応は不要です。", "Nothing to do.")
            .to_owned()
    }

    // ------------------------------------------------------ title, summary

    /// The title; `unchecked` names the sources that could not be read, so
    /// a run that missed one never reads as clean.
    pub(crate) fn daily_title(
        &self,
        now: DateTime<Utc>,
        critical: usize,
        warning: usize,
        unchecked: &[String],
    ) -> String {
        let date = now.with_timezone(&self.tz).format("%Y-%m-%d").to_string();
        let mut title = match (critical, warning) {
            (0, 0) => self.ja_en(
                format!("セキュリティ監査 {date}: 問題なし"),
                format!("Security audit {date}: all clear"),
            ),
            _ => self.ja_en(
                format!("セキュリティ監査 {date}: 重大 {critical} 件・警告 {warning} 件"),
                format!("Security audit {date}: {critical} critical, {warning} warnings"),
            ),
        };
        if !unchecked.is_empty() {
            let list = unchecked.join(", ");
            title.push_str(&self.ja_en(
                format!("（未確認: {list}）"),
                format!(" (not checked: {list})"),
            ));
        }
        title
    }

    /// `audit-source-unavailable`: the Regions whose event history could
    /// not be read; what the audit could not see.
    pub(crate) fn source_unavailable(&self, regions: &[&str]) -> Finding {
        let list = regions.join(", ");
        let global = regions.contains(&crate::config::DEFAULT_GLOBAL_REGION);
        let detail = if global {
            self.ja_en(
                format!("CloudTrail のイベント履歴を読めませんでした（{list}）。IAM・STS・コンソールサインインの記録（us-east-1 にだけ残る）を監査できていません"),
                format!("could not read CloudTrail's event history ({list}): the IAM, STS and console sign-in records (kept only in us-east-1) were not audited"),
            )
        } else {
            self.ja_en(
                format!("CloudTrail のイベント履歴を読めませんでした（{list}）。このリージョンの呼び出しを監査できていません"),
                format!("could not read CloudTrail's event history ({list}): that Region's calls were not audited"),
            )
        };
        Finding::new("audit-source-unavailable", FindingStatus::Warning, detail)
    }

    pub(crate) fn daily_summary(
        &self,
        users: Option<usize>,
        scanned: Option<usize>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> String {
        let users = users.map_or_else(|| "?".to_owned(), |n| n.to_string());
        let scanned = scanned.map_or_else(|| "?".to_owned(), |n| n.to_string());
        self.ja_en(
            format!("IAM ユーザー {users} 人と、CloudTrail のイベント {scanned} 件（{} 〜 {}）を監査しました。", self.time(start), self.time(end)),
            format!("Reviewed {users} IAM users and {scanned} CloudTrail events ({} to {}).", self.time(start), self.time(end)),
        )
    }

    pub(crate) fn real_time_title(&self, e: &TrailEvent) -> String {
        let ip = e.source_ip.as_deref().unwrap_or("?");
        let on = e.resources.first().map(String::as_str).unwrap_or("-");
        self.ja_en(
            format!("{}: {}（{ip}）→ {on}", e.name, e.principal.name()),
            format!("{} by {} from {ip} on {on}", e.name, e.principal.name()),
        )
    }

    pub(crate) fn real_time_summary(&self, e: &TrailEvent) -> String {
        let outcome = match &e.error_code {
            Some(code) => self.ja_en(format!("失敗（{code}）"), format!("failed ({code})")),
            None => self.lang.pick("成功", "succeeded").to_owned(),
        };
        self.ja_en(
            format!(
                "リアルタイム検知: {}。結果: {outcome}。\nCloudTrail: {}",
                self.call(e),
                self.event_link(e)
            ),
            format!(
                "Detected in real time: {}. Outcome: {outcome}.\nCloudTrail: {}",
                self.call(e),
                self.event_link(e)
            ),
        )
    }
}
