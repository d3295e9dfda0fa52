//! The runbook's three alarms, by exact name, as they stand at "now".

use aws_sdk_cloudwatch::Client;
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::{Error, FindingStatus};

/// The runbook alarms' name suffixes (`$SYSTEM_NAME-<suffix>`), in report order.
pub const SUFFIXES: [&str; 3] = [
    "high-error-rate",
    "high-latency",
    "database-connection-error",
];

/// One runbook alarm as CloudWatch has it (`state` `None`: no such alarm).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmFacts {
    /// The alarm's name.
    pub alarm: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`; `None` when the alarm does not exist.
    pub state: Option<String>,
    /// `StateReason`, verbatim.
    pub reason: Option<String>,
    /// `StateUpdatedTimestamp`: since when it is in this state.
    pub since: Option<DateTime<Utc>>,
    /// `ActionsEnabled` (conformance; not in the report's `alarms`).
    #[serde(skip)]
    pub actions_enabled: Option<bool>,
    /// How many `AlarmActions` it has.
    #[serde(skip)]
    pub alarm_actions: usize,
    /// `Threshold`.
    #[serde(skip)]
    pub threshold: Option<f64>,
}

impl AlarmFacts {
    /// An alarm CloudWatch does not know.
    pub fn missing(alarm: String) -> Self {
        AlarmFacts {
            alarm,
            state: None,
            reason: None,
            since: None,
            actions_enabled: None,
            alarm_actions: 0,
            threshold: None,
        }
    }

    /// The `check` id: `alarm-<suffix>`.
    pub fn check(&self, system_name: &str) -> String {
        let suffix = self
            .alarm
            .strip_prefix(system_name)
            .and_then(|s| s.strip_prefix('-'))
            .unwrap_or(&self.alarm);
        format!("alarm-{suffix}")
    }

    /// OK → ok, ALARM → critical, INSUFFICIENT_DATA (or anything new) → warning, missing → warning.
    pub fn status(&self) -> FindingStatus {
        match self.state.as_deref() {
            Some("OK") => FindingStatus::Ok,
            Some("ALARM") => FindingStatus::Critical,
            _ => FindingStatus::Warning,
        }
    }
}

/// The runbook alarm names of `system_name`.
pub fn names(system_name: &str) -> [String; 3] {
    SUFFIXES.map(|s| format!("{system_name}-{s}"))
}

/// `DescribeAlarms` with exactly the three names (never a prefix match);
/// every page. An alarm CloudWatch does not know comes back with no state.
pub async fn read(client: &Client, system_name: &str) -> Result<Vec<AlarmFacts>, Error> {
    let names = names(system_name);
    let mut found: Vec<AlarmFacts> = Vec::new();
    let mut pages = client
        .describe_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("DescribeAlarms", e))?;
        for alarm in page.metric_alarms() {
            found.push(AlarmFacts {
                alarm: alarm.alarm_name().unwrap_or_default().to_owned(),
                state: alarm.state_value().map(|s| s.as_str().to_owned()),
                reason: alarm.state_reason().map(str::to_owned),
                since: alarm
                    .state_updated_timestamp()
                    .and_then(shared::time::from_aws),
                actions_enabled: alarm.actions_enabled(),
                alarm_actions: alarm.alarm_actions().len(),
                threshold: alarm.threshold(),
            });
        }
    }
    Ok(names
        .into_iter()
        .map(|name| {
            found
                .iter()
                .find(|f| f.alarm == name)
                .cloned()
                .unwrap_or_else(|| AlarmFacts::missing(name))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(state: Option<&str>) -> AlarmFacts {
        AlarmFacts {
            state: state.map(str::to_owned),
            ..AlarmFacts::missing("goal-mandala-production-high-latency".into())
        }
    }

    #[test]
    fn states_map_to_the_contract_statuses() {
        assert_eq!(facts(Some("OK")).status(), FindingStatus::Ok);
        assert_eq!(facts(Some("ALARM")).status(), FindingStatus::Critical);
        assert_eq!(
            facts(Some("INSUFFICIENT_DATA")).status(),
            FindingStatus::Warning
        );
        assert_eq!(facts(None).status(), FindingStatus::Warning);
    }

    #[test]
    fn check_ids_and_names_follow_the_system_name() {
        assert_eq!(
            facts(None).check("goal-mandala-production"),
            "alarm-high-latency"
        );
        assert_eq!(
            names("demo"),
            [
                "demo-high-error-rate",
                "demo-high-latency",
                "demo-database-connection-error"
            ]
        );
    }
}
