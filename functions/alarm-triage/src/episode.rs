//! The incident an alarm state change belongs to (ARCHITECTURE §4
//! alarm-triage): its episode — when the current run of ALARM began, how
//! often the alarm went into ALARM in the last hour and day — and whether it
//! flaps, read from the alarm's own history (`DescribeAlarmHistory`, state
//! updates of the last 24 hours). Whether a flapping alarm's state change is
//! notified is decided from that history alone: the same history gives the
//! same answer, so a retried event is quiet or loud exactly as the first.

use std::time::Duration;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{AlarmType, HistoryItemType, ScanBy};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::Value;
use shared::Error;

use crate::event::AlarmState;

/// The window flapping is counted in: transitions into ALARM in the hour up
/// to and including the state change.
pub const FLAP_WINDOW: TimeDelta = TimeDelta::minutes(60);
/// How far back the history is read.
pub const HISTORY: TimeDelta = TimeDelta::hours(24);
/// Pages of 100 history items read at most (a day of an alarm flapping
/// every minute is 29 pages; ten hours of it decide as well as a day).
pub const MAX_PAGES: usize = 10;

/// One state change of the alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// When it changed.
    pub at: DateTime<Utc>,
    /// The state it changed to.
    pub to: AlarmState,
}

/// How flapping is judged and quieted (`TRIAGE_FLAP_TRANSITIONS`,
/// `TRIAGE_FLAP_QUIET_MINUTES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlapRule {
    /// Transitions into ALARM within [`FLAP_WINDOW`] that make an alarm flapping.
    pub transitions: usize,
    /// A flapping alarm notifies once per quiet window, counted from the streak's start.
    pub quiet: Duration,
}

/// The episode a state change belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Episode {
    /// The transition into ALARM that began the current (or, for OK, the
    /// last) run of ALARM; none when the history holds none.
    pub started_at: Option<DateTime<Utc>>,
    /// Transitions into ALARM in the 24 hours up to the state change.
    pub transitions_24h: usize,
    /// Transitions into ALARM in the 60 minutes up to the state change.
    pub transitions_60m: usize,
    /// At least `TRIAGE_FLAP_TRANSITIONS` of them in the last 60 minutes.
    pub flapping: bool,
    /// When the flapping streak began (the transition that first made it flapping).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streak_started_at: Option<DateTime<Utc>>,
    /// Whether this state change is told to the team: always, unless the
    /// alarm flaps and an earlier transition of the same quiet window was
    /// (the report's own `notify` field).
    #[serde(skip)]
    pub notify: bool,
}

/// The state updates of `alarm` between `start` and `end` (metric and
/// composite alarms alike), in any order.
pub async fn history(
    client: &Client,
    alarm: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Transition>, Error> {
    let mut transitions = Vec::new();
    let mut pages = client
        .describe_alarm_history()
        .alarm_name(alarm)
        // Without AlarmTypes only metric alarms' history comes back.
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .history_item_type(HistoryItemType::StateUpdate)
        .start_date(AwsTime::from_secs(start.timestamp()))
        // The end is exclusive to the second: the state change itself is in.
        .end_date(AwsTime::from_secs(end.timestamp() + 1))
        .scan_by(ScanBy::TimestampDescending)
        .max_records(100)
        .into_paginator()
        .send();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("DescribeAlarmHistory", e))?;
        for item in page.alarm_history_items() {
            let Some(at) = item.timestamp().and_then(shared::time::from_aws) else {
                continue;
            };
            let to = item
                .history_data()
                .and_then(new_state_of_data)
                .or_else(|| item.history_summary().and_then(new_state_of_summary));
            if let Some(to) = to {
                transitions.push(Transition { at, to });
            }
        }
        read += 1;
        if read == MAX_PAGES {
            break;
        }
    }
    Ok(transitions)
}

/// `newState.stateValue` of a history item's `HistoryData` JSON.
fn new_state_of_data(data: &str) -> Option<AlarmState> {
    let data: Value = serde_json::from_str(data).ok()?;
    AlarmState::parse(data["newState"]["stateValue"].as_str()?)
}

/// The state at the end of `Alarm updated from OK to ALARM`.
fn new_state_of_summary(summary: &str) -> Option<AlarmState> {
    let (_, to) = summary.rsplit_once(" to ")?;
    AlarmState::parse(to.trim())
}

