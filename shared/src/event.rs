//! Reading an invocation payload: shape checks and the fields every event may carry.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;
use crate::time::{EventTime, TimeSource, parse_event_time};

/// A payload read into the fields every event may carry and the function's own.
#[derive(Debug, Clone, Default)]
pub struct Payload<T> {
    /// `dry_run` and the event's time fields.
    pub common: CommonFields,
    /// The function's own fields.
    pub fields: T,
}

/// Parses `payload` into the common fields and `T` (both read from the same
/// object; unknown fields are ignored). A payload that is not a JSON object,
/// or has a field of the wrong type, is `InvalidInput` naming the field and
/// what was expected; `null` counts as `{}` (an invoke with no payload).
pub fn parse_payload<T: DeserializeOwned>(payload: Value) -> Result<Payload<T>, Error> {
    let payload = match payload {
        Value::Null => Value::Object(serde_json::Map::new()),
        Value::Object(_) => payload,
        other => {
            return Err(Error::InvalidInput(format!(
                "expected a JSON object, got {}",
                json_kind(&other)
            )));
        }
    };
    Ok(Payload {
        common: deserialize(&payload)?,
        fields: deserialize(&payload)?,
    })
}

fn deserialize<T: DeserializeOwned>(payload: &Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(payload).map_err(|e| {
        let path = e.path().to_string();
        Error::InvalidInput(format!("`{path}`: {}", e.into_inner()))
    })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Fields any event may carry (ARCHITECTURE §3): the dry-run override and the
/// times a run takes "now" from.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CommonFields {
    /// Overrides `DRY_RUN` for this run.
    pub dry_run: Option<bool>,
    /// `time` of an EventBridge event.
    pub time: Option<String>,
    /// `scheduled_time` of the EventBridge Scheduler input.
    pub scheduled_time: Option<String>,
    /// `at` of a manual payload.
    pub at: Option<String>,
}

impl CommonFields {
    /// The run's "now": the event's time when it has one, else `clock()`.
    pub fn event_time(&self, clock: impl FnOnce() -> DateTime<Utc>) -> Result<EventTime, Error> {
        let sources = [
            (
                "scheduled_time",
                &self.scheduled_time,
                TimeSource::Scheduler,
            ),
            ("time", &self.time, TimeSource::EventBridge),
            ("at", &self.at, TimeSource::Manual),
        ];
        for (field, raw, source) in sources {
            if let Some(raw) = raw {
                return Ok(EventTime {
                    now: parse_event_time(field, raw)?,
                    source,
                });
            }
        }
        Ok(EventTime {
            now: clock(),
            source: TimeSource::Clock,
        })
    }

    /// Whether this run changes nothing: the event's `dry_run`, else `DRY_RUN`.
    pub fn dry_run(&self, configured: bool) -> bool {
        self.dry_run.unwrap_or(configured)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Fields {
        reason: Option<String>,
    }

    type Sample = Payload<Fields>;

    fn fixed_clock() -> DateTime<Utc> {
        parse_event_time("clock", "2030-01-01T00:00:00Z").unwrap()
    }

    #[test]
    fn scalars_and_arrays_are_rejected_with_what_was_expected() {
        for payload in [json!(3), json!("x"), json!([1])] {
            let err = parse_payload::<Fields>(payload).unwrap_err();
            assert!(
                matches!(err, Error::InvalidInput(ref m) if m.starts_with("expected a JSON object"))
            );
        }
    }

    #[test]
    fn a_wrong_field_type_names_the_field() {
        let err = parse_payload::<Fields>(json!({"dry_run": "yes"})).unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput(ref m) if m.contains("dry_run") && m.contains("boolean")),
            "{err}"
        );
        let err = parse_payload::<Fields>(json!({"reason": 5})).unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput(ref m) if m.contains("reason") && m.contains("string")),
            "{err}"
        );
    }

    #[test]
    fn null_is_an_empty_manual_run_and_unknown_fields_are_ignored() {
        let sample: Sample = parse_payload::<Fields>(Value::Null).unwrap();
        assert!(sample.fields.reason.is_none());
        let sample: Sample =
            parse_payload::<Fields>(json!({"reason": "pre-deploy", "extra": 1})).unwrap();
        assert_eq!(sample.fields.reason.as_deref(), Some("pre-deploy"));
    }

    #[test]
    fn now_comes_from_the_event_in_contract_order() {
        let sample: Sample =
            parse_payload::<Fields>(json!({"scheduled_time": "2026-11-28T19:30:00Z"})).unwrap();
        let t = sample.common.event_time(fixed_clock).unwrap();
        assert_eq!(t.source, TimeSource::Scheduler);
        assert_eq!(t.now.to_rfc3339(), "2026-11-28T19:30:00+00:00");

        let sample: Sample = parse_payload::<Fields>(
            json!({"time": "2026-11-28T19:30:00Z", "detail-type": "Scheduled Event"}),
        )
        .unwrap();
        assert_eq!(
            sample.common.event_time(fixed_clock).unwrap().source,
            TimeSource::EventBridge
        );

        let sample: Sample =
            parse_payload::<Fields>(json!({"at": "2026-11-28T10:00:00+09:00"})).unwrap();
        let t = sample.common.event_time(fixed_clock).unwrap();
        assert_eq!(t.source, TimeSource::Manual);
        assert_eq!(t.now.to_rfc3339(), "2026-11-28T01:00:00+00:00");

        let sample: Sample = parse_payload::<Fields>(json!({})).unwrap();
        let t = sample.common.event_time(fixed_clock).unwrap();
        assert_eq!((t.source, t.now), (TimeSource::Clock, fixed_clock()));
    }

    #[test]
    fn an_unparseable_event_time_is_invalid_input() {
        let sample: Sample = parse_payload::<Fields>(json!({"time": "not a time"})).unwrap();
        assert!(matches!(
            sample.common.event_time(fixed_clock),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn the_event_dry_run_overrides_the_configured_one() {
        let sample: Sample = parse_payload::<Fields>(json!({"dry_run": false})).unwrap();
        assert!(!sample.common.dry_run(true));
        let sample: Sample = parse_payload::<Fields>(json!({})).unwrap();
        assert!(sample.common.dry_run(true));
    }
}
