//! The words of rotation reports, in Japanese and English.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use shared::time::format_local;
use shared::{Action, ActionResult, Error, Finding, FindingStatus, Lang, Report, ReportBuilder};

use crate::step::RotationRequest;
use crate::{FUNCTION, Rotated};

pub(crate) fn rotated_report(
    request: &RotationRequest,
    rotated: &Rotated,
    at: DateTime<Utc>,
    lang: Lang,
    tz: Tz,
) -> Report {
    let next = format_local(rotated.next_rotation, tz);
    let account = format!("{}@{}", rotated.username, rotated.host);
    let mut b = ReportBuilder::new(FUNCTION, at, false);
    b.action(Action::new(
        "rotate-password",
        &request.secret_id,
        ActionResult::Done,
        match lang {
            Lang::Ja => format!(
                "{account} のパスワードを変更し、AWSCURRENT を新しいバージョン {} に切り替えました",
                request.token
            ),
            Lang::En => format!(
                "changed the password of {account} and moved AWSCURRENT to version {}",
                request.token
            ),
        },
    ));
    b.finding(Finding::new(
        "next-rotation",
        FindingStatus::Ok,
        match lang {
            Lang::Ja => format!("次回のローテーション予定: {next}"),
            Lang::En => format!("next rotation due: {next}"),
        },
    ));
    if rotated.plaintext {
        b.finding(Finding::new(
            "database-tls",
            FindingStatus::Warning,
            lang.pick(
                "シークレットの \"ssl\": false により、データベースへ TLS なしで接続しています",
                "the secret's \"ssl\": false makes the database connection plaintext",
            ),
        ));
        b.next_step(lang.pick(
            "シークレットから \"ssl\": false を外し、DB_CA_BUNDLE に RDS の CA バンドルを設定して TLS 検証付きで接続してください。",
            "Remove \"ssl\": false from the secret and set DB_CA_BUNDLE to the RDS CA bundle so the connection is verified TLS.",
        ));
    }
    b.next_step(lang.pick(
        "対応は不要です。アプリケーションは次回の接続から新しいパスワード（AWSCURRENT）を使います。",
        "Nothing to do. Applications use the new password (AWSCURRENT) from their next connection.",
    ));
    let (title, summary) = match lang {
        Lang::Ja => (
            format!(
                "DBパスワードをローテーションしました: {}",
                request.secret_id
            ),
            format!(
                "シークレット {} のローテーションが完了しました（{account}、パスワードは SCRAM-SHA-256 検証子で設定）。次回は {next} の予定です。",
                request.secret_id
            ),
        ),
        Lang::En => (
            format!("DB password rotated: {}", request.secret_id),
            format!(
                "Rotation of {} finished ({account}, password set as a SCRAM-SHA-256 verifier). Next rotation due {next}.",
                request.secret_id
            ),
        ),
    };
    b.build(&title, summary)
}

pub(crate) fn failed_report(
    request: &RotationRequest,
    err: &Error,
    at: DateTime<Utc>,
    lang: Lang,
) -> Report {
    let mut b = ReportBuilder::new(FUNCTION, at, false);
    b.action(Action::new(
        request.step.as_str(),
        &request.secret_id,
        ActionResult::Failed,
        format!("{}: {err}", err.error_type()),
    ));
    b.next_step(match lang {
        Lang::Ja => "アプリケーションは AWSCURRENT のパスワードで引き続きログインできます（失敗した手順は元に戻しています）。ログで原因を確認し、解消後に `aws secretsmanager rotate-secret --secret-id <ID>` で再実行してください。".to_owned(),
        Lang::En => "Applications keep logging in with the AWSCURRENT password (the failed step was undone). Find the cause in the logs, fix it, then run `aws secretsmanager rotate-secret --secret-id <ID>` again.".to_owned(),
    });
    let (title, summary) = match lang {
        Lang::Ja => (
            format!(
                "DBパスワードのローテーション失敗 ({}): {}",
                request.step, request.secret_id
            ),
            format!(
                "シークレット {} の {} が失敗しました（バージョン {}）。",
                request.secret_id, request.step, request.token
            ),
        ),
        Lang::En => (
            format!(
                "DB password rotation failed ({}): {}",
                request.step, request.secret_id
            ),
            format!(
                "{} of secret {} failed (version {}).",
                request.step, request.secret_id, request.token
            ),
        ),
    };
    b.build(&title, summary)
}