/// The episode of the state change `current`, from the alarm's history
/// (which may not list `current` yet: it is added when missing).
pub fn episode(history: &[Transition], current: Transition, rule: FlapRule) -> Episode {
    let mut all: Vec<Transition> = history
        .iter()
        .copied()
        .filter(|t| t.at <= current.at)
        .collect();
    let listed = all
        .iter()
        .any(|t| t.to == current.to && (t.at - current.at).num_seconds().abs() < 1);
    if !listed {
        all.push(current);
    }
    all.sort_by_key(|t| t.at);
    let now = all.last().map_or(current.at, |t| t.at.max(current.at));
    let into_alarm = |from: DateTime<Utc>, to: DateTime<Utc>| {
        all.iter()
            .filter(|t| t.to == AlarmState::Alarm && t.at > from && t.at <= to)
            .count()
    };
    let flapping_at = |at: DateTime<Utc>| into_alarm(at - FLAP_WINDOW, at) >= rule.transitions;
    let started_at = all
        .iter()
        .rev()
        .find(|t| t.to == AlarmState::Alarm)
        .map(|t| t.at);
    let flapping = flapping_at(now);

    // The streak: the transitions, back from this one, that each found the
    // alarm flapping; it began at the first of them.
    let streak: Vec<&Transition> = all.iter().rev().take_while(|t| flapping_at(t.at)).collect();
    let streak_started_at = streak.last().map(|t| t.at);
    let notify = match streak_started_at {
        Some(start) if flapping => {
            let quiet = TimeDelta::from_std(rule.quiet)
                .unwrap_or(TimeDelta::minutes(30))
                .max(TimeDelta::seconds(1));
            let window = |at: DateTime<Utc>| (at - start).num_seconds() / quiet.num_seconds();
            // Loud only when no earlier transition of the streak shares its window.
            let this = window(now);
            streak.iter().skip(1).all(|t| window(t.at) != this)
        }
        _ => true,
    };
    Episode {
        started_at,
        transitions_24h: into_alarm(now - HISTORY, now),
        transitions_60m: into_alarm(now - FLAP_WINDOW, now),
        flapping,
        streak_started_at: flapping.then_some(streak_started_at).flatten(),
        notify,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::minutes(minute)
    }

    fn alarm(minute: i64) -> Transition {
        Transition {
            at: at(minute),
            to: AlarmState::Alarm,
        }
    }

    fn ok(minute: i64) -> Transition {
        Transition {
            at: at(minute),
            to: AlarmState::Ok,
        }
    }

    const RULE: FlapRule = FlapRule {
        transitions: 4,
        quiet: Duration::from_secs(30 * 60),
    };

    /// ALARM at 0, 10, 20, …, OK five minutes after each.
    fn flaps(n: i64) -> Vec<Transition> {
        (0..n)
            .flat_map(|i| [alarm(i * 10), ok(i * 10 + 5)])
            .collect()
    }

    #[test]
    fn an_alarm_starts_its_episode_and_an_ok_reports_the_one_it_ends() {
        let history = [ok(-300), alarm(-100), ok(-50)];
        let e = episode(&history, alarm(0), RULE);
        assert_eq!(e.started_at, Some(at(0)), "the state change itself");
        assert_eq!((e.transitions_24h, e.transitions_60m), (2, 1));
        assert!(!e.flapping && e.notify);

        let e = episode(&[alarm(-100), alarm(0)], ok(45), RULE);
        assert_eq!(e.started_at, Some(at(0)));
        // A history that already lists the change does not count it twice.
        let e = episode(&[alarm(0)], alarm(0), RULE);
        assert_eq!(e.transitions_60m, 1);
        // Later history (a newer change) is not this one's.
        let e = episode(&[alarm(0), ok(5), alarm(10)], ok(5), RULE);
        assert_eq!(e.started_at, Some(at(0)));
    }

    #[test]
    fn three_transitions_in_an_hour_are_not_flapping_the_fourth_is_and_notifies() {
        let history = flaps(3);
        let third = episode(&history, alarm(20), RULE);
        assert_eq!(third.transitions_60m, 3);
        assert!(!third.flapping && third.notify);

        let fourth = episode(&history, alarm(30), RULE);
        assert_eq!(fourth.transitions_60m, 4);
        assert!(fourth.flapping);
        assert_eq!(fourth.streak_started_at, Some(at(30)));
        assert!(fourth.notify, "the first transition of the streak is heard");
    }

    #[test]
    fn a_flapping_alarm_notifies_once_per_quiet_window_from_the_streaks_start() {
        let history = flaps(10);
        // The streak starts at minute 30 (the fourth ALARM); windows 30–60, 60–90, …
        let quiet: Vec<bool> = [ok(35), alarm(40), ok(45), alarm(50), ok(55)]
            .into_iter()
            .map(|t| episode(&history, t, RULE).notify)
            .collect();
        assert_eq!(quiet, [false; 5]);
        let next = episode(&history, alarm(60), RULE);
        assert!(next.flapping && next.notify, "first of the second window");
        assert!(!episode(&history, ok(65), RULE).notify);
        assert!(episode(&history, alarm(90), RULE).notify);
        // The same history gives the same answer: a retried event is as quiet.
        assert_eq!(
            episode(&history, alarm(40), RULE),
            episode(&history, alarm(40), RULE)
        );
    }

    #[test]
    fn a_calm_hour_ends_the_streak() {
        let mut history = flaps(5);
        history.push(alarm(200));
        let e = episode(&history, alarm(200), RULE);
        assert!(!e.flapping && e.notify);
        assert_eq!(e.transitions_24h, 6);
    }

    #[test]
    fn history_items_are_read_from_their_data_or_summary() {
        let data = r#"{"version":"1.0","oldState":{"stateValue":"OK"},"newState":{"stateValue":"ALARM","stateReason":"x"}}"#;
        assert_eq!(new_state_of_data(data), Some(AlarmState::Alarm));
        assert_eq!(new_state_of_data("{}"), None);
        assert_eq!(
            new_state_of_summary("Alarm updated from ALARM to OK"),
            Some(AlarmState::Ok)
        );
        assert_eq!(new_state_of_summary("Alarm created"), None);
    }
}
