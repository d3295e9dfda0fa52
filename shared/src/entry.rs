//! One way in for every function (ARCHITECTURE §3): whatever payload arrives is
//! read by the function's own parser or answered `InvalidInput`; then the
//! run, its notification, and the failure path, the same for all of them.
//!
//! A function implements [`Task`] (its `parse` and `run`), and its `main` is
//! one call to [`serve`]. Tests drive the same [`handle`] the runtime does.

use std::fmt;
use std::future::Future;

use aws_config::SdkConfig;
use chrono::{DateTime, Utc};
use lambda_runtime::{Context, LambdaEvent, service_fn};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::config::{ConfigError, Env, load_or_exit};
use crate::error::Error;
use crate::notify::{Notifier, failure_report};
use crate::report::Report;
use crate::{aws, telemetry};

/// Deepest nesting the JSON reader accepts (serde_json's recursion limit).
pub const MAX_DEPTH: usize = 128;

/// The invocation payload as Lambda delivered it, not yet read.
///
/// The runtime turns the payload into this type before any handler code
/// runs, and this type never refuses: valid JSON is kept as text (checked
/// without recursion, so any depth and any number pass), anything else is
/// kept as the reader's complaint. [`RawEvent::read`] then reads it with the
/// contract's error, so a payload the JSON reader refuses is `InvalidInput`
/// like any other bad payload — never the runtime's own `DeserializeError`.
#[derive(Debug, Clone)]
pub struct RawEvent(Raw);

#[derive(Debug, Clone)]
enum Raw {
    Json(Box<RawValue>),
    Unreadable(String),
}

impl<'de> Deserialize<'de> for RawEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Never fail here: a failure would reach the caller as the runtime's
        // error type, before the function could answer for itself.
        Ok(RawEvent(match Box::<RawValue>::deserialize(deserializer) {
            Ok(raw) => Raw::Json(raw),
            Err(err) => Raw::Unreadable(err.to_string()),
        }))
    }
}

impl From<Value> for RawEvent {
    fn from(value: Value) -> Self {
        RawEvent::from(&value)
    }
}

impl From<&Value> for RawEvent {
    fn from(value: &Value) -> Self {
        RawEvent::from_text(&value.to_string())
    }
}

impl RawEvent {
    /// A payload from its JSON text, read the way the Lambda runtime reads it.
    pub fn from_text(text: &str) -> Self {
        read_like_the_runtime(text.as_bytes())
    }

    /// The payload as JSON, or `InvalidInput` saying what was expected.
    pub fn read(&self) -> Result<Value, Error> {
        match &self.0 {
            Raw::Json(raw) => serde_json::from_str(raw.get()).map_err(|e| {
                Error::InvalidInput(format!(
                    "expected a JSON object the JSON reader accepts (at most {MAX_DEPTH} levels deep, numbers within ±1.7e308): {e}"
                ))
            }),
            Raw::Unreadable(problem) => Err(Error::InvalidInput(format!(
                "expected a JSON object; the payload is not JSON: {problem}"
            ))),
        }
    }

    /// The payload's size in bytes, as delivered (0 when it was not JSON).
    pub fn len(&self) -> usize {
        match &self.0 {
            Raw::Json(raw) => raw.get().len(),
            Raw::Unreadable(_) => 0,
        }
    }

    /// Whether the payload is empty (never for JSON).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Exactly what `lambda_runtime` does with an invocation's body before the
/// handler runs (its `deserializer::deserialize`), for tests and benches.
pub fn read_like_the_runtime(body: &[u8]) -> RawEvent {
    let reader = &mut serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, RawEvent>(reader) {
        Ok(event) => event,
        // Unreachable: `RawEvent` never refuses. Kept total all the same.
        Err(err) => RawEvent(Raw::Unreadable(err.to_string())),
    }
}

/// A checked request: what every run's logs and failure report need.
pub trait Request {
    /// When the run happens and whether it changes anything.
    fn stamp(&self) -> Stamp;
}

/// A run's "now" (from the event, else the clock) and its dry-run setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The run's "now".
    pub at: DateTime<Utc>,
    /// Whether the run changes nothing.
    pub dry_run: bool,
}

/// How a finished run's report reaches the team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// A failed publish fails the run: a retry changes nothing twice and publishes again.
    Required,
    /// A failed publish is logged, not returned: what the run did must not be
    /// redone (or go unreported twice) because a message was lost.
    BestEffort,
}

/// What a successful run gives back.
#[derive(Debug, Clone)]
pub struct Done<R> {
    /// The Lambda response.
    pub response: R,
    /// The report to publish, if the run has something to say.
    pub notice: Option<Report>,
    /// How it is published.
    pub delivery: Delivery,
}

impl Done<Report> {
    /// The report is both the response and the notification.
    pub fn report(report: Report, delivery: Delivery) -> Self {
        Done {
            notice: Some(report.clone()),
            response: report,
            delivery,
        }
    }

    /// The report goes back to the caller only: nothing to tell the team.
    pub fn quiet(report: Report) -> Self {
        Done {
            response: report,
            notice: None,
            delivery: Delivery::BestEffort,
        }
    }
}

/// A function as the shared entry drives it: read the payload, run, report.
pub trait Task {
    /// The function (binary) name, as in reports and notifications.
    const FUNCTION: &'static str;
    /// The checked request.
    type Request: Request;
    /// What the caller gets back.
    type Response: Serialize;

    /// Where reports go.
    fn notifier(&self) -> &Notifier;

