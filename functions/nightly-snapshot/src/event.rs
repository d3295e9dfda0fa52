//! What a snapshot run is asked to do: the event, read and checked.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use shared::event::parse_payload;
use shared::{Error, Stamp};

/// nightly-snapshot's own payload fields (ARCHITECTURE §4); `dry_run` and the
/// time fields are read by the shared [`shared::event::CommonFields`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SnapshotEvent {
    /// Why a manual snapshot is taken (`pre-deploy`, …); tagged on the snapshot.
    pub reason: Option<String>,
}

/// How the run was started, tagged on the snapshot as `trigger`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// EventBridge (Scheduler) at 04:30 JST.
    Schedule,
    /// By hand.
    Manual,
}

impl Trigger {
    /// The tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
        }
    }
}

/// A checked request: when, why, and whether to change anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRequest {
    /// The run's "now", from the event when it has a time.
    pub now: DateTime<Utc>,
    /// Schedule or manual.
    pub trigger: Trigger,
    /// The `reason` tag: `nightly` for scheduled runs, the given reason or `manual` otherwise.
    pub reason: String,
    /// Change nothing, report the plan.
    pub dry_run: bool,
}

impl shared::entry::Request for SnapshotRequest {
    fn stamp(&self) -> Stamp {
        Stamp {
            at: self.now,
            dry_run: self.dry_run,
        }
    }
}

/// Longest tag value RDS accepts.
const TAG_VALUE_MAX: usize = 256;

impl SnapshotRequest {
    /// Reads `payload`; a bad shape, time or reason is `InvalidInput`.
    pub fn parse(
        payload: Value,
        configured_dry_run: bool,
        clock: impl FnOnce() -> DateTime<Utc>,
    ) -> Result<Self, Error> {
        let payload = parse_payload::<SnapshotEvent>(payload)?;
        let time = payload.common.event_time(clock)?;
        let trigger = if time.source.is_scheduled() {
            Trigger::Schedule
        } else {
            Trigger::Manual
        };
        let reason = match (payload.fields.reason, trigger) {
            (Some(reason), _) => check_reason(reason.trim())?,
            (None, Trigger::Schedule) => "nightly".to_owned(),
            (None, Trigger::Manual) => "manual".to_owned(),
        };
        Ok(SnapshotRequest {
            now: time.now,
            trigger,
            reason,
            dry_run: payload.common.dry_run(configured_dry_run),
        })
    }
}

/// RDS tag values: Unicode letters, digits, spaces and `_ . : / = + - @`, ≤ 256.
fn check_reason(reason: &str) -> Result<String, Error> {
    let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
    if reason.is_empty() || reason.chars().count() > TAG_VALUE_MAX || !reason.chars().all(allowed) {
        return Err(Error::InvalidInput(format!(
            "`reason` must be 1–{TAG_VALUE_MAX} letters, digits, spaces or _ . : / = + - @ (it becomes a tag value)"
        )));
    }
    Ok(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn clock() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_scheduler_input_is_a_nightly_scheduled_run_at_its_time() {
        let r = SnapshotRequest::parse(
            json!({"scheduled_time": "2026-11-28T19:30:00Z"}),
            false,
            clock,
        )
        .unwrap();
        assert_eq!(r.trigger, Trigger::Schedule);
        assert_eq!(r.reason, "nightly");
        assert_eq!(r.now.to_rfc3339(), "2026-11-28T19:30:00+00:00");
        assert!(!r.dry_run);
    }

    #[test]
    fn an_eventbridge_scheduled_event_is_a_scheduled_run() {
        let event = json!({
            "version": "0", "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
            "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-11-28T19:30:00Z",
            "region": "ap-northeast-1", "resources": [], "detail": {}
        });
        let r = SnapshotRequest::parse(event, false, clock).unwrap();
        assert_eq!(
            (r.trigger, r.reason.as_str()),
            (Trigger::Schedule, "nightly")
        );
    }

    #[test]
    fn a_manual_payload_keeps_its_reason_and_uses_the_clock() {
        let r = SnapshotRequest::parse(json!({"reason": "pre-deploy"}), false, clock).unwrap();
        assert_eq!(r.trigger, Trigger::Manual);
        assert_eq!(r.reason, "pre-deploy");
        assert_eq!(r.now, clock());
        let r = SnapshotRequest::parse(json!({}), true, clock).unwrap();
        assert_eq!(r.reason, "manual");
        assert!(r.dry_run);
    }

    #[test]
    fn bad_payloads_are_invalid_input() {
        for payload in [
            json!([]),
            json!("snapshot"),
            json!({"reason": 5}),
            json!({"reason": "drop; table"}),
            json!({"reason": ""}),
            json!({"reason": "x".repeat(300)}),
            json!({"dry_run": "true"}),
            json!({"time": "tomorrow"}),
        ] {
            let err = SnapshotRequest::parse(payload.clone(), false, clock).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{payload}: {err}");
        }
    }

    #[test]
    fn a_japanese_reason_is_a_valid_tag_value() {
        let r = SnapshotRequest::parse(json!({"reason": "リリース前 v1.2"}), false, clock).unwrap();
        assert_eq!(r.reason, "リリース前 v1.2");
    }
}
