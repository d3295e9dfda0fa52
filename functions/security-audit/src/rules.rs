//! The CloudTrail rules over the events in memory (ARCHITECTURE §4
//! security-audit): destructive calls, night calls of the watched users,
//! delete bursts in any 60-minute window, calls from addresses outside the
//! allowed CIDRs. Pure.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use chrono::{TimeDelta, Timelike};
use chrono_tz::Tz;
use ipnet::IpNet;
use shared::FindingStatus;

use crate::trail::{Principal, TrailEvent};

/// `AUDIT_NIGHT_HOURS`: `A-B`, two whole hours 0–23; a time is at night when
/// `A ≤ its local hour ≤ B`, wrapping midnight when `A > B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NightHours {
    /// The first night hour.
    pub start: u32,
    /// The last night hour (inclusive: `0-6` ends at 06:59:59).
    pub end: u32,
}

impl NightHours {
    /// Whether local hour `hour` is at night.
    pub fn contains(self, hour: u32) -> bool {
        if self.start <= self.end {
            (self.start..=self.end).contains(&hour)
        } else {
            hour >= self.start || hour <= self.end
        }
    }
}

impl fmt::Display for NightHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:00–{:02}:59", self.start, self.end)
    }
}

impl FromStr for NightHours {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hour = |h: &str| h.trim().parse::<u32>().ok().filter(|h| *h <= 23);
        match s.split_once('-') {
            Some((a, b)) => match (hour(a), hour(b)) {
                (Some(start), Some(end)) => Ok(NightHours { start, end }),
                _ => Err("expected two whole hours 0–23 like 0-6 or 23-4".to_owned()),
            },
            None => Err("expected A-B, two whole hours 0–23, like 0-6".to_owned()),
        }
    }
}

/// A destructive call: which event, and whether it failed (`errorCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Destructive {
    /// Index into the events.
    pub event: usize,
    /// The call was refused or failed: nothing was destroyed.
    pub failed: bool,
}

impl Destructive {
    /// The runbook's verdict, decided here only: a destructive call that
    /// succeeded is critical; one that failed (destroyed nothing) a warning.
    pub fn status(self) -> FindingStatus {
        if self.failed {
            FindingStatus::Warning
        } else {
            FindingStatus::Critical
        }
    }
}

/// Every event whose name is one of `names`.
pub fn destructive_calls(events: &[TrailEvent], names: &[String]) -> Vec<Destructive> {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| names.contains(&e.name))
        .map(|(event, e)| Destructive {
            event,
            failed: e.error_code.is_some(),
        })
        .collect()
}

/// Calls of each watched IAM user made at night in `tz`, by user name.
pub fn night_calls(
    events: &[TrailEvent],
    watched: &[String],
    night: NightHours,
    tz: Tz,
) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let Some(user) = e.principal.iam_user() else {
            continue;
        };
        if watched.iter().any(|w| w == user) && night.contains(e.time.with_timezone(&tz).hour()) {
            out.entry(user.to_owned()).or_default().push(i);
        }
    }
    out
}

/// A principal's delete burst: the most `Delete*` calls in one 60-minute
/// window, and those calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    /// Who.
    pub principal: Principal,
    /// The most calls in any window `[t, t + 60 min)`.
    pub most: usize,
    /// The calls of that window.
    pub events: Vec<usize>,
}

/// The window of a burst.
pub const BURST_WINDOW: TimeDelta = TimeDelta::minutes(60);

/// Principals with more than `threshold` `Delete*` calls (failed ones
/// count) in some window `[t, t + 60 min)`: any window, not clock hours.
pub fn delete_bursts(events: &[TrailEvent], threshold: u32) -> Vec<Burst> {
    let mut by_principal: BTreeMap<&Principal, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if e.name.starts_with("Delete") {
            by_principal.entry(&e.principal).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (principal, mut calls) in by_principal {
        calls.sort_by_key(|&i| (events[i].time, i));
        // Windows start at a call: the busiest window is one of those.
        let (mut best, mut best_start, mut end) = (0, 0, 0);
        for start in 0..calls.len() {
            while end < calls.len()
                && events[calls[end]].time < events[calls[start]].time + BURST_WINDOW
            {
                end += 1;
            }
            if end - start > best {
                (best, best_start) = (end - start, start);
            }
        }
        if best > threshold as usize {
            out.push(Burst {
                principal: principal.clone(),
                most: best,
                events: calls[best_start..best_start + best].to_vec(),
            });
        }
    }
    out
}

/// Calls from one address outside every allowed CIDR, per principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignSource {
    /// Who.
    pub principal: Principal,
    /// From where.
    pub ip: IpAddr,
    /// The calls.
    pub events: Vec<usize>,
}

