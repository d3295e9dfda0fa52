//! What a budget run is asked to do: the event, read and checked.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use shared::event::parse_payload;
use shared::{Error, Stamp};

use crate::month::BillingMonth;

/// Days between scheduled runs: the first scheduled run of a month falls in its first week.
pub const SCHEDULE_INTERVAL_DAYS: u32 = 7;

/// budget-alert's own payload fields (ARCHITECTURE §4).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BudgetEvent {
    /// `YYYY-MM`: the billing month to report, the current or a past one.
    pub month: Option<String>,
}

/// A checked request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetRequest {
    /// The run's "now", from the event when it has a time.
    pub now: DateTime<Utc>,
    /// The billing month reported (UTC).
    pub month: BillingMonth,
    /// The month is still running (forecast possible).
    pub current: bool,
    /// The first scheduled run of the month: also report last month's final figures, and notify.
    pub first_run_of_month: bool,
    /// `dry_run` (the function changes nothing anyway; echoed in the report).
    pub dry_run: bool,
}

impl shared::entry::Request for BudgetRequest {
    fn stamp(&self) -> Stamp {
        Stamp {
            at: self.now,
            dry_run: self.dry_run,
        }
    }
}

impl BudgetRequest {
    /// Reads `payload`; a bad shape, time or month is `InvalidInput`.
    pub fn parse(
        payload: Value,
        configured_dry_run: bool,
        clock: impl FnOnce() -> DateTime<Utc>,
    ) -> Result<Self, Error> {
        let payload = parse_payload::<BudgetEvent>(payload)?;
        let time = payload.common.event_time(clock)?;
        let now_month = BillingMonth::of(time.now);
        let month = match payload.fields.month.as_deref() {
            None => now_month,
            Some(raw) => {
                let month: BillingMonth = raw
                    .trim()
                    .parse()
                    .map_err(|e| Error::InvalidInput(format!("`month`: {e}")))?;
                if month > now_month {
                    return Err(Error::InvalidInput(format!(
                        "`month`: {month} has not begun (the current billing month, UTC, is {now_month})"
                    )));
                }
                month
            }
        };
        let current = month == now_month;
        Ok(BudgetRequest {
            now: time.now,
            month,
            current,
            first_run_of_month: current
                && time.source.is_scheduled()
                && BillingMonth::day_of_month(time.now) <= SCHEDULE_INTERVAL_DAYS,
            dry_run: payload.common.dry_run(configured_dry_run),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn clock() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_scheduled_run_reports_its_utc_month() {
        // Monday 2026-11-30 09:00 JST = 00:00 UTC.
        let r = BudgetRequest::parse(
            json!({"scheduled_time": "2026-11-30T00:00:00Z"}),
            false,
            clock,
        )
        .unwrap();
        assert_eq!(
            (r.month.to_string(), r.current, r.first_run_of_month),
            ("2026-11".into(), true, false)
        );
    }

    #[test]
    fn the_first_scheduled_run_of_a_month_is_in_its_first_week() {
        for (time, first) in [
            ("2026-12-07T00:00:00Z", true),
            ("2026-12-01T00:00:00Z", true),
            ("2026-12-08T00:00:00Z", false),
            // 2026-12-01 05:00 JST is still November 30 on the UTC bill.
            ("2026-11-30T20:00:00Z", false),
        ] {
            let r = BudgetRequest::parse(json!({"scheduled_time": time}), false, clock).unwrap();
            assert_eq!(r.first_run_of_month, first, "{time}");
        }
        // A manual run in the first week is not "the first run": it never repeats last month.
        let r = BudgetRequest::parse(json!({"at": "2026-12-02T00:00:00Z"}), false, clock).unwrap();
        assert!(!r.first_run_of_month);
    }

    #[test]
    fn a_manual_month_may_be_past_or_current_but_not_future() {
        let r = BudgetRequest::parse(json!({"month": "2026-10"}), false, clock).unwrap();
        assert_eq!((r.month.to_string(), r.current), ("2026-10".into(), false));
        let r = BudgetRequest::parse(json!({"month": "2026-11", "dry_run": true}), false, clock)
            .unwrap();
        assert!(r.current && r.dry_run);
        let err = BudgetRequest::parse(json!({"month": "2026-12"}), false, clock).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(m) if m.contains("has not begun")),
            "{err}"
        );
    }

    #[test]
    fn bad_payloads_are_invalid_input() {
        for payload in [
            json!([]),
            json!("2026-11"),
            json!({"month": 202611}),
            json!({"month": "2026-13"}),
            json!({"month": "November"}),
            json!({"month": "2026-11-01"}),
            json!({"at": "yesterday"}),
            json!({"dry_run": "yes"}),
        ] {
            let err = BudgetRequest::parse(payload.clone(), false, clock).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{payload}: {err}");
        }
    }
}
