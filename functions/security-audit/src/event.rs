//! What an audit is asked for: the daily review of a window, or one
//! CloudTrail event judged the moment it happened.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::Value;
use shared::event::parse_payload;
use shared::{Error, Stamp};

use crate::config::LOOKBACK_HOURS_MAX;
use crate::trail::TrailEvent;

/// The EventBridge detail type of a CloudTrail-recorded API call.
pub const API_CALL: &str = "AWS API Call via CloudTrail";
/// The EventBridge detail type of a console sign-in (`ConsoleLogin`), a
/// global-service event forwarded from us-east-1.
pub const SIGN_IN: &str = "AWS Console Sign In via CloudTrail";
/// The detail type of a classic EventBridge schedule.
pub const SCHEDULED: &str = "Scheduled Event";

/// security-audit's own payload fields (ARCHITECTURE §4).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditEvent {
    /// `AWS API Call via CloudTrail` (real time) or `Scheduled Event`.
    #[serde(rename = "detail-type")]
    pub detail_type: Option<String>,
    /// The CloudTrail record, in real time.
    pub detail: Option<Value>,
    /// The review's window, in hours before "now".
    pub lookback_hours: Option<u32>,
}

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Audit {
    /// The IAM review and the CloudTrail rules over `[start, end]`.
    Daily {
        /// `now − lookback_hours`.
        start: DateTime<Utc>,
        /// "now": later events are not this run's.
        end: DateTime<Utc>,
    },
    /// One event, on its own, without a lookup or an IAM review.
    RealTime(Box<TrailEvent>),
}

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRequest {
    /// The run's "now".
    pub now: DateTime<Utc>,
    /// Daily or real time.
    pub audit: Audit,
    /// Change nothing (containment only planned).
    pub dry_run: bool,
}

impl shared::entry::Request for AuditRequest {
    fn stamp(&self) -> Stamp {
        Stamp {
            at: self.now,
            dry_run: self.dry_run,
        }
    }
}

impl AuditRequest {
    /// Reads `payload`. Anything but a daily input (`{}`, `{"at"}`, the
    /// scheduler's, a `Scheduled Event`) or an `AWS API Call via CloudTrail`
    /// event whose `detail` is an object with a string `eventName`, or a
    /// `lookback_hours` outside 1–2160, is `InvalidInput`.
    pub fn parse(
        payload: Value,
        configured_dry_run: bool,
        configured_lookback: u32,
        clock: impl FnOnce() -> DateTime<Utc>,
    ) -> Result<Self, Error> {
        let payload = parse_payload::<AuditEvent>(payload)?;
        let now = payload.common.event_time(clock)?.now;
        let dry_run = payload.common.dry_run(configured_dry_run);
        let fields = payload.fields;
        let audit = match fields.detail_type.as_deref() {
            Some(kind @ (API_CALL | SIGN_IN)) => {
                let detail = fields.detail.unwrap_or(Value::Null);
                if !detail.is_object() || !detail["eventName"].is_string() {
                    return Err(Error::InvalidInput(format!(
                        "an `{kind}` event needs `detail`: the CloudTrail record, an object with a string `eventName`"
                    )));
                }
                let event = TrailEvent::from_record(&detail, Vec::new(), None, Some(now))
                    .ok_or_else(|| {
                        Error::InvalidInput("`detail.eventTime` is not an RFC 3339 time".into())
                    })?;
                Audit::RealTime(Box::new(event))
            }
            None | Some(SCHEDULED) => {
                let hours = fields.lookback_hours.unwrap_or(configured_lookback);
                if !(1..=LOOKBACK_HOURS_MAX).contains(&hours) {
                    return Err(Error::InvalidInput(format!(
                        "`lookback_hours` must be an integer 1–{LOOKBACK_HOURS_MAX} (hours before now)"
                    )));
                }
                let start = now
                    .checked_sub_signed(TimeDelta::hours(i64::from(hours)))
                    .ok_or_else(|| {
                        Error::InvalidInput(
                            "the window starts before any time CloudTrail keeps".into(),
                        )
                    })?;
                Audit::Daily { start, end: now }
            }
            Some(_) => {
                return Err(Error::InvalidInput(format!(
                    "`detail-type` must be `{API_CALL}` or `{SIGN_IN}` (one event, in real time) or `{SCHEDULED}`; leave it out for the daily review"
                )));
            }
        };
        Ok(AuditRequest {
            now,
            audit,
            dry_run,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        shared::time::parse_event_time("at", rfc3339).unwrap()
    }

    fn parse(payload: Value) -> Result<AuditRequest, Error> {
        AuditRequest::parse(payload, false, 24, || at("2026-12-01T00:00:00Z"))
    }

    #[test]
    fn daily_inputs_review_the_window_before_now() {
        for payload in [
            json!({"scheduled_time": "2026-11-30T23:00:00Z"}),
            json!({"detail-type": "Scheduled Event", "time": "2026-11-30T23:00:00Z", "detail": {}}),
            json!({"at": "2026-11-30T23:00:00Z"}),
        ] {
            let r = parse(payload).unwrap();
            assert_eq!(
                r.audit,
                Audit::Daily {
                    start: at("2026-11-29T23:00:00Z"),
                    end: at("2026-11-30T23:00:00Z")
                }
            );
        }
        let r = parse(json!({"lookback_hours": 2160})).unwrap();
        assert_eq!(
            r.audit,
            Audit::Daily {
                start: at("2026-09-02T00:00:00Z"),
                end: at("2026-12-01T00:00:00Z")
            }
        );
    }

    #[test]
    fn an_api_call_event_is_judged_in_real_time_at_its_time() {
        let r = parse(json!({
            "detail-type": "AWS API Call via CloudTrail", "source": "aws.rds",
            "time": "2026-11-30T17:03:12Z",
            "detail": {"eventID": "e1", "eventName": "DeleteDBCluster", "eventTime": "2026-11-30T17:03:11Z",
                       "userIdentity": {"type": "IAMUser", "userName": "github-actions-deploy"}}
        }))
        .unwrap();
        assert_eq!(r.now, at("2026-11-30T17:03:12Z"));
        let Audit::RealTime(event) = r.audit else {
            panic!("not real time");
        };
        assert_eq!(event.name, "DeleteDBCluster");
    }

    #[test]
    fn anything_else_is_invalid_input() {
        for bad in [
            json!({"detail-type": "EC2 Instance State-change Notification", "detail": {}}),
            json!({"detail-type": 5}),
            json!({"detail-type": "AWS API Call via CloudTrail", "detail": "DeleteDBCluster"}),
            json!({"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": 3}}),
            json!({"detail-type": "AWS API Call via CloudTrail"}),
            json!({"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "X", "eventTime": "yesterday"}}),
            json!({"lookback_hours": 0}),
            json!({"lookback_hours": 2161}),
            json!({"lookback_hours": 24.5}),
            json!({"lookback_hours": "24"}),
            json!({"lookback_hours": -1}),
            json!([]),
        ] {
            let err = parse(bad.clone()).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{bad}: {err}");
        }
    }
}
