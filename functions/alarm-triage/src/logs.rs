//! CloudWatch Logs: the API's error lines in the window before the alarm.

use aws_sdk_cloudwatchlogs::Client;
use chrono::{DateTime, Utc};
use shared::Error;

use crate::error_lines::is_error_line;

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
pub async fn error_lines(
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
