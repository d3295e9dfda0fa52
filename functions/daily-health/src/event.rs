//! What a health check is asked for: the day `D` and "now", read and checked.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;
use shared::event::parse_payload;
use shared::{Error, Stamp};

/// daily-health's own payload field (ARCHITECTURE §4).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HealthEvent {
    /// The day to report (`YYYY-MM-DD`, local), instead of yesterday.
    pub date: Option<String>,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthRequest {
    /// The run's "now": alarms and hygiene are read as they stand then.
    pub now: DateTime<Utc>,
    /// The local day reported, and its window.
    pub day: Day,
    /// `dry_run`, echoed (the function changes nothing either way).
    pub dry_run: bool,
}

impl shared::entry::Request for HealthRequest {
    fn stamp(&self) -> Stamp {
        Stamp {
            at: self.now,
            dry_run: self.dry_run,
        }
    }
}

impl HealthRequest {
    /// Reads `payload`: the day is `date`, else the local day before "now".
    /// A `date` that is not a string, not a real `YYYY-MM-DD` date, or not
    /// before today's local date is `InvalidInput`.
    pub fn parse(
        payload: Value,
        configured_dry_run: bool,
        tz: Tz,
        clock: impl FnOnce() -> DateTime<Utc>,
    ) -> Result<Self, Error> {
        let payload = parse_payload::<HealthEvent>(payload)?;
        let now = payload.common.event_time(clock)?.now;
        let today = now.with_timezone(&tz).date_naive();
        let date = match payload.fields.date.as_deref() {
            None => today.pred_opt().ok_or_else(|| {
                Error::InvalidInput("the day before \"now\" is out of range".into())
            })?,
            Some(raw) => {
                let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                    .ok()
                    .filter(|_| raw.trim().len() == 10)
                    .ok_or_else(|| {
                        Error::InvalidInput(
                            "`date` must be a calendar date written YYYY-MM-DD, like 2026-11-28"
                                .into(),
                        )
                    })?;
                if date >= today {
                    return Err(Error::InvalidInput(format!(
                        "`date` must be a day that is over: before {today} ({tz})"
                    )));
                }
                date
            }
        };
        Ok(HealthRequest {
            now,
            day: Day::new(date, tz)?,
            dry_run: payload.common.dry_run(configured_dry_run),
        })
    }
}

/// Days of history before `D` that the surge rule averages over.
pub const HISTORY_DAYS: u64 = 7;

/// The local day `D` a report covers, and the windows it is read over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    /// `D`, in the report time zone.
    pub date: NaiveDate,
    /// Local `D 00:00`, in UTC: the window's start (inclusive).
    pub start: DateTime<Utc>,
    /// Local `D+1 00:00`, in UTC: the window's end (exclusive).
    pub end: DateTime<Utc>,
    /// Local `D-7 00:00`, in UTC: where the history read starts.
    pub history_start: DateTime<Utc>,
}

impl Day {
    /// `date` in `tz`. A midnight that does not exist locally (a DST jump at
    /// 00:00) starts at the first instant after it.
    pub fn new(date: NaiveDate, tz: Tz) -> Result<Self, Error> {
        let out_of_range = || Error::InvalidInput(format!("`date` {date} is out of range"));
        let next = date
            .checked_add_days(Days::new(1))
            .ok_or_else(out_of_range)?;
        let first = date
            .checked_sub_days(Days::new(HISTORY_DAYS))
            .ok_or_else(out_of_range)?;
        Ok(Day {
            date,
            start: local_midnight(date, tz).ok_or_else(out_of_range)?,
            end: local_midnight(next, tz).ok_or_else(out_of_range)?,
            history_start: local_midnight(first, tz).ok_or_else(out_of_range)?,
        })
    }
}

/// The first instant of local `date` in `tz`, in UTC.
pub fn local_midnight(date: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    // A gap at midnight (some zones start DST at 00:00): the day begins at
    // the first local time that exists, an hour later.
    (0..=2).find_map(|hour| {
        tz.from_local_datetime(&(midnight + chrono::TimeDelta::hours(hour)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const TOKYO: Tz = chrono_tz::Asia::Tokyo;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        shared::time::parse_event_time("at", rfc3339).unwrap()
    }

    fn parse(payload: Value) -> Result<HealthRequest, Error> {
        HealthRequest::parse(payload, false, TOKYO, || at("2026-12-01T00:00:00Z"))
    }

    #[test]
    fn the_nine_oclock_run_reports_yesterday_in_jst() {
        // 09:00 JST on 1 December is 00:00 UTC: D is 30 November.
        let r = parse(json!({"scheduled_time": "2026-12-01T00:00:00Z"})).unwrap();
        assert_eq!(r.day.date.to_string(), "2026-11-30");
        assert_eq!(r.day.start, at("2026-11-29T15:00:00Z"));
        assert_eq!(r.day.end, at("2026-11-30T15:00:00Z"));
        assert_eq!(r.day.history_start, at("2026-11-22T15:00:00Z"));
        assert_eq!(r.now, at("2026-12-01T00:00:00Z"));
    }

    #[test]
    fn the_local_date_decides_not_the_utc_one() {
        // 14:59:59Z on the 30th is 23:59:59 JST: today is still the 30th.
        let r = parse(json!({"at": "2026-11-30T14:59:59Z"})).unwrap();
        assert_eq!(r.day.date.to_string(), "2026-11-29");
        // 15:00:00Z is 00:00 JST on 1 December.
        let r = parse(json!({"at": "2026-11-30T15:00:00Z"})).unwrap();
        assert_eq!(r.day.date.to_string(), "2026-11-30");
    }

    #[test]
    fn a_manual_date_is_any_day_that_is_over() {
        let r = parse(json!({"date": "2026-11-25"})).unwrap();
        assert_eq!(r.day.date.to_string(), "2026-11-25");
        assert_eq!(r.day.start, at("2026-11-24T15:00:00Z"));
        // With `at`, "today" is at's local date.
        let r = parse(json!({"date": "2026-11-30", "at": "2026-12-01T09:00:00+09:00"})).unwrap();
        assert_eq!(r.day.date.to_string(), "2026-11-30");
    }

    #[test]
    fn a_date_that_is_not_over_or_not_a_date_is_invalid_input() {
        // "now" is 09:00 JST on 1 December.
        for bad in [
            json!({"date": "2026-12-01"}),
            json!({"date": "2026-12-02"}),
            json!({"date": "2026-02-30"}),
            json!({"date": "2026-11-5"}),
            json!({"date": "20261125"}),
            json!({"date": "2026-11-25T00:00:00Z"}),
            json!({"date": 20261125}),
            json!({"date": null, "at": "yesterday"}),
            json!({"date": ["2026-11-25"]}),
            json!("2026-11-25"),
        ] {
            let err = parse(bad.clone()).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{bad}: {err}");
        }
        let err = parse(json!({"date": "2026-12-01"})).unwrap_err();
        assert!(err.to_string().contains("before 2026-12-01"), "{err}");
    }

    #[test]
    fn the_window_is_a_whole_local_day_in_other_zones_too() {
        let day = Day::new(
            NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
            chrono_tz::America::New_York,
        )
        .unwrap();
        // The day DST starts has 23 hours.
        assert_eq!(day.start, at("2026-03-08T05:00:00Z"));
        assert_eq!(day.end, at("2026-03-09T04:00:00Z"));
        let utc = Day::new(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(), Tz::UTC).unwrap();
        assert_eq!(utc.start, at("2026-11-28T00:00:00Z"));
    }
}
