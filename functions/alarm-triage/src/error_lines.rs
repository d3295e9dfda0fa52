//! The error-rate playbook's evidence, decided: which log lines are errors,
//! their request IDs, counts of failed requests and shares per class, and a
//! few trimmed, redacted examples per class. Pure.
//!
//! Counts are per failed request, not per line (ARCHITECTURE §4): Lambda writes
//! two lines for one timed-out invocation (`Task timed out after …` and the
//! `REPORT … Status: timeout` line) and a stack trace may span several log
//! events, so one request id counts once per class; a line without a request
//! id counts once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex_lite::Regex;
use serde::Serialize;

use crate::classify::{Classifier, ErrorClass};

/// Examples kept per class.
pub const EXAMPLES_PER_CLASS: usize = 3;
/// Characters kept of an example line.
pub const EXAMPLE_MAX_CHARS: usize = 200;

/// Whether a log line is one the playbook reads: an `ERROR` line, Lambda's
/// own `Task timed out`, or a `Runtime.*` error. (CloudWatch Logs filter
/// patterns narrow the read; this decides.)
pub fn is_error_line(line: &str) -> bool {
    line.contains("ERROR")
        || line.contains("\"level\":\"error\"")
        || line.contains("\"level\":50")
        || line.contains("Task timed out")
        || line.contains("Runtime.")
        || line.contains("\"status\":\"timeout\"")
        || line.contains("Status: timeout")
}

/// A pattern with ASCII classes (as the classifier's).
fn ascii(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

static REQUEST_ID: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // Lambda's text format `<time>\t<request id>\t<LEVEL>\t…` (its own
    // `Task timed out` line separates with spaces), `RequestId: <id>`, and
    // the JSON format's `"requestId":"<id>"`.
    ascii(
        r#"(?:^\S+\s+([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s)|(?:RequestId:\s*([0-9a-f-]{36}))|(?:"requestId"\s*:\s*"([0-9a-f-]{36})")"#,
    )
});

/// The Lambda request ID a log line belongs to, when it names one.
pub fn request_id(line: &str) -> Option<String> {
    let caps = REQUEST_ID.as_ref()?.captures(line)?;
    (1..=3)
        .find_map(|i| caps.get(i))
        .map(|m| m.as_str().to_owned())
}

static LAMBDA_PREFIX: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // `2026-11-28T01:00:00.000Z <request id> [LEVEL]` at the start of a text-format line.
    ascii(
        r"^\d{4}-\d\d-\d\dT[0-9:.]+Z\s+(RequestId:\s*)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s+((ERROR|WARN|INFO)\s+)?",
    )
});

static SECRETS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // Bearer tokens.
        (r"(?i)\bBearer\s+[A-Za-z0-9._~+/=-]+", "Bearer ***"),
        // postgres://user:password@host → postgres://user:***@host
        (r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]+):[^@\s]+@", "$1:***@"),
        // password=…, "password":"…", pwd: …
        (r#"(?i)("?(?:password|passwd|pwd|secret|token|api[_-]?key|authorization)"?\s*[:=]\s*"?)[^"\s,}&]+"#, "$1***"),
        // AWS access key ids: shown by their prefix only, as in every report.
        (r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", "$1****************"),
    ]
    .into_iter()
    .filter_map(|(pattern, replacement)| ascii(pattern).map(|r| (r, replacement)))
    .collect()
});

/// `line` made fit for a report: secrets masked, whitespace collapsed,
/// cut to [`EXAMPLE_MAX_CHARS`] characters on a character boundary.
pub fn trim_example(line: &str) -> String {
    // The time and request id are shown apart; keep the message.
    let line = match LAMBDA_PREFIX.as_ref() {
        Some(prefix) => prefix.replace(line, "").into_owned(),
        None => line.to_owned(),
    };
    let mut text = line.split_whitespace().collect::<Vec<_>>().join(" ");
    for (pattern, replacement) in SECRETS.iter() {
        text = pattern.replace_all(&text, *replacement).into_owned();
    }
    if text.chars().count() > EXAMPLE_MAX_CHARS {
        let cut: String = text.chars().take(EXAMPLE_MAX_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// One example line of a class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    /// The request it belongs to.
    pub request_id: Option<String>,
    /// Trimmed, redacted text.
    pub text: String,
}

/// A class's share of the window's failed requests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassSummary {
    /// The class.
    pub class: ErrorClass,
    /// Failed requests with an error of this class (a line without a request id counts as one).
    pub count: usize,
    /// Error lines of this class (a request may write several).
    pub lines: usize,
    /// `count / requests`, 0–1: the share of the failed requests that show this class.
    pub share: f64,
    /// Up to [`EXAMPLES_PER_CLASS`] examples, from distinct requests.
    pub examples: Vec<Example>,
}

/// The window's errors: per class, and how many requests and lines they stand for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorSummary {
    /// Per class, most requests first (ties in class order).
    pub classes: Vec<ClassSummary>,
    /// Distinct failed requests (lines without a request id count one each).
    pub requests: usize,
    /// Error lines read.
    pub lines: usize,
}

