//! Reminders while an alarm stays in ALARM (ARCHITECTURE §4 alarm-triage):
//! CloudWatch notifies once; an ALARM triage leaves one one-time EventBridge
//! Scheduler schedule that invokes alarm-triage `TRIAGE_REMIND_MINUTES`
//! later with `{"remind": {...}}`. The schedule's name is made of the alarm,
//! the episode's start and the reminder's number: a retried event finds its
//! schedule already there (`ConflictException`) and makes no second one, and
//! the next reminder never collides with the one Scheduler is completing.

use aws_sdk_scheduler::Client;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use shared::Error;
use shared::schedule::{self, OneTime, Schedules};

/// Where reminders are scheduled and whom Scheduler acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminders {
    /// `SCHEDULE_GROUP` and `SCHEDULER_ROLE_ARN`.
    pub schedules: Schedules,
    /// `TRIAGE_REMIND_MINUTES` (30, not 0).
    pub minutes: u32,
    /// `TRIAGE_REMIND_MAX` (8): reminders per episode at most.
    pub max: u32,
}

/// The payload a reminder invokes alarm-triage with (`{"remind": …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remind {
    /// The alarm's name.
    pub alarm: String,
    /// The start of the episode the reminder belongs to.
    pub episode_started_at: DateTime<Utc>,
    /// Which reminder this is (1, 2, …).
    pub n: u32,
}

/// What scheduling a reminder came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scheduled {
    /// The schedule's name.
    pub name: String,
    /// Which reminder.
    pub n: u32,
    /// When it fires.
    pub at: DateTime<Utc>,
    /// `created`, `exists` (a retry: the one made before) or `planned` (dry run).
    pub status: &'static str,
}

/// The schedule name of every reminder of `alarm` (any episode) begins with
/// this: a readable part of the name and a hash of all of it, so two alarms
/// whose names differ only past the cut never share reminders.
pub fn prefix(alarm: &str, system: &str) -> String {
    let short = alarm
        .strip_prefix(system)
        .and_then(|rest| rest.strip_prefix('-'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(alarm);
    let readable: String = short
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(32)
        .collect();
    format!("{readable}-{:08x}-", fnv1a(alarm.as_bytes()) as u32)
}

/// `<prefix><episode start, UTC, compact>-r<n>`: at most 64 characters of
/// `[0-9A-Za-z-_.]`, as Scheduler requires.
pub fn name(alarm: &str, system: &str, episode_started_at: DateTime<Utc>, n: u32) -> String {
    format!(
        "{}{}-r{n}",
        prefix(alarm, system),
        episode_started_at.format("%Y%m%dT%H%M%SZ")
    )
}

/// The reminder number of a schedule `name` made by [`name`].
pub fn number_of(name: &str) -> Option<u32> {
    name.rsplit_once("-r")?.1.parse().ok()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Creates reminder `remind.n`, firing at `at`, that invokes `function_arn`.
/// A schedule of that name already there is the retry's own: `exists`.
pub async fn schedule(
    client: &Client,
    reminders: &Reminders,
    system: &str,
    function_arn: &str,
    remind: &Remind,
    at: DateTime<Utc>,
) -> Result<Scheduled, Error> {
    let name = name(&remind.alarm, system, remind.episode_started_at, remind.n);
    let created = schedule::create(
        client,
        &reminders.schedules,
        &OneTime {
            name: &name,
            at,
            target_arn: function_arn,
            input: serde_json::json!({ "remind": remind }).to_string(),
            description: format!(
                "alarm-triage reminder {} of {} (episode {})",
                remind.n,
                remind.alarm,
                remind
                    .episode_started_at
                    .to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
            delete_after: true,
        },
    )
    .await?;
    Ok(Scheduled {
        name,
        n: remind.n,
        at,
        status: created.as_str(),
    })
}

/// Deletes every pending reminder of `alarm` (an OK ends the episode); one
/// Scheduler already completed and deleted is fine. Returns the names
/// deleted, oldest number first.
pub async fn cancel(
    client: &Client,
    reminders: &Reminders,
    alarm: &str,
    system: &str,
) -> Result<Vec<String>, Error> {
    let mut names =
        schedule::names_with_prefix(client, &reminders.schedules, &prefix(alarm, system)).await?;
    names.sort_by_key(|n| number_of(n));
    for name in &names {
        schedule::delete(client, &reminders.schedules, name).await?;
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_schedulers_kind_and_differ_by_alarm_episode_and_number() {
        let start = DateTime::parse_from_rfc3339("2026-11-28T01:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let system = "goal-mandala-production";
        let one = name("goal-mandala-production-high-error-rate", system, start, 1);
        assert!(one.starts_with("high-error-rate-"), "{one}");
        assert!(one.ends_with("-20261128T010500Z-r1"), "{one}");
        assert_eq!(number_of(&one), Some(1));
        assert_ne!(
            one,
            name("goal-mandala-production-high-error-rate", system, start, 2)
        );
        let long = "x".repeat(200) + " (Tokyo) / 日本";
        let other = "x".repeat(200) + " (Osaka)";
        for alarm in [long.as_str(), other.as_str()] {
            let n = name(alarm, system, start, 8);
            assert!(n.len() <= 64, "{n}");
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
                "{n}"
            );
        }
        assert_ne!(prefix(&long, system), prefix(&other, system));
    }

    #[test]
    fn the_payload_round_trips_and_refuses_strangers() {
        let remind: Remind = serde_json::from_value(serde_json::json!({
            "alarm": "a", "episode_started_at": "2026-11-28T01:05:00Z", "n": 2
        }))
        .unwrap();
        assert_eq!(remind.n, 2);
        assert!(
            serde_json::from_value::<Remind>(serde_json::json!({"alarm": "a", "n": 1})).is_err()
        );
    }
}