    /// Reads the payload (any JSON value) into a request; a payload that does
    /// not fit is `InvalidInput` saying what was expected. Reads nothing from
    /// AWS and changes nothing.
    fn parse(&self, payload: Value, context: &Context) -> Result<Self::Request, Error>;

    /// Runs the request.
    fn run(
        &self,
        request: &Self::Request,
    ) -> impl Future<Output = Result<Done<Self::Response>, Error>>;

    /// The critical report that tells the team a run failed.
    fn failure_report(&self, request: &Self::Request, err: &Error) -> Report {
        let stamp = request.stamp();
        failure_report(
            Self::FUNCTION,
            stamp.at,
            stamp.dry_run,
            err,
            self.notifier().lang(),
        )
    }
}

/// The Lambda handler of every function. Bad input goes back to the caller
/// only (nothing read, changed or published); any other failure is notified,
/// then returned so Lambda retries and the on-failure destination keeps it.
pub async fn handle<T: Task>(task: &T, event: LambdaEvent<RawEvent>) -> Result<T::Response, Error> {
    let size = event.payload.len();
    let request = match event
        .payload
        .read()
        .and_then(|payload| task.parse(payload, &event.context))
    {
        Ok(request) => request,
        Err(err) => {
            tracing::warn!(function = T::FUNCTION, error_type = %err.error_type(), error = %err.brief(), payload_bytes = size, "payload refused");
            return Err(err);
        }
    };
    let stamp = request.stamp();
    tracing::info!(function = T::FUNCTION, at = %stamp.at.to_rfc3339(), dry_run = stamp.dry_run, "run started");
    // Boxed: a run's state machine is large (every SDK call it awaits), and
    // on the heap it neither grows the stack nor the compiler's layout depth.
    match Box::pin(task.run(&request)).await {
        Ok(done) => {
            let Some(report) = &done.notice else {
                tracing::info!(function = T::FUNCTION, notify = false, "run finished");
                return Ok(done.response);
            };
            tracing::info!(function = T::FUNCTION, severity = report.severity.as_str(), title = %report.title, notify = true, "run finished");
            match done.delivery {
                Delivery::Required => {
                    task.notifier().publish(report).await?;
                }
                Delivery::BestEffort => task.notifier().publish_or_log(report).await,
            }
            Ok(done.response)
        }
        Err(err) => {
            tracing::error!(function = T::FUNCTION, error_type = %err.error_type(), error = %err.brief(), "run failed");
            if err.notifies() {
                let report = task.failure_report(&request, &err);
                task.notifier().publish_or_log(&report).await;
            }
            Err(err)
        }
    }
}

/// A function's whole `main`: logging, configuration (a bad value ends the
/// process in one line naming the variable, before the first event), the SDK,
/// the function's state, then the Lambda runtime loop on [`handle`].
pub async fn serve<T, C, E>(
    config: impl FnOnce(&Env) -> Result<C, ConfigError>,
    state: impl FnOnce(C, &SdkConfig) -> Result<T, E>,
) -> Result<(), lambda_runtime::Error>
where
    T: Task,
    E: fmt::Display,
{
    let started = std::time::Instant::now();
    telemetry::init();
    let config = load_or_exit(config(&Env::from_process()));
    let sdk = aws::load_sdk_config().await;
    let task = match state(config, &sdk) {
        Ok(task) => task,
        Err(err) => {
            tracing::error!(function = T::FUNCTION, "cannot start: {err}");
            std::process::exit(2)
        }
    };
    let init_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(function = T::FUNCTION, init_ms, "ready");
    lambda_runtime::run(service_fn(|event| handle(&task, event))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
    }

    #[test]
    fn the_runtime_reading_never_refuses_and_read_says_what_was_expected() {
        let cases = [
            nested(200),
            format!("{}{}", "[".repeat(300), "]".repeat(300)),
            r#"{"dry_run": 1e400}"#.to_owned(),
            r#"{"a": -1e999, "b": 18446744073709551616999}"#.to_owned(),
            "not json".to_owned(),
            String::new(),
            "{\"a\": \"\\ud800\"}".to_owned(),
        ];
        for text in cases {
            let event = read_like_the_runtime(text.as_bytes());
            let err = event.read().unwrap_err();
            let short: String = text.chars().take(40).collect();
            assert!(
                matches!(err, Error::InvalidInput(ref m) if m.starts_with("expected a JSON object")),
                "{short}: {err}"
            );
        }
    }

    #[test]
    fn readable_json_comes_through_unchanged() {
        let text = format!(
            r#"{{"x": {}, "n": 12345678901234567890, "s": "日本"}}"#,
            nested(100)
        );
        let value = read_like_the_runtime(text.as_bytes()).read().unwrap();
        assert_eq!(value["s"], "日本");
        assert!(value["x"]["a"].is_object());
        let value = RawEvent::from(serde_json::json!({"a": [1, 2]}))
            .read()
            .unwrap();
        assert_eq!(value, serde_json::json!({"a": [1, 2]}));
        assert_eq!(RawEvent::from_text("null").read().unwrap(), Value::Null);
    }

    #[test]
    fn a_lambda_event_of_raw_payload_deserializes_like_the_runtime_does() {
        // lambda_runtime reads the body with serde_path_to_error over
        // serde_json's reader; the deepest payload still arrives.
        let text = nested(1000);
        let reader = &mut serde_json::Deserializer::from_slice(text.as_bytes());
        let event: RawEvent = serde_path_to_error::deserialize(reader).unwrap();
        assert_eq!(event.len(), text.len());
        assert!(event.read().is_err());
    }
}
