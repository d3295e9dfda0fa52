//! What a drill invocation is asked to do: start one (`{}`, `{"snapshot"}`,
//! the weekly schedule), or continue one (`{"drill": {...}}`, from the
//! drill's own one-time schedules).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::event::parse_payload;
use shared::{Error, Stamp};

use shared::runbook::limits;

/// Where a drill is when an invocation continues it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// The cluster and its instance are on their way to `available`.
    Wait,
    /// The drill's resources are being deleted.
    Cleanup,
    /// The deadline schedule: clean up whatever happened to the chain.
    Deadline,
}

impl Step {
    /// Its name in reports and schedules.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Wait => "wait",
            Step::Cleanup => "cleanup",
            Step::Deadline => "deadline",
        }
    }
}

/// One verification query's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryValue {
    /// The query's name.
    pub name: String,
    /// Its value, when it gave one integer.
    pub value: Option<i64>,
    /// The least value that passes.
    pub min: i64,
    /// `ok` or `critical`.
    pub status: String,
    /// Why it failed (the database's message), when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the verification found, carried to the drill's last report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verified {
    /// When the login succeeded (the end of the RTO), if it did.
    pub logged_in_at: Option<DateTime<Utc>>,
    /// `AWSCURRENT` or `AWSPREVIOUS`: the version that logged in.
    pub credentials: Option<String>,
    /// User tables found.
    pub tables: Option<i64>,
    /// The verification queries.
    pub queries: Vec<QueryValue>,
    /// Whether everything passed.
    pub passed: bool,
}

/// The drill's state, as its schedules carry it (`{"drill": …}`). No state
/// store beyond this, the schedules and the drill cluster's tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillState {
    /// The drill's id (`20261206T200000Z`, its start in UTC), tagged `drill-id`.
    pub id: String,
    /// What this invocation does.
    pub step: Step,
    /// The snapshot being restored.
    pub snapshot: String,
    /// The snapshot's ARN (tagged `restore-verified` on success).
    #[serde(default)]
    pub snapshot_arn: Option<String>,
    /// When the snapshot was taken (its age is the RPO).
    #[serde(default)]
    pub snapshot_created_at: Option<DateTime<Utc>>,
    /// When the drill started (the start of the RTO).
    pub started_at: DateTime<Utc>,
    /// The continuation's number (its schedule's name).
    pub seq: u32,
    /// The verification, once done.
    #[serde(default)]
    pub verified: Option<Verified>,
    /// What failed, in words (no secret), once something did.
    #[serde(default)]
    pub failure: Option<String>,
    /// The drill ran past `DRILL_TIMEOUT_MINUTES`.
    #[serde(default)]
    pub timed_out: bool,
}

impl DrillState {
    /// A drill at its start: waiting, nothing restored, verified or failed yet.
    pub fn new(id: String, snapshot: String, started_at: DateTime<Utc>) -> Self {
        DrillState {
            id,
            step: Step::Wait,
            snapshot,
            snapshot_arn: None,
            snapshot_created_at: None,
            started_at,
            seq: 0,
            verified: None,
            failure: None,
            timed_out: false,
        }
    }
}

/// Continuations a drill may take before it is refused (a chain that
/// loops, or a forged payload).
pub const MAX_SEQ: u32 = 2000;

/// A checked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrillRequest {
    /// Start a drill.
    Start {
        /// The snapshot asked for; the newest available manual one otherwise.
        snapshot: Option<String>,
        /// The run's "now" (the schedule's time: a retried start is the same drill).
        now: DateTime<Utc>,
        /// Plan only.
        dry_run: bool,
    },
    /// Continue a drill.
    Continue {
        /// Its state.
        state: Box<DrillState>,
        /// The clock.
        now: DateTime<Utc>,
    },
}

