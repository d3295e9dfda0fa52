//! The words of a key-rotation report, in Japanese and English.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use shared::time::format_local;
use shared::{Action, ActionResult, Error, Finding, FindingStatus, Lang};

use shared::report::masked_key_id;

use crate::iam::UnmanagedKey;
use crate::plan::{KeyAction, NextAction, Warning, age_days};

/// Report texts in one language and zone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Texts {
    lang: Lang,
    tz: Tz,
}

impl Texts {
    pub(crate) fn new(lang: Lang, tz: Tz) -> Self {
        Texts { lang, tz }
    }

    fn ja_en(&self, ja: String, en: String) -> String {
        self.lang.choose(ja, en)
    }

    fn date(&self, at: DateTime<Utc>) -> String {
        format_local(at, self.tz)
    }

    fn action_word(&self, action: &str) -> &'static str {
        match action {
            "rotate" => self.lang.pick("ローテーション", "rotation"),
            "deactivate" => self
                .lang
                .pick("旧キーの無効化", "deactivation of the previous key"),
            _ => self
                .lang
                .pick("無効キーの削除", "deletion of the inactive key"),
        }
    }

    /// The report action for `action` on `user`'s keys with its outcome.
    pub(crate) fn action(
        &self,
        user: &str,
        action: &KeyAction,
        result: ActionResult,
        new_key: Option<&str>,
        err: Option<&Error>,
        secret: &str,
    ) -> Action {
        let (target, what_ja, what_en) = match action {
            KeyAction::RecordDeactivation { key } => (
                key.as_str(),
                format!(
                    "無効化日が記録されていない無効キー {} に今日の日付を記録（削除はこの日付から数えます）",
                    masked_key_id(key)
                ),
                format!(
                    "recorded today as the deactivation date of inactive key {} (deletion counts from it)",
                    masked_key_id(key)
                ),
            ),
            KeyAction::DeleteOrphan { key } => (
                key.as_str(),
                format!(
                    "保存に失敗して誰も使えないキー {}（未使用・未保存）を削除",
                    masked_key_id(key)
                ),
                format!(
                    "deleted key {}: never stored nor used, its secret was lost when storing failed",
                    masked_key_id(key)
                ),
            ),
            KeyAction::Delete { key } => (
                key.as_str(),
                format!("無効化から期間を過ぎたキー {} を削除", masked_key_id(key)),
                format!(
                    "deleted inactive key {} past its deletion date",
                    masked_key_id(key)
                ),
            ),
            KeyAction::Deactivate { key } => (
                key.as_str(),
                format!(
                    "新しいキーが使われ始めたため、旧キー {} を無効化（日付をユーザーのタグに記録）",
                    masked_key_id(key)
                ),
                format!(
                    "deactivated previous key {}: the new key is in use (date recorded as a user tag)",
                    masked_key_id(key)
                ),
            ),
            KeyAction::Rotate { replaces } => (
                user,
                match new_key {
                    Some(new) => format!(
                        "キー {} を置き換える新しいキー {} を作成し、{secret} に保存",
                        masked_key_id(replaces),
                        masked_key_id(new)
                    ),
                    None => format!(
                        "キー {} を置き換える新しいキーを作成し、{secret} に保存",
                        masked_key_id(replaces)
                    ),
                },
                match new_key {
                    Some(new) => format!(
                        "created new key {} replacing {} and stored it in {secret}",
                        masked_key_id(new),
                        masked_key_id(replaces)
                    ),
                    None => format!(
                        "create a new key replacing {} and store it in {secret}",
                        masked_key_id(replaces)
                    ),
                },
            ),
            KeyAction::ForgetTag { tag } => (
                tag.as_str(),
                "削除済みキーの無効化日タグを削除".to_owned(),
                "removed the deactivation tag of a key that no longer exists".to_owned(),
            ),
        };
        let target = if matches!(
            action,
            KeyAction::Rotate { .. } | KeyAction::ForgetTag { .. }
        ) {
            user.to_owned()
        } else {
            format!("{user}/{}", masked_key_id(target))
        };
        let detail = match (result, err) {
            (ActionResult::Failed, Some(err)) => self.ja_en(
                format!("失敗: {what_ja}: {err}"),
                format!("failed: {what_en}: {err}"),
            ),
            (ActionResult::Planned, _) => {
                self.ja_en(format!("予定: {what_ja}"), format!("planned: {what_en}"))
            }
            _ => self.ja_en(what_ja, what_en),
        };
        Action::new(action.id(), target, result, detail)
    }

    pub(crate) fn rotate_failed_cleanup(&self, deleted: bool) -> String {
        if deleted {
            self.ja_en(
                "保存できなかった新しいキーは削除しました（現在のキーはそのまま有効です）".into(),
                "the new key that could not be stored was deleted (the current key stays active)"
                    .into(),
            )
        } else {
            self.ja_en(
                "保存できなかった新しいキーの削除にも失敗しました。次回の実行で未使用の孤立キーとして削除します".into(),
                "deleting the unstored new key failed too; the next run deletes it as an orphan".into(),
            )
        }
    }

    pub(crate) fn warning(&self, user: &str, warning: &Warning) -> Finding {
        let (check, status, ja, en) = match warning {
            Warning::NewKeyUnused { new, since } => (
                "new-key-unused",
                FindingStatus::Warning,
                format!(
                    "{user}: 新しいキー {} は {} の作成以来まだ使われていません。デプロイは旧キーを使い続けています（旧キーは無効化しません）",
                    masked_key_id(new),
                    self.date(*since)
                ),
                format!(
                    "{user}: new key {} has not been used since {}; deploys still use the previous key (it stays active)",
                    masked_key_id(new),
                    self.date(*since)
                ),
            ),
            Warning::PreviousKeyStillUsed {
                previous,
                last_used,
            } => (
                "previous-key-still-used",
                FindingStatus::Warning,
                format!(
                    "{user}: 旧キー {} が新しいキーより後（{}）に使われています。無効化を見送りました",
                    masked_key_id(previous),
                    self.date(*last_used)
                ),
                format!(
                    "{user}: previous key {} was used after the new one ({}); deactivation postponed",
                    masked_key_id(previous),
                    self.date(*last_used)
                ),
            ),
            Warning::RotationBlocked { inactive, until } => (
                "rotation-blocked",
                FindingStatus::Warning,
                format!(
                    "{user}: ローテーション時期ですが、無効キー {} が {} の削除日まで 2 つ目の枠を使っています",
                    masked_key_id(inactive),
                    self.date(*until)
                ),
                format!(
                    "{user}: rotation is due but inactive key {} holds the second slot until its deletion on {}",
                    masked_key_id(inactive),
                    self.date(*until)
                ),
            ),
            Warning::RotationWaitsForDeactivation { previous } => (
                "rotation-waits",
                FindingStatus::Warning,
                format!(
                    "{user}: ローテーション時期ですが、有効なキーが 2 つあります。旧キー {} の無効化・削除の後にローテーションします",
                    masked_key_id(previous)
                ),
                format!(
                    "{user}: rotation is due but both slots hold active keys; it follows once {} is retired",
                    masked_key_id(previous)
                ),
            ),
            Warning::NoActiveKey => (
                "no-active-key",
                FindingStatus::Warning,
                format!(
                    "{user}: 有効なアクセスキーがありません。ローテーションは行いません（封じ込め中のユーザーを復活させないため）"
                ),
                format!(
                    "{user}: no active access key; nothing is rotated (a contained user stays contained)"
                ),
            ),
            Warning::StoredKeyNotActive { stored } => (
                "stored-key-not-active",
                FindingStatus::Warning,
                format!(
                    "{user}: Secrets Manager に保存されたキー {} は有効なキーではありません",
                    masked_key_id(stored)
                ),
                format!(
                    "{user}: the key stored in Secrets Manager ({}) is not an active key",
                    masked_key_id(stored)
                ),
            ),
            Warning::StoredKeyIsPrevious { previous } => (
                "stored-key-is-previous",
                FindingStatus::Warning,
                format!(
                    "{user}: Secrets Manager の値が古い方のキー {} のままのため、無効化しません",
                    masked_key_id(previous)
                ),
                format!(
                    "{user}: Secrets Manager still holds the older key {}; it is not deactivated",
                    masked_key_id(previous)
                ),
            ),
            Warning::DueSoon(next) => (
                "due-soon",
                FindingStatus::Ok,
                format!(
                    "{user}: {} に{}（キー {}）を行う予定です",
                    self.date(next.date),
                    self.action_word(next.action),
                    masked_key_id(&next.key)
                ),
                format!(
                    "{user}: {} of key {} is due on {}",
                    self.action_word(next.action),
                    masked_key_id(&next.key),
                    self.date(next.date)
                ),
            ),
        };
        Finding::new(check, status, self.ja_en(ja, en))
    }

    pub(crate) fn all_well(&self, user: &str, next: Option<&NextAction>) -> Finding {
        let detail = match next {
            Some(next) => self.ja_en(
                format!(
                    "{user}: 対応は不要です。次は {} に{}",
                    self.date(next.date),
                    self.action_word(next.action)
                ),
                format!(
                    "{user}: nothing to do; next: {} on {}",
                    self.action_word(next.action),
                    self.date(next.date)
                ),
            ),
            None => self.ja_en(
                format!("{user}: 対応は不要です"),
                format!("{user}: nothing to do"),
            ),
        };
        Finding::new("keys", FindingStatus::Ok, detail)
    }

    pub(crate) fn exempt(&self, user: &str) -> Finding {
        Finding::new(
            "exempt",
            FindingStatus::Skipped,
            self.ja_en(
                format!("{user}: key-rotation=exempt のタグがあるため対象外です"),
                format!("{user}: tagged key-rotation=exempt, not touched"),
            ),
        )
    }

    pub(crate) fn missing_user(&self, user: &str) -> Finding {
        Finding::new(
            "user-not-found",
            FindingStatus::Critical,
            self.ja_en(
                format!("{user}: IAM ユーザーが見つかりません（ROTATE_USERS を確認してください）"),
                format!("{user}: no such IAM user (check ROTATE_USERS)"),
            ),
        )
    }

    pub(crate) fn unmanaged(&self, key: &UnmanagedKey, now: DateTime<Utc>, days: u32) -> Finding {
        let age = age_days(key.created, now);
        Finding::new(
            "unmanaged-key-age",
            FindingStatus::Warning,
            self.ja_en(
                format!("{}: 自動ローテーション対象外のキー {} が {age} 日使われ続けています（{days} 日超）", key.user, masked_key_id(&key.key)),
                format!("{}: key {} outside the automated rotation is {age} days old (over {days})", key.user, masked_key_id(&key.key)),
            ),
        )
        .measured(age as f64, f64::from(days))
    }

    pub(crate) fn title(&self, phrases: &[String], dry_run: bool) -> String {
        let prefix = if dry_run {
            self.lang.pick("[ドライラン] ", "[dry run] ")
        } else {
            ""
        };
        format!(
            "{prefix}{}: {}",
            self.lang.pick("アクセスキー", "Access keys"),
            phrases.join(", ")
        )
    }

    pub(crate) fn user_phrase(
        &self,
        user: &str,
        actions: &[Action],
        warnings: &[Warning],
    ) -> String {
        let failed = actions.iter().any(|a| a.result == ActionResult::Failed);
        let word = |id: &str| -> &'static str {
            match id {
                "create-key" => self.lang.pick("新キー作成", "new key"),
                "deactivate-key" => self.lang.pick("旧キー無効化", "previous key deactivated"),
                "delete-key" | "delete-orphan-key" => self.lang.pick("キー削除", "key deleted"),
                _ => "",
            }
        };
        let mut words: Vec<&str> = actions
            .iter()
            .map(|a| word(&a.action))
            .filter(|w| !w.is_empty())
            .collect();
        words.dedup();
        if failed {
            return format!("{user} {}", self.lang.pick("操作に失敗", "action failed"));
        }
        if !words.is_empty() {
            return format!("{user} {}", words.join(self.lang.pick("・", " + ")));
        }
        let first = warnings.iter().find(|w| !matches!(w, Warning::DueSoon(_)));
        match (first, warnings.first()) {
            (Some(Warning::NewKeyUnused { .. }), _) => format!(
                "{user} {}",
                self.lang.pick("新キー未使用", "new key unused")
            ),
            (Some(_), _) => format!("{user} {}", self.lang.pick("要確認", "needs attention")),
            (None, Some(Warning::DueSoon(next))) => format!(
                "{user} {} {}",
                self.action_word(next.action),
                self.lang.pick("予定", "due soon")
            ),
            _ => format!("{user} {}", self.lang.pick("対応不要", "OK")),
        }
    }

    pub(crate) fn next_steps(
        &self,
        warnings: &[Warning],
        rotated: bool,
        failed: bool,
        unmanaged: bool,
        secrets: &[String],
        deactivate_days: u32,
    ) -> Vec<String> {
        let mut steps = Vec::new();
        let secrets = secrets.join(", ");
        if rotated
            || warnings
                .iter()
                .any(|w| matches!(w, Warning::NewKeyUnused { .. }))
        {
            steps.push(self.ja_en(
                format!("GitHub Actions のシークレット（AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY）を Secrets Manager の {secrets} の値に更新してください。新しいキーが使われると、作成から {deactivate_days} 日後に旧キーを無効化します。"),
                format!("Update the GitHub Actions secrets (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) from Secrets Manager {secrets}; once the new key is used, the previous key is deactivated {deactivate_days} days after the new one was created."),
            ));
        }
        if warnings
            .iter()
            .any(|w| matches!(w, Warning::PreviousKeyStillUsed { .. }))
        {
            steps.push(self.ja_en(
                "旧キーを使っている箇所を CloudTrail（userIdentity.accessKeyId）で探し、新しいキーに切り替えてください。".into(),
                "Find what still uses the previous key in CloudTrail (userIdentity.accessKeyId) and switch it to the new key.".into(),
            ));
        }
        if warnings.iter().any(|w| {
            matches!(
                w,
                Warning::RotationBlocked { .. } | Warning::RotationWaitsForDeactivation { .. }
            )
        }) {
            steps.push(self.ja_en(
                "ローテーションは枠が空き次第自動で行います。急ぐ場合は、不要なことを確認した無効キーを IAM コンソールで削除してから {\"force_rotate\": true} で実行してください。".into(),
                "The rotation follows as soon as a slot is free. To hurry, delete an inactive key you have confirmed unused in the IAM console, then run with {\"force_rotate\": true}.".into(),
            ));
        }
        if warnings.iter().any(|w| {
            matches!(
                w,
                Warning::NoActiveKey
                    | Warning::StoredKeyNotActive { .. }
                    | Warning::StoredKeyIsPrevious { .. }
            )
        }) {
            steps.push(self.ja_en(
                "IAM コンソールでユーザーのキーと Secrets Manager の値を確認してください（封じ込め中なら対応不要）。".into(),
                "Check the user's keys in the IAM console against the Secrets Manager value (nothing to do if the user is contained).".into(),
            ));
        }
        if failed {
            steps.push(self.ja_en(
                "失敗した操作の内容を確認してください。現在のキーは有効なままです。次回の実行（毎日の定時実行）で再試行します。".into(),
                "Check the failed action; the current key stays active. The next scheduled daily run tries again.".into(),
            ));
        }
        if unmanaged {
            steps.push(self.ja_en(
                "自動ローテーション対象外の古いキーは、ROTATE_USERS に加えるか、使われていなければ無効化してください。".into(),
                "Add users with old keys to ROTATE_USERS, or deactivate their keys if unused.".into(),
            ));
        }
        steps
    }
}
