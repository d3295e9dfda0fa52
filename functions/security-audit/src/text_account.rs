//! The words of the account-wide rules (root, console sign-in, IAM
//! changes): findings with the principal, the address, the event and the
//! time, and the runbook's remedies (無効化, キーのローテーション).

use shared::{Finding, FindingStatus};

use crate::account::{FailedSignIns, IamChange};
use crate::suppress::Suppression;
use crate::text::Texts;
use crate::trail::TrailEvent;
use crate::trail_health::{TrailHealth, TrailState};

impl Texts {
    pub(crate) fn root(&self, e: &TrailEvent) -> Finding {
        let mfa = match e.facts.sign_in.and_then(|s| s.mfa_used) {
            Some(false) => self.lang().pick("（MFA なし）", " (without MFA)"),
            _ => "",
        };
        Finding::new(
            "cloudtrail-root-activity",
            FindingStatus::Critical,
            format!("{}{mfa} {}", self.call(e), self.event_link(e)),
        )
    }

    pub(crate) fn no_root(&self, scanned: usize) -> Finding {
        Finding::new(
            "cloudtrail-root-activity",
            FindingStatus::Ok,
            self.ja_en(
                format!("root ユーザーの操作はありません（{scanned} 件を確認）"),
                format!("no activity of the root user among {scanned} events"),
            ),
        )
    }

    pub(crate) fn root_remedy(&self) -> String {
        self.ja_en(
            "root が使われました: 本人による作業か確認し、そうでなければ root のパスワードを変更し、MFA を確認し、root のアクセスキーがあれば無効化・削除してください。日常の作業は IAM ユーザー・ロールで行います。".to_owned(),
            "root was used: confirm it was planned work; if not, change root's password, check its MFA, and deactivate and delete any root access key. Day-to-day work belongs to IAM users and roles.".to_owned(),
        )
    }

    pub(crate) fn sign_in_failures(&self, f: &FailedSignIns, events: &[TrailEvent]) -> Finding {
        let last = f.events.iter().map(|&i| events[i].time).max();
        let when = last.map(|t| self.time(t)).unwrap_or_default();
        let mut finding = Finding::new(
            "cloudtrail-console-login",
            FindingStatus::Warning,
            self.ja_en(
                format!(
                    "{} のコンソールサインインが {} から {} 回失敗しました（最後は {when}）",
                    f.principal.name(),
                    f.source,
                    f.events.len()
                ),
                format!(
                    "{} failed to sign in to the console from {} {} times (last at {when})",
                    f.principal.name(),
                    f.source,
                    f.events.len()
                ),
            ),
        );
        finding.value = Some(f.events.len() as f64);
        finding
    }

    pub(crate) fn sign_in_without_mfa(&self, user: &str, calls: &[&TrailEvent]) -> Finding {
        let examples: Vec<String> = calls.iter().take(3).map(|e| self.call(e)).collect();
        let mut finding = Finding::new(
            "cloudtrail-console-login",
            FindingStatus::Warning,
            self.ja_en(
                format!(
                    "{user} が MFA なしでコンソールにサインインしました（{} 回）: {}",
                    calls.len(),
                    examples.join("; ")
                ),
                format!(
                    "{user} signed in to the console without MFA ({} times): {}",
                    calls.len(),
                    examples.join("; ")
                ),
            ),
        );
        finding.value = Some(calls.len() as f64);
        finding
    }

    pub(crate) fn no_sign_in_issues(&self) -> Finding {
        Finding::new(
            "cloudtrail-console-login",
            FindingStatus::Ok,
            self.ja_en(
                "失敗したコンソールサインインも、MFA なしのサインインもありません".to_owned(),
                "no failed console sign-in and none without MFA".to_owned(),
            ),
        )
    }

    pub(crate) fn sign_in_remedy(&self, who: &str, source: Option<&str>) -> String {
        match source {
            Some(ip) => self.ja_en(
                format!("{who} の {ip} からのサインイン失敗: 本人の打ち間違いか確認し、そうでなければパスワードを変更し、MFA を必須にして、そのアドレスをセキュリティグループ・WAF で遮断してください。"),
                format!("{who}'s failed sign-ins from {ip}: check it was the user's own typo; if not, change the password, require MFA and block the address (security groups, WAF)."),
            ),
            None => self.ja_en(
                format!("{who}: MFA デバイスを登録し、MFA のないコンソールサインインを拒否するポリシーを付けてください。"),
                format!("{who}: register an MFA device and attach a policy that denies console use without MFA."),
            ),
        }
    }

