//! The error-rate playbook (`…-high-error-rate`): the API's error lines of
//! the window before the alarm, read from CloudWatch Logs, classified by
//! cause (`classify`, `error_lines`), with examples and the runbook's remedy
//! for each class — gathered, decided and worded here.

use aws_sdk_cloudwatchlogs::Client;
use chrono::{DateTime, Utc};
use shared::Error;
use shared::{Finding, FindingStatus};

use crate::classify::{self, ErrorClass};
use crate::error_lines::is_error_line;
use crate::error_lines::{self, ClassSummary};
use crate::event::AlarmEvent;
use crate::playbook::Outcome;
use crate::text::Texts;
use crate::{AlarmTriage, minutes, window};

/// CloudWatch Logs narrows the read to lines with one of these terms (terms
/// are case-sensitive); [`is_error_line`] decides.
pub const FILTER_PATTERN: &str = r#"?ERROR ?error ?"Task timed out" ?"Runtime." ?timeout"#;

/// The error lines read, and whether the cap cut the read short.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorLines {
    /// Messages of the error lines, oldest first.
    pub lines: Vec<String>,
    /// Events read (error or not).
    pub scanned: usize,
    /// `TRIAGE_MAX_EVENTS` was reached before the window's end.
    pub truncated: bool,
}

/// `FilterLogEvents` on `group` for `[start, end)`, every page, at most `max_events` events.
pub async fn error_lines_of(
    client: &Client,
    group: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    max_events: usize,
) -> Result<ErrorLines, Error> {
    let mut found = ErrorLines::default();
    let mut pages = client
        .filter_log_events()
        .log_group_name(group)
        .start_time(start.timestamp_millis())
        .end_time(end.timestamp_millis())
        .filter_pattern(FILTER_PATTERN)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("FilterLogEvents", e))?;
        for event in page.events() {
            if found.scanned >= max_events {
                found.truncated = true;
                return Ok(found);
            }
            found.scanned += 1;
            if let Some(message) = event.message()
                && is_error_line(message)
            {
                found.lines.push(message.to_owned());
            }
        }
    }
    Ok(found)
}

pub(crate) async fn gather(state: &AlarmTriage, texts: &Texts, alarm: &AlarmEvent) -> Outcome {
    let config = &state.config;
    let group = &config.common.api_log_group;
    let (start, end) = window(alarm, config.lookback);
    let mut outcome = Outcome {
        log_group: true,
        ..Outcome::default()
    };
    // The rule table compiles on another thread while the lines are read.
    let prepared = tokio::task::spawn_blocking(classify::Classifier::prepare);
    let read = shared::gather::bounded(
        config.gather_timeout,
        error_lines_of(&state.logs, group, start, end, config.max_events),
    )
    .await;
    // A failed warm-up only means the first classification compiles the table.
    let _ = prepared.await;
    let lines = match read {
        Ok(lines) => lines,
        Err(why) => {
            outcome.findings.push(texts.skipped("errors", group, &why));
            outcome.headline = texts.headline_errors(None, 0);
            return outcome;
        }
    };
    let summary =
        error_lines::summarize(lines.lines.iter().map(String::as_str), &config.classifier);
    if lines.truncated {
        outcome.findings.push(texts.truncated(lines.scanned));
    }
    if summary.classes.is_empty() {
        outcome
            .findings
            .push(texts.no_error_lines(group, minutes(config.lookback)));
    }
    for class in &summary.classes {
        outcome
            .findings
            .push(texts.class_finding(class, summary.requests));
        outcome
            .next_steps
            .push(texts.remedy(class.class, config.common.runbook.db_connections_max));
    }
    outcome.headline = texts.headline_errors(summary.classes.first(), summary.requests);
    outcome.classes = Some(
        summary
            .classes
            .iter()
            .map(|s| (s.class.as_str(), s.count))
            .collect(),
    );
    outcome.failed_requests = Some(summary.requests);
    outcome
}

impl Texts {
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
}
