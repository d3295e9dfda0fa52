//! One-time EventBridge Scheduler schedules that invoke a function of ours
//! later (feature `scheduler`): alarm-triage's reminders and restore-drill's
//! continuations and deadline. The schedule's name is the caller's: a name
//! made from what the schedule is for makes a retried invocation find its
//! schedule already there (`ConflictException`) instead of making a second.

use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::error::ProvideErrorMetadata;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{ConfigError, Env};
use crate::error::Error;

/// Where our schedules live and whom Scheduler acts as (`SCHEDULE_GROUP`,
/// `SCHEDULER_ROLE_ARN`; the stack's `OpsScheduleGroup` and `SchedulerRole`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedules {
    /// The schedule group.
    pub group: String,
    /// The role Scheduler assumes to invoke the function.
    pub role_arn: String,
}

impl Schedules {
    /// Both settings when both are set, `None` when either is missing; a
    /// value that is set is checked either way.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let group = env.get("SCHEDULE_GROUP");
        let role = env.get("SCHEDULER_ROLE_ARN");
        if let Some(group) = group {
            let valid = !group.is_empty()
                && group.len() <= 64
                && group
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !valid {
                return Err(ConfigError::new(
                    "SCHEDULE_GROUP",
                    "expected a schedule group name: 1–64 of [0-9A-Za-z-_.]",
                ));
            }
        }
        if let Some(role) = role
            && !(role.starts_with("arn:") && role.contains(":iam::") && role.contains(":role/"))
        {
            return Err(ConfigError::new(
                "SCHEDULER_ROLE_ARN",
                "expected an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
            ));
        }
        Ok(match (group, role) {
            (Some(group), Some(role)) => Some(Schedules {
                group: group.to_owned(),
                role_arn: role.to_owned(),
            }),
            _ => None,
        })
    }

    /// Both settings, for a function that cannot work without them; the
    /// missing one is named.
    pub fn require(env: &Env) -> Result<Self, ConfigError> {
        if let Some(both) = Schedules::from_env(env)? {
            return Ok(both);
        }
        let missing = if env.get("SCHEDULE_GROUP").is_none() {
            "SCHEDULE_GROUP"
        } else {
            "SCHEDULER_ROLE_ARN"
        };
        Err(ConfigError::new(
            missing,
            "required: SCHEDULE_GROUP and SCHEDULER_ROLE_ARN (the stack's schedule group and the role Scheduler invokes the function as)",
        ))
    }
}

/// One invocation of `target_arn` with `input` at `at`.
#[derive(Debug, Clone)]
pub struct OneTime<'a> {
    /// The schedule's name (1–64 of `[0-9A-Za-z-_.]`).
    pub name: &'a str,
    /// When it fires (whole seconds, UTC).
    pub at: DateTime<Utc>,
    /// The function it invokes.
    pub target_arn: &'a str,
    /// The invocation's payload (JSON text).
    pub input: String,
    /// What it is for, as the console shows it.
    pub description: String,
    /// Scheduler deletes it once it has run (`ActionAfterCompletion: DELETE`);
    /// otherwise it stays until deleted.
    pub delete_after: bool,
}

/// What creating a schedule came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Creation {
    /// Made now.
    Created,
    /// A schedule of that name was already there: a retry's own.
    Exists,
}

impl Creation {
    /// `created` or `exists`.
    pub fn as_str(self) -> &'static str {
        match self {
            Creation::Created => "created",
            Creation::Exists => "exists",
        }
    }
}

/// `at(yyyy-mm-ddThh:mm:ss)` in UTC, as Scheduler takes a one-time schedule.
pub fn at_expression(at: DateTime<Utc>) -> String {
    format!("at({})", at.format("%Y-%m-%dT%H:%M:%S"))
}