impl shared::entry::Request for DrillRequest {
    fn stamp(&self) -> Stamp {
        match self {
            DrillRequest::Start { now, dry_run, .. } => Stamp {
                at: *now,
                dry_run: *dry_run,
            },
            DrillRequest::Continue { now, .. } => Stamp {
                at: *now,
                dry_run: false,
            },
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct DrillEvent {
    snapshot: Option<String>,
    drill: Option<Value>,
}

/// Whether `id` is a drill id: `YYYYMMDDTHHMMSSZ`.
pub fn valid_drill_id(id: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(id, "%Y%m%dT%H%M%SZ").is_ok() && id.len() == 16
}

/// The drill id of a start at `at`.
pub fn drill_id(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

impl DrillRequest {
    /// Reads `payload`; a bad shape is `InvalidInput` naming the field.
    pub fn parse(
        payload: Value,
        configured_dry_run: bool,
        clock: impl Fn() -> DateTime<Utc>,
    ) -> Result<Self, Error> {
        let payload = parse_payload::<DrillEvent>(payload)?;
        if let Some(drill) = payload.fields.drill {
            if payload.fields.snapshot.is_some() {
                return Err(Error::InvalidInput(
                    "`snapshot` starts a drill and `drill` continues one: give one of them".into(),
                ));
            }
            if payload.common.dry_run == Some(true) {
                return Err(Error::InvalidInput(
                    "`dry_run`: a drill already started is continued for real (a dry run only plans a start)".into(),
                ));
            }
            let state: DrillState = serde_json::from_value(drill)
                .map_err(|e| Error::InvalidInput(format!("`drill`: {e}")))?;
            if !valid_drill_id(&state.id) {
                return Err(Error::InvalidInput(
                    "`drill.id`: expected a drill id like 20261206T200000Z".into(),
                ));
            }
            check_snapshot(&state.snapshot, "drill.snapshot")?;
            if state.seq > MAX_SEQ {
                return Err(Error::InvalidInput(format!(
                    "`drill.seq`: at most {MAX_SEQ} continuations"
                )));
            }
            return Ok(DrillRequest::Continue {
                state: Box::new(state),
                now: clock(),
            });
        }
        if let Some(snapshot) = &payload.fields.snapshot {
            check_snapshot(snapshot, "snapshot")?;
        }
        let time = payload.common.event_time(&clock)?;
        Ok(DrillRequest::Start {
            snapshot: payload.fields.snapshot,
            now: time.now,
            dry_run: payload.common.dry_run(configured_dry_run),
        })
    }
}

/// Snapshot identifiers: RDS's rules, 255 at most.
fn check_snapshot(id: &str, field: &str) -> Result<(), Error> {
    if limits::rds_identifier(id, limits::SNAPSHOT_ID_MAX_LEN) {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "`{field}`: expected a cluster snapshot identifier (a letter first, then letters, digits and single hyphens)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn clock() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-06T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_start_takes_its_time_from_the_schedule_and_an_optional_snapshot() {
        let r = DrillRequest::parse(
            json!({"scheduled_time": "2026-12-05T20:00:00Z"}),
            false,
            clock,
        )
        .unwrap();
        let DrillRequest::Start {
            snapshot,
            now,
            dry_run,
        } = r
        else {
            panic!("{r:?}")
        };
        assert_eq!((snapshot, dry_run), (None, false));
        assert_eq!(drill_id(now), "20261205T200000Z");
        let r =
            DrillRequest::parse(json!({"snapshot": "s-1", "dry_run": true}), false, clock).unwrap();
        assert!(
            matches!(r, DrillRequest::Start { snapshot: Some(ref s), dry_run: true, .. } if s == "s-1")
        );
        assert!(matches!(
            DrillRequest::parse(Value::Null, false, clock).unwrap(),
            DrillRequest::Start { .. }
        ));
    }

    #[test]
    fn a_continuation_round_trips_and_anything_else_is_refused() {
        let state = DrillState {
            seq: 3,
            ..DrillState::new(
                "20261206T200000Z".into(),
                "goal-mandala-production-manual-20261207-0430".into(),
                clock(),
            )
        };
        let payload = json!({ "drill": state });
        let r = DrillRequest::parse(payload, true, clock).unwrap();
        assert!(matches!(r, DrillRequest::Continue { state: ref s, .. } if **s == state));
        for bad in [
            json!([]),
            json!({"snapshot": "1bad"}),
            json!({"snapshot": 7}),
            json!({"drill": {"id": "x"}}),
            json!({"drill": {"id": "yesterday", "step": "wait", "snapshot": "s", "started_at": "2026-12-06T20:00:00Z", "seq": 1}}),
            json!({"drill": {"id": "20261206T200000Z", "step": "verify", "snapshot": "s", "started_at": "2026-12-06T20:00:00Z", "seq": 1}}),
            json!({"drill": {"id": "20261206T200000Z", "step": "wait", "snapshot": "s", "started_at": "2026-12-06T20:00:00Z", "seq": 1, "extra": 1}}),
            json!({"drill": {"id": "20261206T200000Z", "step": "wait", "snapshot": "s", "started_at": "2026-12-06T20:00:00Z", "seq": 99999}}),
            json!({"drill": {"id": "20261206T200000Z", "step": "wait", "snapshot": "s", "started_at": "2026-12-06T20:00:00Z", "seq": 1}, "snapshot": "s"}),
            json!({"drill": {"id": "20261206T200000Z", "step": "wait", "snapshot": "s", "started_at": "2026-12-06T20:00:00Z", "seq": 1}, "dry_run": true}),
            json!({"scheduled_time": "tomorrow"}),
        ] {
            let err = DrillRequest::parse(bad.clone(), false, clock).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{bad}: {err}");
        }
    }
}