    pub(crate) fn iam_change(&self, e: &TrailEvent, change: IamChange) -> Finding {
        let grant = &e.facts.grant;
        let target = grant
            .target
            .as_deref()
            .map(|t| self.ja_en(format!("対象 {t}"), format!("on {t}")));
        let policy = grant.policy_arn.as_deref().map(|arn| {
            let name = arn.rsplit('/').next().unwrap_or(arn);
            self.ja_en(format!("ポリシー {name}"), format!("policy {name}"))
        });
        let mut notes: Vec<String> = target.into_iter().chain(policy).collect();
        if change.grants_admin {
            notes.push(self.ja_en("管理者権限".into(), "admin access".into()));
        }
        if let Some(code) = &e.error_code {
            notes.push(self.ja_en(format!("失敗: {code}"), format!("failed: {code}")));
        }
        if change.trusted {
            notes.push(self.ja_en(
                "信頼済みのプリンシパル（AUDIT_TRUSTED_PRINCIPALS）".into(),
                "a trusted principal (AUDIT_TRUSTED_PRINCIPALS)".into(),
            ));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("（{}）", notes.join("、"))
        };
        Finding::new(
            "cloudtrail-iam-change",
            change.status(),
            format!("{}{notes} {}", self.call(e), self.event_link(e)),
        )
    }

    pub(crate) fn no_iam_changes(&self, names: &[String]) -> Finding {
        Finding::new(
            "cloudtrail-iam-change",
            FindingStatus::Ok,
            self.ja_en(
                format!(
                    "権限を与える・認証情報を作る IAM の操作（{}）はありません",
                    names.join(", ")
                ),
                format!(
                    "no IAM call that grants access or creates credentials ({})",
                    names.join(", ")
                ),
            ),
        )
    }

    pub(crate) fn iam_change_remedy(&self, e: &TrailEvent, change: IamChange) -> String {
        let who = e.principal.name();
        let target = e.facts.grant.target.as_deref().unwrap_or("?");
        if change.grants_admin {
            self.ja_en(
                format!("{who} が {target} に管理者権限を与えました（{}）: 承認された変更か確認し、そうでなければポリシーを外し（aws iam detach-user-policy / delete-user-policy）、{who} の認証情報を無効化してキーをローテーションしてください。", e.name),
                format!("{who} granted admin to {target} ({}): confirm the change was approved; if not, remove the policy (aws iam detach-user-policy / delete-user-policy), deactivate {who}'s credentials and rotate the keys.", e.name),
            )
        } else {
            self.ja_en(
                format!("{who} の {}（対象 {target}）: 承認された変更か確認し、そうでなければ元に戻して {who} のキーをローテーションしてください。", e.name),
                format!("{who}'s {} on {target}: confirm it was approved; if not, undo it and rotate {who}'s keys.", e.name),
            )
        }
    }
}

impl Texts {
    pub(crate) fn trail_health(&self, health: &TrailHealth, trails: &[TrailState]) -> Finding {
        let detail = match health {
            TrailHealth::Covered(name) => self.ja_en(
                format!("証跡 {name}: 全リージョン・グローバルサービスのイベントを含み、記録中です"),
                format!("trail {name}: multi-Region, includes the global services' events, logging"),
            ),
            TrailHealth::DeliveryFailing { name, error } => self.ja_en(
                format!("証跡 {name}: 記録中ですが、S3 バケットへの最新の配信に失敗しています（LatestDeliveryError: {error}）"),
                format!("trail {name}: logging, but its latest delivery to the S3 bucket failed (LatestDeliveryError: {error})"),
            ),
            TrailHealth::Uncovered => {
                let seen: Vec<String> = trails.iter().map(|t| self.trail_gaps(t)).collect();
                let seen = if seen.is_empty() {
                    self.lang().pick("証跡がありません", "there is no trail").to_owned()
                } else {
                    seen.join(", ")
                };
                self.ja_en(
                    format!("全リージョン・グローバルサービスのイベントを含み、記録中の証跡がありません（{seen}）。リアルタイムの検知と 90 日を超える監査ができません"),
                    format!("no trail is multi-Region, includes the global services' events and is logging ({seen}): the real-time rules and any audit beyond 90 days depend on one"),
                )
            }
        };
        Finding::new("cloudtrail-trail-health", health.status(), detail)
    }