/// Creates `schedule` in `schedules.group`; one of that name already there
/// is [`Creation::Exists`] and left as it is.
pub async fn create(
    client: &Client,
    schedules: &Schedules,
    schedule: &OneTime<'_>,
) -> Result<Creation, Error> {
    let target = Target::builder()
        .arn(schedule.target_arn)
        .role_arn(&schedules.role_arn)
        .input(&schedule.input)
        .build()
        .map_err(|e| Error::Unexpected(format!("schedule target: {e}")))?;
    let window = FlexibleTimeWindow::builder()
        .mode(FlexibleTimeWindowMode::Off)
        .build()
        .map_err(|e| Error::Unexpected(format!("schedule window: {e}")))?;
    let after = if schedule.delete_after {
        ActionAfterCompletion::Delete
    } else {
        ActionAfterCompletion::None
    };
    let sent = client
        .create_schedule()
        .name(schedule.name)
        .group_name(&schedules.group)
        .schedule_expression(at_expression(schedule.at))
        .schedule_expression_timezone("UTC")
        .flexible_time_window(window)
        .target(target)
        .action_after_completion(after)
        .description(crate::report::cut(&schedule.description, 512))
        .send()
        .await;
    match sent {
        Ok(_) => Ok(Creation::Created),
        Err(err) if err.code() == Some("ConflictException") => Ok(Creation::Exists),
        Err(err) => Err(Error::aws("CreateSchedule", err)),
    }
}

/// Deletes the schedule `name`; `false` when it was already gone (Scheduler
/// deleted it after it ran, or a retry got here first).
pub async fn delete(client: &Client, schedules: &Schedules, name: &str) -> Result<bool, Error> {
    let answer = client
        .delete_schedule()
        .name(name)
        .group_name(&schedules.group)
        .send()
        .await;
    Ok(crate::aws::found("DeleteSchedule", answer, |e| {
        e.is_resource_not_found_exception()
    })?
    .is_some())
}

/// Whether the schedule `name` is there.
pub async fn exists(client: &Client, schedules: &Schedules, name: &str) -> Result<bool, Error> {
    let answer = client
        .get_schedule()
        .name(name)
        .group_name(&schedules.group)
        .send()
        .await;
    Ok(crate::aws::found("GetSchedule", answer, |e| {
        e.is_resource_not_found_exception()
    })?
    .is_some())
}

/// The names of the group's schedules beginning with `prefix`, every page.
pub async fn names_with_prefix(
    client: &Client,
    schedules: &Schedules,
    prefix: &str,
) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    let mut pages = client
        .list_schedules()
        .group_name(&schedules.group)
        .name_prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("ListSchedules", e))?;
        names.extend(
            page.schedules()
                .iter()
                .filter_map(|s| s.name().map(str::to_owned)),
        );
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_settings_or_none_and_each_checked() {
        let env = |pairs: &[(&str, &str)]| Env::from_pairs(pairs.iter().copied());
        let role = (
            "SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/SchedulerRole",
        );
        assert_eq!(Schedules::from_env(&env(&[])).unwrap(), None);
        assert_eq!(Schedules::from_env(&env(&[role])).unwrap(), None);
        let both = Schedules::from_env(&env(&[
            ("SCHEDULE_GROUP", "goal-mandala-production-ops"),
            role,
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(both.group, "goal-mandala-production-ops");
        assert_eq!(
            Schedules::require(&env(&[role])).unwrap_err().variable,
            "SCHEDULE_GROUP"
        );
        assert_eq!(
            Schedules::require(&env(&[("SCHEDULE_GROUP", "g")]))
                .unwrap_err()
                .variable,
            "SCHEDULER_ROLE_ARN"
        );
        for (pairs, variable) in [
            (vec![("SCHEDULE_GROUP", "a b"), role], "SCHEDULE_GROUP"),
            (
                vec![("SCHEDULE_GROUP", "g"), ("SCHEDULER_ROLE_ARN", "role/r")],
                "SCHEDULER_ROLE_ARN",
            ),
        ] {
            assert_eq!(
                Schedules::from_env(&env(&pairs)).unwrap_err().variable,
                variable
            );
        }
    }

    #[test]
    fn a_one_time_expression_is_utc_whole_seconds() {
        let at = DateTime::parse_from_rfc3339("2026-12-06T20:01:02.9Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(at_expression(at), "at(2026-12-06T20:01:02)");
    }
}
