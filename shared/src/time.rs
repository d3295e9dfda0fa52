//! "Now" taken from the event, and times shown to people (ARCHITECTURE §3 "Time").

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::error::Error;

/// Where a run's "now" came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    /// `time` of an EventBridge event.
    EventBridge,
    /// `scheduled_time` of an EventBridge Scheduler input.
    Scheduler,
    /// `at` of a manual payload.
    Manual,
    /// No time in the event: the clock.
    Clock,
}

impl TimeSource {
    /// Whether the run was started by a schedule (EventBridge or Scheduler).
    pub fn is_scheduled(self) -> bool {
        matches!(self, TimeSource::EventBridge | TimeSource::Scheduler)
    }
}

/// The instant a run decides by, and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTime {
    /// The run's "now".
    pub now: DateTime<Utc>,
    /// Its origin.
    pub source: TimeSource,
}

/// Parses an RFC 3339 time found in `field` of the event.
pub fn parse_event_time(field: &str, raw: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            Error::InvalidInput(format!(
                "`{field}` must be an RFC 3339 time like 2026-11-28T19:30:00Z: {e}"
            ))
        })
}

/// An AWS SDK time (any service's `DateTime`) as a UTC time; `None` only
/// outside chrono's range.
pub fn from_aws(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// `at` as reports and tags carry it: RFC 3339 UTC, whole seconds, `Z`
/// (`2026-11-28T19:30:00Z`).
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `at` in `tz`, as people read it: `2026-11-29 04:30:00 JST`.
pub fn format_local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// `at` in `tz` and in UTC: `2026-11-29 04:30:00 JST (2026-11-28 19:30:00 UTC)`.
pub fn format_local_and_utc(at: DateTime<Utc>, tz: Tz) -> String {
    if tz == Tz::UTC {
        return format_local(at, tz);
    }
    format!(
        "{} ({})",
        format_local(at, tz),
        at.format("%Y-%m-%d %H:%M:%S UTC")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_times_with_offsets_become_utc() {
        let t = parse_event_time("at", "2026-11-29T04:30:00+09:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-28T19:30:00+00:00");
    }

    #[test]
    fn an_unparseable_time_is_invalid_input_naming_the_field() {
        let err = parse_event_time("scheduled_time", "yesterday").unwrap_err();
        assert!(matches!(err, Error::InvalidInput(ref m) if m.contains("scheduled_time")));
    }

    #[test]
    fn aws_times_keep_their_fraction_and_print_in_whole_seconds() {
        let t = from_aws(&aws_smithy_types::DateTime::from_secs_and_nanos(
            1_764_358_200,
            500_000_000,
        ))
        .unwrap();
        assert_eq!(t.timestamp_subsec_millis(), 500);
        assert_eq!(rfc3339(t), "2025-11-28T19:30:00Z");
    }

    #[test]
    fn local_times_use_the_zone_abbreviation() {
        let t = parse_event_time("time", "2026-11-28T19:30:00Z").unwrap();
        assert_eq!(
            format_local(t, chrono_tz::Asia::Tokyo),
            "2026-11-29 04:30:00 JST"
        );
        assert_eq!(
            format_local_and_utc(t, chrono_tz::Asia::Tokyo),
            "2026-11-29 04:30:00 JST (2026-11-28 19:30:00 UTC)"
        );
    }
}