    fn trail_gaps(&self, t: &TrailState) -> String {
        let mut gaps = Vec::new();
        if !t.multi_region {
            gaps.push(self.lang().pick("単一リージョン", "single Region"));
        }
        if !t.global_events {
            gaps.push(
                self.lang()
                    .pick("グローバルイベントなし", "no global events"),
            );
        }
        if !t.logging {
            gaps.push(self.lang().pick("記録停止中", "not logging"));
        }
        format!("{}: {}", t.name, gaps.join("・"))
    }

    pub(crate) fn trail_health_remedy(&self, health: &TrailHealth) -> Option<String> {
        match health {
            TrailHealth::Covered(_) => None,
            TrailHealth::DeliveryFailing { name, .. } => Some(self.ja_en(
                format!("証跡 {name}: 配信先 S3 バケットのバケットポリシー（と KMS キー）が CloudTrail の書き込みを許可しているか確認してください。"),
                format!("trail {name}: check that the S3 bucket's policy (and KMS key) lets CloudTrail write."),
            )),
            TrailHealth::Uncovered => Some(self.ja_en(
                "CloudTrail: `aws cloudtrail create-trail --name <name> --s3-bucket-name <bucket> --is-multi-region-trail --include-global-service-events` の後 `aws cloudtrail start-logging --name <name>`（既存の証跡なら update-trail / start-logging）。StopLogging が誰によるものかも確認してください。".to_owned(),
                "CloudTrail: `aws cloudtrail create-trail --name <name> --s3-bucket-name <bucket> --is-multi-region-trail --include-global-service-events`, then `aws cloudtrail start-logging --name <name>` (an existing trail: update-trail / start-logging). Check who stopped it, too.".to_owned(),
            )),
        }
    }
}

impl Texts {
    /// A finding an active suppression covers: `ok`, with the reason.
    pub(crate) fn suppressed(&self, finding: Finding, s: &Suppression) -> Finding {
        let until = s.until.format("%Y-%m-%d");
        let note = self.ja_en(
            format!("抑止中: {}（{until} まで）", s.reason),
            format!("suppressed: {} (until {until})", s.reason),
        );
        Finding {
            status: FindingStatus::Ok,
            detail: format!("{note} — {}", finding.detail),
            ..finding
        }
    }

    pub(crate) fn suppression_expired(&self, s: &Suppression) -> Finding {
        let matchers: Vec<String> = [
            s.principal.as_ref().map(|p| format!("principal={p}")),
            s.event.as_ref().map(|e| format!("event={e}")),
            s.cidr.map(|c| format!("cidr={c}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let until = s.until.format("%Y-%m-%d");
        Finding::new(
            "audit-suppression-expired",
            FindingStatus::Warning,
            self.ja_en(
                format!(
                    "{} の抑止（{}、理由: {}）は {until} で期限切れです。該当する検出は通常どおり報告しています",
                    s.check,
                    matchers.join(", "),
                    s.reason
                ),
                format!(
                    "the suppression of {} ({}; reason: {}) expired on {until}: its findings are reported again",
                    s.check,
                    matchers.join(", "),
                    s.reason
                ),
            ),
        )
    }

    pub(crate) fn suppression_expired_remedy(&self) -> String {
        self.ja_en(
            "期限切れの抑止: まだ必要なら理由を見直して until を延ばし、不要なら AUDIT_SUPPRESS から削除してください（テンプレートの AuditSuppress）。".to_owned(),
            "expired suppressions: if still needed, review the reason and extend `until`; otherwise remove them from AUDIT_SUPPRESS (the template's AuditSuppress).".to_owned(),
        )
    }
}
