//! EventBridge Scheduler as the tests see it: moto keeps one-time schedules
//! but never fires them (../shared/TESTBED.md), so a test reads them back
//! and runs each as Scheduler would — the target's input handed to the
//! function, then the schedule deleted when `ActionAfterCompletion` is
//! `DELETE`.

use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::types::ActionAfterCompletion;
use serde_json::Value;

use crate::BedError;

/// One schedule, as GetSchedule answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Its name.
    pub name: String,
    /// `at(2026-12-02T10:00:00)`, …
    pub expression: String,
    /// The target's ARN (the function).
    pub target_arn: String,
    /// The role Scheduler assumes.
    pub role_arn: String,
    /// The target's input, parsed.
    pub input: Value,
    /// Deleted after it ran.
    pub delete_after: bool,
}

/// Creates the schedule group (the stack's `OpsScheduleGroup`).
pub async fn create_group(sdk: &aws_config::SdkConfig, group: &str) -> Result<(), BedError> {
    Client::new(sdk)
        .create_schedule_group()
        .name(group)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| BedError(format!("CreateScheduleGroup: {e:?}")))
}

/// Every schedule of `group`, by name.
pub async fn schedules(
    sdk: &aws_config::SdkConfig,
    group: &str,
) -> Result<Vec<Schedule>, BedError> {
    let client = Client::new(sdk);
    let listed = client
        .list_schedules()
        .group_name(group)
        .send()
        .await
        .map_err(|e| BedError(format!("ListSchedules: {e:?}")))?;
    let mut out = Vec::new();
    for summary in listed.schedules() {
        let Some(name) = summary.name() else { continue };
        let got = client
            .get_schedule()
            .name(name)
            .group_name(group)
            .send()
            .await
            .map_err(|e| BedError(format!("GetSchedule {name}: {e:?}")))?;
        let target = got.target();
        out.push(Schedule {
            name: name.to_owned(),
            expression: got.schedule_expression().unwrap_or_default().to_owned(),
            target_arn: target.map(|t| t.arn().to_owned()).unwrap_or_default(),
            role_arn: target.map(|t| t.role_arn().to_owned()).unwrap_or_default(),
            input: target
                .and_then(|t| t.input())
                .and_then(|i| serde_json::from_str(i).ok())
                .unwrap_or(Value::Null),
            delete_after: got.action_after_completion() == Some(&ActionAfterCompletion::Delete),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// What Scheduler does once the schedule has invoked its target: deletes a
/// one-time `DELETE` schedule.
pub async fn complete(
    sdk: &aws_config::SdkConfig,
    group: &str,
    schedule: &Schedule,
) -> Result<(), BedError> {
    if !schedule.delete_after {
        return Ok(());
    }
    Client::new(sdk)
        .delete_schedule()
        .name(&schedule.name)
        .group_name(group)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| BedError(format!("DeleteSchedule {}: {e:?}", schedule.name)))
}
