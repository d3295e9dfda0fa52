//! Billing months and the date windows asked of Cost Explorer.
//!
//! AWS bills by UTC calendar month, and Cost Explorer's dates are UTC days
//! with an exclusive `End`. So the month a run belongs to is the UTC month of
//! its "now" — at 05:00 JST on 1 December it is still November on the bill.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};

/// A UTC calendar month, the unit AWS bills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BillingMonth {
    year: i32,
    month: u32,
}

/// A range of UTC days, `start` inclusive, `end` exclusive (Cost Explorer's `DateInterval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateWindow {
    /// First day in the window.
    pub start: NaiveDate,
    /// First day after the window.
    pub end: NaiveDate,
}

impl DateWindow {
    /// Number of days in the window.
    pub fn days(self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// Whether the window holds no day at all.
    pub fn is_empty(self) -> bool {
        self.end <= self.start
    }
}

impl BillingMonth {
    /// The month `(year, month)`; `None` for a month outside 1–12 or an unrepresentable year.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| BillingMonth { year, month })
    }

    /// The billing month `at` falls in (UTC).
    pub fn of(at: DateTime<Utc>) -> Self {
        let day = at.date_naive();
        BillingMonth {
            year: day.year(),
            month: day.month(),
        }
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The month after.
    pub fn next(self) -> Self {
        if self.month == 12 {
            BillingMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            BillingMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month before.
    pub fn previous(self) -> Self {
        if self.month == 1 {
            BillingMonth {
                year: self.year - 1,
                month: 12,
            }
        } else {
            BillingMonth {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The whole month.
    pub fn window(self) -> DateWindow {
        DateWindow {
            start: self.first_day(),
            end: self.next().first_day(),
        }
    }

    /// Number of days in the month.
    pub fn days(self) -> i64 {
        self.window().days()
    }

    /// The complete days of this month before `now`'s UTC day: month-to-date
    /// as far as Cost Explorer has settled it (today is still accruing and is
    /// left to the forecast). The whole month once `now` is past it; empty on
    /// the first day.
    pub fn settled_window(self, now: DateTime<Utc>) -> DateWindow {
        let whole = self.window();
        let today = now.date_naive();
        DateWindow {
            start: whole.start,
            end: today.clamp(whole.start, whole.end),
        }
    }

    /// The rest of the month from `now`'s UTC day on, what the forecast covers;
    /// `None` once the month is over.
    pub fn remaining_window(self, now: DateTime<Utc>) -> Option<DateWindow> {
        let whole = self.window();
        let today = now.date_naive();
        (today >= whole.start && today < whole.end).then_some(DateWindow {
            start: today,
            end: whole.end,
        })
    }

    /// Days of the month elapsed by `now`'s UTC day, counting it (1 on the first day).
    pub fn day_of_month(now: DateTime<Utc>) -> u32 {
        now.date_naive().day()
    }
}

impl fmt::Display for BillingMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for BillingMonth {
    type Err = String;

    /// `YYYY-MM`, exactly.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let expected = || format!("`{s}` is not a month like 2026-11 (YYYY-MM)");
        let (year, month) = s.split_once('-').ok_or_else(expected)?;
        let digits =
            |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return Err(expected());
        }
        let year: i32 = year.parse().map_err(|_| expected())?;
        let month: u32 = month.parse().map_err(|_| expected())?;
        BillingMonth::new(year, month).ok_or_else(|| format!("`{s}`: the month must be 01–12"))
    }
}

/// `date` + `days`, saturating at the calendar's end.
pub fn add_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_billing_month_is_the_utc_month_even_when_japan_has_moved_on() {
        // 05:00 JST on 1 December is 20:00 UTC on 30 November: still November's bill.
        assert_eq!(
            BillingMonth::of(at("2026-12-01T05:00:00+09:00")).to_string(),
            "2026-11"
        );
        assert_eq!(
            BillingMonth::of(at("2026-12-01T09:00:00+09:00")).to_string(),
            "2026-12"
        );
    }

    #[test]
    fn december_rolls_into_january_and_back() {
        let december: BillingMonth = "2026-12".parse().unwrap();
        assert_eq!(december.next().to_string(), "2027-01");
        assert_eq!(december.next().previous(), december);
        assert_eq!(
            december.window(),
            DateWindow {
                start: day("2026-12-01"),
                end: day("2027-01-01")
            }
        );
        assert_eq!(december.days(), 31);
        assert_eq!("2028-02".parse::<BillingMonth>().unwrap().days(), 29);
    }

    #[test]
    fn month_to_date_is_the_settled_days_and_empty_on_the_first() {
        let november: BillingMonth = "2026-11".parse().unwrap();
        let first = november.settled_window(at("2026-11-01T00:00:00Z"));
        assert!(first.is_empty());
        assert_eq!(first.start, day("2026-11-01"));
        let mid = november.settled_window(at("2026-11-16T00:00:00Z"));
        assert_eq!(
            (mid.start, mid.end, mid.days()),
            (day("2026-11-01"), day("2026-11-16"), 15)
        );
        // A past month is settled as a whole; End stays exclusive.
        let later = november.settled_window(at("2027-01-05T00:00:00Z"));
        assert_eq!(later, november.window());
    }

    #[test]
    fn the_forecast_covers_today_to_the_month_end_and_nothing_after_it() {
        let november: BillingMonth = "2026-11".parse().unwrap();
        assert_eq!(
            november.remaining_window(at("2026-11-30T23:59:59Z")),
            Some(DateWindow {
                start: day("2026-11-30"),
                end: day("2026-12-01")
            })
        );
        assert_eq!(november.remaining_window(at("2026-12-01T00:00:00Z")), None);
    }

    #[test]
    fn only_yyyy_mm_parses() {
        assert_eq!(
            "2026-11".parse::<BillingMonth>().unwrap().to_string(),
            "2026-11"
        );
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-11",
            "2026/11",
            "2026-11-01",
            "",
            "２０２６-11",
        ] {
            assert!(bad.parse::<BillingMonth>().is_err(), "{bad}");
        }
    }
}
