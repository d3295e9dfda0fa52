//! The error-rate playbook's evidence, decided: which log lines are errors,
//! their request IDs, counts and shares per class, and a few trimmed,
//! redacted examples per class. Pure.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
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

static REQUEST_ID: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // Lambda's text format `<time>\t<request id>\t<LEVEL>\t…`, `RequestId: <id>`,
    // and the JSON format's `"requestId":"<id>"`.
    Regex::new(
        r#"(?:^\S+\t([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\t)|(?:RequestId:\s*([0-9a-f-]{36}))|(?:"requestId"\s*:\s*"([0-9a-f-]{36})")"#,
    )
    .ok()
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
    Regex::new(r"^\d{4}-\d\d-\d\dT[0-9:.]+Z\s+(RequestId:\s*)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s+((ERROR|WARN|INFO)\s+)?").ok()
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
    .filter_map(|(pattern, replacement)| Regex::new(pattern).ok().map(|r| (r, replacement)))
    .collect()
});

/// `line` made fit for a report: secrets masked, whitespace collapsed,
/// cut to [`EXAMPLE_MAX_CHARS`] characters on a character boundary.
pub fn trim_example(line: &str) -> String {
    // The time and request id are shown apart; keep the message.
    let line = match LAMBDA_PREFIX.as_ref() {
        Some(prefix) => prefix.replace(line, ""),
        None => line.into(),
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

/// A class's share of the window's errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassSummary {
    /// The class.
    pub class: ErrorClass,
    /// Error lines of this class.
    pub count: usize,
    /// `count / total`, 0–1.
    pub share: f64,
    /// Up to [`EXAMPLES_PER_CLASS`] examples, distinct requests first.
    pub examples: Vec<Example>,
}

/// Counts per class, largest first (ties in class order), with examples.
/// Non-error lines are ignored.
pub fn summarize<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    classifier: &Classifier,
) -> Vec<ClassSummary> {
    let mut by_class: BTreeMap<ErrorClass, (usize, Vec<Example>)> = BTreeMap::new();
    let mut total = 0usize;
    for line in lines.into_iter().filter(|l| is_error_line(l)) {
        total += 1;
        let class = classifier.classify(line);
        let (count, examples) = by_class.entry(class).or_default();
        *count += 1;
        if examples.len() < EXAMPLES_PER_CLASS {
            let request_id = request_id(line);
            let seen = request_id.is_some() && examples.iter().any(|e| e.request_id == request_id);
            if !seen {
                examples.push(Example {
                    request_id,
                    text: trim_example(line),
                });
            }
        }
    }
    let mut summaries: Vec<ClassSummary> = by_class
        .into_iter()
        .map(|(class, (count, examples))| ClassSummary {
            class,
            count,
            share: if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            },
            examples,
        })
        .collect();
    summaries.sort_by(|a, b| b.count.cmp(&a.count).then(a.class.cmp(&b.class)));
    summaries
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
    fn summaries_count_share_and_keep_three_examples_from_distinct_requests() {
        let classifier = Classifier::defaults();
        let mut lines: Vec<String> = (0..42)
            .map(|i| format!("2026-11-28T01:00:{:02}.000Z\t6f7f0961-f834-4211-8a7a-f6fe80b88d{:02}\tERROR\tError: connect ECONNREFUSED 10.0.3.25:5432", i % 60, i % 3))
            .collect();
        lines.extend(
            (0..15).map(|_| format!("RequestId: {RID} Error: Task timed out after 30.03 seconds")),
        );
        lines.push("2026-11-28T01:00:00.000Z\tINFO\tall good".to_owned());
        let summaries = summarize(lines.iter().map(String::as_str), &classifier);
        assert_eq!(summaries.len(), 2);
        let db = &summaries[0];
        assert_eq!((db.class, db.count), (ErrorClass::DatabaseConnection, 42));
        assert!((db.share - 42.0 / 57.0).abs() < 1e-9);
        assert_eq!(db.examples.len(), 3);
        let ids: std::collections::BTreeSet<_> =
            db.examples.iter().map(|e| e.request_id.clone()).collect();
        assert_eq!(ids.len(), 3, "examples from three requests");
        let timeout = &summaries[1];
        assert_eq!(
            (timeout.class, timeout.count, timeout.examples.len()),
            (ErrorClass::Timeout, 15, 1)
        );
        assert!(summarize(std::iter::empty(), &classifier).is_empty());
    }
}
