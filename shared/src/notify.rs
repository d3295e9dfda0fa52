//! One SNS publish per run (ARCHITECTURE §3 "Notification").

use aws_sdk_sns::types::MessageAttributeValue;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;

use crate::config::TopicArn;
use crate::error::Error;
use crate::lang::Lang;
use crate::render;
use crate::report::{Finding, FindingStatus, Report, ReportBuilder};

/// SNS's message size limit is 256 KiB; stay clear of it.
const MESSAGE_MAX_BYTES: usize = 250_000;
/// Marks a text that was cut.
const TRUNCATED: &str = "\n…(truncated)\n";
/// Where an oversized text is cut.
const TEXT_CUT_BYTES: usize = 60_000;

/// The longest prefix of `text` within `max` bytes, on a character boundary.
fn cut_bytes(text: &str, max: usize) -> String {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// What is sent for one report: subject, the `MessageStructure: json` body, attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The subject: the report title, one line, ≤ 99 characters.
    pub subject: String,
    /// JSON with `default`, `email` (text), `sqs`, `lambda` (report JSON), `https` (Chatbot JSON).
    pub message: String,
    /// Message attributes `function` and `severity`.
    pub attributes: Vec<(&'static str, String)>,
}

/// Builds the notification of `report`, text in `lang` with times in `tz`.
pub fn notification(report: &Report, lang: Lang, tz: Tz) -> Notification {
    let mut text = render::text(report, lang, tz);
    let chatbot = render::chatbot(report, lang, tz).to_string();
    let mut sent = report.clone();
    let build = |text: &str, sent: &Report| {
        let report_json = serde_json::to_string(sent).unwrap_or_default();
        json!({
            "default": text,
            "email": text,
            "sqs": report_json,
            "lambda": report_json,
            "https": chatbot,
        })
        .to_string()
    };
    // The whole message must fit: cut the text first, then drop the
    // function-specific fields, then halve the lists.
    let mut message = build(&text, &sent);
    while message.len() > MESSAGE_MAX_BYTES {
        if text.len() > TEXT_CUT_BYTES + TRUNCATED.len() {
            text = cut_bytes(&text, TEXT_CUT_BYTES);
            text.push_str(TRUNCATED);
        } else if !sent.extra.contains_key("truncated") {
            sent.extra.clear();
            sent.extra.insert("truncated".into(), json!(true));
        } else if sent.findings.len() > 1 || sent.actions.len() > 1 {
            sent.findings.truncate(sent.findings.len().div_ceil(2));
            sent.actions.truncate(sent.actions.len().div_ceil(2));
        } else {
            break;
        }
        message = build(&text, &sent);
    }
    Notification {
        subject: report.title.clone(),
        message,
        attributes: vec![
            ("function", report.function.clone()),
            ("severity", report.severity.as_str().to_owned()),
        ],
    }
}

/// Publishes reports to the notification topic.
#[derive(Debug, Clone)]
pub struct Notifier {
    client: aws_sdk_sns::Client,
    topic: TopicArn,
    lang: Lang,
    tz: Tz,
}

impl Notifier {
    /// A notifier for `topic`, text in `lang`, times in `tz`.
    pub fn new(client: aws_sdk_sns::Client, topic: TopicArn, lang: Lang, tz: Tz) -> Self {
        Notifier {
            client,
            topic,
            lang,
            tz,
        }
    }

    /// The notifier every function builds from its settings: the required
    /// `NOTIFY_TOPIC_ARN`, `REPORT_LANG` and `REPORT_TIMEZONE`.
    pub fn for_config(
        config: &crate::Config,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, crate::ConfigError> {
        Ok(Notifier::new(
            aws_sdk_sns::Client::new(sdk),
            config.require_topic()?.clone(),
            config.lang,
            config.timezone,
        ))
    }

    /// The language reports are written in.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Publishes `report` once; returns the SNS message id.
    pub async fn publish(&self, report: &Report) -> Result<String, Error> {
        let n = notification(report, self.lang, self.tz);
        let mut request = self
            .client
            .publish()
            .topic_arn(self.topic.as_str())
            .subject(n.subject)
            .message(n.message)
            .message_structure("json");
        for (name, value) in n.attributes {
            let attribute = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| Error::Unexpected(format!("message attribute {name}: {e}")))?;
            request = request.message_attributes(name, attribute);
        }
        let out = request.send().await.map_err(|e| Error::aws("Publish", e))?;
        Ok(out.message_id.unwrap_or_default())
    }

    /// Publishes `report` where a lost notification must not change the
    /// run's outcome: a failure to publish is logged, not returned.
    pub async fn publish_or_log(&self, report: &Report) {
        if let Err(err) = self.publish(report).await {
            tracing::error!(function = %report.function, severity = report.severity.as_str(), error = %err, "could not publish the report");
        }
    }
}

/// The critical report of a failed run.
pub fn failure_report(
    function: &str,
    at: DateTime<Utc>,
    dry_run: bool,
    err: &Error,
    lang: Lang,
) -> Report {
    let mut b = ReportBuilder::new(function, at, dry_run);
    b.finding(Finding::new(
        "run-failed",
        FindingStatus::Critical,
        format!("{}: {err}", err.error_type()),
    ));
    b.next_step(match lang {
        Lang::Ja => format!(
            "CloudWatch Logs の {function} のログで原因を確認し、解消後に同じイベントで再実行してください（再実行しても重複して変更されません）。"
        ),
        Lang::En => format!(
            "Check {function}'s CloudWatch Logs for the cause, fix it, then run it again with the same event (a rerun does not repeat changes)."
        ),
    });
    let title = match lang {
        Lang::Ja => format!("{function} の実行に失敗しました ({})", err.error_type()),
        Lang::En => format!("{function} failed ({})", err.error_type()),
    };
    b.build(&title, lang.pick(
        "処理は途中で失敗しました。Lambda は再試行し、最終的に失敗したイベントはオンフェイルア宛先 (SQS) に残ります。",
        "The run failed part-way. Lambda retries it; an event that finally fails stays in the on-failure destination (SQS).",
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::report::{Action, ActionResult};

    fn report(title: &str) -> Report {
        let at = DateTime::parse_from_rfc3339("2026-11-28T19:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut b = ReportBuilder::new("nightly-snapshot", at, false);
        b.action(Action::new(
            "create-snapshot",
            "c",
            ActionResult::Done,
            "ok",
        ));
        b.build(title, "summary")
    }

    #[test]
    fn message_carries_every_protocol_key() {
        let n = notification(&report("タイトル"), Lang::Ja, chrono_tz::Asia::Tokyo);
        let message: Value = serde_json::from_str(&n.message).unwrap();
        for key in ["default", "email", "sqs", "lambda", "https"] {
            assert!(message[key].is_string(), "{key}");
        }
        let sqs: Report = serde_json::from_str(message["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(sqs, report("タイトル"));
        let https: Value = serde_json::from_str(message["https"].as_str().unwrap()).unwrap();
        assert_eq!(https["source"], "custom");
        assert!(message["email"].as_str().unwrap().contains("タイトル"));
        assert_eq!(
            n.attributes,
            vec![
                ("function", "nightly-snapshot".into()),
                ("severity", "info".into())
            ]
        );
    }

    #[test]
    fn subject_is_one_short_line_even_in_japanese() {
        let n = notification(
            &report(&"長い件名\n".repeat(40)),
            Lang::Ja,
            chrono_tz::Asia::Tokyo,
        );
        assert!(n.subject.chars().count() <= 99);
        assert!(!n.subject.contains('\n'));
    }

    #[test]
    fn huge_reports_still_fit_in_one_sns_message() {
        let at = DateTime::parse_from_rfc3339("2026-11-28T19:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut b = ReportBuilder::new("nightly-snapshot", at, false);
        for i in 0..3000 {
            b.finding(Finding::new(
                format!("check-{i}"),
                FindingStatus::Ok,
                "詳細".repeat(5),
            ));
        }
        b.extra("big", "x".repeat(50_000));
        let n = notification(&b.build("t", "s"), Lang::Ja, chrono_tz::Asia::Tokyo);
        assert!(n.message.len() <= MESSAGE_MAX_BYTES, "{}", n.message.len());
        let message: Value = serde_json::from_str(&n.message).unwrap();
        let sqs: Value = serde_json::from_str(message["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(sqs["truncated"], true);
        assert!(sqs["findings"].as_array().unwrap().len() < 3000);
    }

    #[test]
    fn failure_reports_are_critical_and_name_the_error_type() {
        let at = Utc::now();
        let r = failure_report(
            "nightly-snapshot",
            at,
            false,
            &Error::Unexpected("boom".into()),
            Lang::En,
        );
        assert_eq!(r.severity, crate::report::Severity::Critical);
        assert!(r.title.contains("Unexpected"));
    }
}
