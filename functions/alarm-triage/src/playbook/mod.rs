//! The runbook's playbooks, one module each: which one an alarm gets (by
//! name suffix first, metric as fallback), and each one's evidence,
//! decision and words.

pub mod database;
pub mod error_rate;
pub mod generic;
pub mod insufficient_data;
pub mod latency;
pub mod recovered;

use std::collections::BTreeMap;

use shared::{Action, Finding};

use crate::AlarmTriage;
use crate::event::{AlarmEvent, AlarmState};
use crate::text::Texts;
use database::Cause;
use latency::Bottleneck;

/// What a playbook found.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) findings: Vec<Finding>,
    pub(crate) actions: Vec<Action>,
    pub(crate) next_steps: Vec<String>,
    pub(crate) headline: String,
    pub(crate) classes: Option<BTreeMap<&'static str, usize>>,
    pub(crate) failed_requests: Option<usize>,
    pub(crate) bottleneck: Option<Bottleneck>,
    pub(crate) cause: Option<Cause>,
    pub(crate) log_group: bool,
}

/// The playbook's own evidence, decision and words.
pub(crate) async fn gather(
    playbook: Playbook,
    state: &AlarmTriage,
    texts: &Texts,
    alarm: &AlarmEvent,
    dry_run: bool,
) -> Outcome {
    match playbook {
        Playbook::ErrorRate => error_rate::gather(state, texts, alarm).await,
        Playbook::Latency => latency::gather(state, texts, alarm).await,
        Playbook::DatabaseConnection => database::gather(state, texts, alarm, dry_run).await,
        Playbook::Recovered => recovered::gather(texts, alarm),
        Playbook::InsufficientData => insufficient_data::gather(state, texts, alarm).await,
        Playbook::Generic => generic::gather(state, texts, alarm).await,
    }
}

/// The runbook's responses to an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Playbook {
    /// `…-high-error-rate`: classify the API's error log lines.
    ErrorRate,
    /// `…-high-latency`: where the time goes (X-Ray, API Gateway, Lambda).
    Latency,
    /// `…-database-connection-error`: cluster, metrics and a real login.
    DatabaseConnection,
    /// Back to `OK`: how long it lasted.
    Recovered,
    /// `INSUFFICIENT_DATA`: are metrics still being sent?
    InsufficientData,
    /// Any other alarm: its metric's recent values.
    Generic,
}

impl Playbook {
    /// The report's `playbook` id.
    pub fn id(self) -> &'static str {
        match self {
            Playbook::ErrorRate => "error-rate",
            Playbook::Latency => "latency",
            Playbook::DatabaseConnection => "database-connection",
            Playbook::Recovered => "recovered",
            Playbook::InsufficientData => "insufficient-data",
            Playbook::Generic => "generic",
        }
    }
}

/// The incident playbook for an alarm in `ALARM` (`system` = `SYSTEM_NAME`).
pub fn incident_playbook(event: &AlarmEvent, system: &str) -> Playbook {
    let suffix = event
        .name
        .strip_prefix(system)
        .and_then(|rest| rest.strip_prefix('-'))
        .unwrap_or(&event.name);
    match suffix {
        "high-error-rate" => return Playbook::ErrorRate,
        "high-latency" => return Playbook::Latency,
        "database-connection-error" => return Playbook::DatabaseConnection,
        _ => {}
    }
    match event
        .metric
        .as_ref()
        .map(|m| (m.namespace.as_str(), m.name.as_str()))
    {
        Some(("AWS/Lambda", "Errors")) => Playbook::ErrorRate,
        Some(("AWS/ApiGateway", "Latency" | "IntegrationLatency"))
        | Some(("AWS/Lambda", "Duration")) => Playbook::Latency,
        Some(("AWS/RDS", "DatabaseConnections")) => Playbook::DatabaseConnection,
        _ => Playbook::Generic,
    }
}

/// The playbook for `event`: the state decides first.
pub fn choose_playbook(event: &AlarmEvent, system: &str) -> Playbook {
    match event.state {
        AlarmState::Ok => Playbook::Recovered,
        AlarmState::InsufficientData => Playbook::InsufficientData,
        AlarmState::Alarm => incident_playbook(event, system),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::event::{AlarmSource, MetricRef};

    fn alarm(name: &str, state: AlarmState, metric: Option<(&str, &str)>) -> AlarmEvent {
        AlarmEvent {
            source: AlarmSource::EventBridge,
            name: name.into(),
            arn: None,
            region: None,
            state,
            previous_state: None,
            reason: String::new(),
            changed_at: Utc::now(),
            previous_changed_at: None,
            metric: metric.map(|(namespace, name)| MetricRef {
                namespace: namespace.into(),
                name: name.into(),
                dimensions: vec![],
                stat: None,
                period: None,
            }),
            threshold: None,
            comparison: None,
            datapoints: vec![],
        }
    }

    #[test]
    fn the_name_suffix_decides_then_the_metric() {
        let sys = "goal-mandala-production";
        let a = |name, metric| choose_playbook(&alarm(name, AlarmState::Alarm, metric), sys);
        assert_eq!(
            a("goal-mandala-production-high-error-rate", None),
            Playbook::ErrorRate
        );
        assert_eq!(
            a(
                "goal-mandala-production-high-latency",
                Some(("AWS/Lambda", "Errors"))
            ),
            Playbook::Latency
        );
        assert_eq!(
            a("goal-mandala-production-database-connection-error", None),
            Playbook::DatabaseConnection
        );
        assert_eq!(
            a(
                "goal-mandala-production-api-errors",
                Some(("AWS/Lambda", "Errors"))
            ),
            Playbook::ErrorRate
        );
        assert_eq!(
            a("p95-latency", Some(("AWS/ApiGateway", "Latency"))),
            Playbook::Latency
        );
        assert_eq!(
            a("db-conns", Some(("AWS/RDS", "DatabaseConnections"))),
            Playbook::DatabaseConnection
        );
        assert_eq!(
            a(
                "goal-mandala-production-ops-failed-events",
                Some(("AWS/SQS", "ApproximateNumberOfMessagesVisible"))
            ),
            Playbook::Generic
        );
    }

    #[test]
    fn ok_and_insufficient_data_have_their_own_playbooks() {
        let sys = "goal-mandala-production";
        let name = "goal-mandala-production-high-error-rate";
        assert_eq!(
            choose_playbook(&alarm(name, AlarmState::Ok, None), sys),
            Playbook::Recovered
        );
        assert_eq!(
            choose_playbook(&alarm(name, AlarmState::InsufficientData, None), sys),
            Playbook::InsufficientData
        );
    }
}