/// Who wrote a line: its request, or the line itself when it names none.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    Request(String),
    Line(usize),
}

/// Counts failed requests per class, with examples. Non-error lines are ignored.
pub fn summarize<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    classifier: &Classifier,
) -> ErrorSummary {
    #[derive(Default)]
    struct Tally {
        origins: BTreeSet<Origin>,
        lines: usize,
        examples: Vec<Example>,
    }
    let mut by_class: BTreeMap<ErrorClass, Tally> = BTreeMap::new();
    let mut all = BTreeSet::new();
    let mut total_lines = 0usize;
    for (n, line) in lines.into_iter().filter(|l| is_error_line(l)).enumerate() {
        total_lines += 1;
        let request_id = request_id(line);
        let origin = request_id.clone().map_or(Origin::Line(n), Origin::Request);
        all.insert(origin.clone());
        let tally = by_class.entry(classifier.classify(line)).or_default();
        tally.lines += 1;
        let new_origin = tally.origins.insert(origin);
        if new_origin && tally.examples.len() < EXAMPLES_PER_CLASS {
            tally.examples.push(Example {
                request_id,
                text: trim_example(line),
            });
        }
    }
    let requests = all.len();
    let mut classes: Vec<ClassSummary> = by_class
        .into_iter()
        .map(|(class, tally)| ClassSummary {
            class,
            count: tally.origins.len(),
            lines: tally.lines,
            share: if requests == 0 {
                0.0
            } else {
                tally.origins.len() as f64 / requests as f64
            },
            examples: tally.examples,
        })
        .collect();
    classes.sort_by(|a, b| b.count.cmp(&a.count).then(a.class.cmp(&b.class)));
    ErrorSummary {
        classes,
        requests,
        lines: total_lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RID: &str = "6f7f0961-f834-4211-8a7a-f6fe80b88d56";

    #[test]
    fn error_lines_are_error_level_timeouts_and_runtime_errors() {
        assert!(is_error_line(&format!(
            "2026-11-28T01:00:00.000Z\t{RID}\tERROR\tInvoke Error"
        )));
        assert!(is_error_line("Task timed out after 30.03 seconds"));
        assert!(is_error_line("Runtime.ExitError"));
        assert!(is_error_line(r#"{"level":"error","msg":"boom"}"#));
        assert!(!is_error_line(&format!(
            "2026-11-28T01:00:00.000Z\t{RID}\tINFO\tgoal saved"
        )));
        assert!(!is_error_line(
            "START RequestId: 6f7f0961-f834-4211-8a7a-f6fe80b88d56 Version: $LATEST"
        ));
    }

    #[test]
    fn request_ids_come_from_the_text_and_json_formats() {
        assert_eq!(
            request_id(&format!("2026-11-28T01:00:00.000Z\t{RID}\tERROR\tx")).as_deref(),
            Some(RID)
        );
        // Lambda's own timeout line separates with spaces.
        assert_eq!(
            request_id(&format!(
                "2026-11-28T01:00:00.000Z {RID} Task timed out after 29.03 seconds"
            ))
            .as_deref(),
            Some(RID)
        );
        assert_eq!(
            request_id(&format!(
                "RequestId: {RID} Error: Task timed out after 3.00 seconds"
            ))
            .as_deref(),
            Some(RID)
        );
        assert_eq!(
            request_id(&format!(
                r#"{{"level":"ERROR","requestId":"{RID}","message":"x"}}"#
            ))
            .as_deref(),
            Some(RID)
        );
        assert_eq!(request_id("ERROR no id here"), None);
    }

    #[test]
    fn examples_never_carry_a_password_and_are_cut_to_length() {
        let line = "ERROR connect failed: postgres://goal_mandala_user:s3cr3t-Pa55@db.internal:5432/goal_mandala password=hunter2 \"token\":\"abc.def\" Authorization: Bearer eyJhbGciOi.x.y";
        let trimmed = trim_example(line);
        for secret in ["s3cr3t-Pa55", "hunter2", "abc.def", "eyJhbGciOi"] {
            assert!(!trimmed.contains(secret), "{secret} in {trimmed}");
        }
        assert!(
            trimmed.contains("postgres://goal_mandala_user:***@db.internal"),
            "{trimmed}"
        );
        let long = format!("ERROR {}", "あ".repeat(500));
        let cut = trim_example(&long);
        assert_eq!(cut.chars().count(), EXAMPLE_MAX_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn every_pattern_compiles_so_masking_never_silently_stops() {
        assert!(REQUEST_ID.is_some() && LAMBDA_PREFIX.is_some());
        assert_eq!(SECRETS.len(), 4);
    }

    #[test]
    fn summaries_count_requests_share_and_keep_three_examples_from_distinct_requests() {
        let classifier = Classifier::defaults();
        // 42 database lines from 3 requests (stack traces span several events).
        let mut lines: Vec<String> = (0..42)
            .map(|i| format!("2026-11-28T01:00:{:02}.000Z\t6f7f0961-f834-4211-8a7a-f6fe80b88d{:02}\tERROR\tError: connect ECONNREFUSED 10.0.3.25:5432", i % 60, i % 3))
            .collect();
        // 15 timed-out invocations, each written twice by Lambda.
        for i in 0..15 {
            let id = format!("7a1b2c3d-0000-4000-8000-0000000000{i:02}");
            lines.push(format!(
                "2026-11-28T01:01:00.000Z {id} Task timed out after 29.03 seconds"
            ));
            lines.push(format!("REPORT RequestId: {id}\tDuration: 29030.00 ms\tBilled Duration: 29000 ms\tMemory Size: 128 MB\tMax Memory Used: 90 MB\tStatus: timeout"));
        }
        // Two lines without a request id count once each.
        lines.push("ERROR unhandled rejection".to_owned());
        lines.push("ERROR unhandled rejection".to_owned());
        lines.push("2026-11-28T01:00:00.000Z\tINFO\tall good".to_owned());
        let summary = summarize(lines.iter().map(String::as_str), &classifier);
        assert_eq!((summary.requests, summary.lines), (3 + 15 + 2, 42 + 30 + 2));
        let counts: Vec<(ErrorClass, usize, usize)> = summary
            .classes
            .iter()
            .map(|c| (c.class, c.count, c.lines))
            .collect();
        assert_eq!(
            counts,
            [
                (ErrorClass::Timeout, 15, 30),
                (ErrorClass::DatabaseConnection, 3, 42),
                (ErrorClass::Other, 2, 2),
            ]
        );
        let timeout = &summary.classes[0];
        assert!((timeout.share - 15.0 / 20.0).abs() < 1e-9);
        let db = &summary.classes[1];
        assert_eq!(db.examples.len(), 3);
        let ids: std::collections::BTreeSet<_> =
            db.examples.iter().map(|e| e.request_id.clone()).collect();
        assert_eq!(ids.len(), 3, "examples from three requests");
        assert_eq!(summary.classes[2].examples.len(), 2);
        assert_eq!(
            summarize(std::iter::empty(), &classifier),
            ErrorSummary::default()
        );
    }

    #[test]
    fn a_request_with_errors_of_two_classes_counts_once_in_each() {
        let classifier = Classifier::defaults();
        let lines = [
            format!(
                "2026-11-28T01:00:00.000Z\t{RID}\tERROR\tError: connect ECONNREFUSED 10.0.3.25:5432"
            ),
            format!("2026-11-28T01:00:29.000Z {RID} Task timed out after 29.03 seconds"),
            format!("REPORT RequestId: {RID}\tDuration: 29030.00 ms\tStatus: timeout"),
        ];
        let summary = summarize(lines.iter().map(String::as_str), &classifier);
        assert_eq!(summary.requests, 1);
        assert!(
            summary
                .classes
                .iter()
                .all(|c| c.count == 1 && c.share == 1.0)
        );
        assert_eq!(summary.classes.len(), 2);
    }
}