/// Events whose source is an IPv4/IPv6 address inside none of `allowed`;
/// sources that are not addresses (`rds.amazonaws.com`, `AWS Internal`) are
/// not checked.
pub fn foreign_sources(events: &[TrailEvent], allowed: &[IpNet]) -> Vec<ForeignSource> {
    let mut by: BTreeMap<(&Principal, IpAddr), Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let Some(ip) = e.source_address() else {
            continue;
        };
        if !allowed.iter().any(|net| net.contains(&ip)) {
            by.entry((&e.principal, ip)).or_default().push(i);
        }
    }
    by.into_iter()
        .map(|((principal, ip), events)| ForeignSource {
            principal: principal.clone(),
            ip,
            events,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    const TOKYO: Tz = chrono_tz::Asia::Tokyo;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        shared::time::parse_event_time("at", rfc3339).unwrap()
    }

    fn event(name: &str, user: &str, time: DateTime<Utc>) -> TrailEvent {
        TrailEvent {
            id: format!("{name}-{}", time.timestamp()),
            name: name.to_owned(),
            time,
            principal: Principal::IamUser(user.to_owned()),
            source_ip: Some("203.0.113.10".into()),
            resources: Vec::new(),
            error_code: None,
            region: None,
            facts: Default::default(),
        }
    }

    #[test]
    fn night_hours_are_inclusive_whole_hours_in_the_report_zone() {
        let night: NightHours = "0-6".parse().unwrap();
        let watched = ["github-actions-deploy".to_owned()];
        let cases = [
            ("2026-11-30T14:59:59Z", false), // 23:59:59 JST
            ("2026-11-30T15:00:00Z", true),  // 00:00:00
            ("2026-11-30T21:59:59Z", true),  // 06:59:59
            ("2026-11-30T22:00:00Z", false), // 07:00:00
        ];
        for (t, expected) in cases {
            let events = [event("ListBuckets", "github-actions-deploy", at(t))];
            let found = night_calls(&events, &watched, night, TOKYO);
            assert_eq!(!found.is_empty(), expected, "{t}");
        }
        // Someone not watched is not flagged.
        let events = [event("ListBuckets", "alice", at("2026-11-30T15:00:00Z"))];
        assert!(night_calls(&events, &watched, night, TOKYO).is_empty());
    }

    #[test]
    fn night_hours_wrap_midnight() {
        let night: NightHours = "23-0".parse().unwrap();
        assert!(night.contains(23) && night.contains(0));
        assert!(!night.contains(1) && !night.contains(22));
        let watched = ["u".to_owned()];
        let events = [
            event("A", "u", at("2026-11-30T13:59:59Z")), // 22:59:59 JST
            event("B", "u", at("2026-11-30T14:00:00Z")), // 23:00:00
            event("C", "u", at("2026-11-30T15:59:59Z")), // 00:59:59
            event("D", "u", at("2026-11-30T16:00:00Z")), // 01:00:00
        ];
        assert_eq!(night_calls(&events, &watched, night, TOKYO)["u"], [1, 2]);
    }

    #[test]
    fn night_hours_parse_only_two_hours_of_the_day() {
        for bad in ["25-3", "0-24", "night", "6", "-1-3", "a-b", ""] {
            assert!(bad.parse::<NightHours>().is_err(), "{bad}");
        }
        assert_eq!(
            "23-4".parse::<NightHours>().unwrap(),
            NightHours { start: 23, end: 4 }
        );
    }

    fn deletes(times: &[&str]) -> Vec<TrailEvent> {
        times
            .iter()
            .map(|t| event("DeleteObject", "github-actions-deploy", at(t)))
            .collect()
    }

    fn minutes_from(start: &str, minutes: &[i64]) -> Vec<TrailEvent> {
        minutes
            .iter()
            .map(|m| {
                event(
                    "DeleteObject",
                    "github-actions-deploy",
                    at(start) + TimeDelta::minutes(*m),
                )
            })
            .collect()
    }

    #[test]
    fn ten_deletes_in_an_hour_are_no_burst_and_eleven_are() {
        let ten = minutes_from(
            "2026-11-30T01:00:00Z",
            &[0, 5, 10, 15, 20, 25, 30, 35, 40, 45],
        );
        assert!(delete_bursts(&ten, 10).is_empty());
        let eleven = minutes_from(
            "2026-11-30T01:00:00Z",
            &[0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50],
        );
        let bursts = delete_bursts(&eleven, 10);
        assert_eq!(bursts.len(), 1);
        assert_eq!((bursts[0].most, bursts[0].events.len()), (11, 11));
    }

    #[test]
    fn a_burst_across_a_clock_hour_counts_and_sixty_minutes_apart_does_not() {
        // 10:30 … 11:20: eleven deletes within 50 minutes across 11:00.
        let across = minutes_from(
            "2026-11-30T01:30:00Z",
            &[0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50],
        );
        assert_eq!(delete_bursts(&across, 10)[0].most, 11);
        // Eleven spread over exactly 60 minutes: no window [t, t+60) holds them all.
        let spread = minutes_from(
            "2026-11-30T01:00:00Z",
            &[0, 6, 12, 18, 24, 30, 36, 42, 48, 54, 60],
        );
        assert!(delete_bursts(&spread, 10).is_empty());
        // Other calls do not count; failed deletes do.
        let mut mixed = deletes(&["2026-11-30T01:00:00Z"; 11]);
        mixed[0].name = "PutObject".into();
        assert!(delete_bursts(&mixed, 10).is_empty());
        let mut failed = deletes(&["2026-11-30T01:00:00Z"; 11]);
        failed[3].error_code = Some("AccessDenied".into());
        assert_eq!(delete_bursts(&failed, 10)[0].most, 11);
    }

    #[test]
    fn bursts_are_per_principal() {
        let mut events = minutes_from("2026-11-30T01:00:00Z", &[0, 1, 2, 3, 4, 5]);
        let mut other = minutes_from("2026-11-30T01:00:00Z", &[0, 1, 2, 3, 4, 5]);
        for e in &mut other {
            e.principal = Principal::Role("ops-admin".into());
        }
        events.extend(other);
        assert!(delete_bursts(&events, 10).is_empty());
    }

    #[test]
    fn sources_outside_the_cidrs_are_flagged_per_principal_and_address() {
        let allowed: Vec<IpNet> = ["203.0.113.0/24", "2001:db8::/32"]
            .iter()
            .map(|c| c.parse().unwrap())
            .collect();
        let mut events = vec![
            event("ListBuckets", "u", at("2026-11-30T01:00:00Z")),
            event("ListBuckets", "u", at("2026-11-30T01:01:00Z")),
            event("ListBuckets", "u", at("2026-11-30T01:02:00Z")),
            event("ListBuckets", "u", at("2026-11-30T01:03:00Z")),
            event("ListBuckets", "u", at("2026-11-30T01:04:00Z")),
        ];
        events[1].source_ip = Some("198.51.100.7".into());
        events[2].source_ip = Some("198.51.100.7".into());
        events[3].source_ip = Some("2001:db8::42".into());
        events[4].source_ip = Some("rds.amazonaws.com".into());
        let found = foreign_sources(&events, &allowed);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].ip.to_string(), "198.51.100.7");
        assert_eq!(found[0].events, [1, 2]);
        events[3].source_ip = Some("2001:db9::1".into());
        assert_eq!(foreign_sources(&events, &allowed).len(), 2);
    }

    #[test]
    fn destructive_calls_are_matched_by_name_and_failures_known() {
        let names: Vec<String> = ["DeleteDBCluster", "StopLogging"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut events = vec![
            event("DeleteDBCluster", "u", at("2026-11-30T01:00:00Z")),
            event("DeleteDBClusterSnapshot", "u", at("2026-11-30T01:00:00Z")),
            event("StopLogging", "u", at("2026-11-30T01:00:00Z")),
        ];
        events[2].error_code = Some("AccessDenied".into());
        let found = destructive_calls(&events, &names);
        assert_eq!(
            found,
            [
                Destructive {
                    event: 0,
                    failed: false
                },
                Destructive {
                    event: 2,
                    failed: true
                }
            ]
        );
    }
}
