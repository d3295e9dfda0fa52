//! The three shapes an alarm arrives in, read into one model: EventBridge
//! `CloudWatch Alarm State Change`, the SNS-wrapped alarm notification, and
//! the alarm-Lambda-action payload. Anything else is `InvalidInput`.

use aws_lambda_events::cloudwatch_alarms::{
    CloudWatchAlarm, CloudWatchAlarmData, CloudWatchAlarmStateReasonData, CloudWatchAlarmStateValue,
};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sns::{CloudWatchAlarmPayload, SnsEvent};
use chrono::{DateTime, Utc};
use serde_json::Value;
use shared::Error;

/// The alarm's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmState {
    /// `ALARM`.
    Alarm,
    /// `OK`.
    Ok,
    /// `INSUFFICIENT_DATA`.
    InsufficientData,
}

impl AlarmState {
    /// CloudWatch's spelling, also the subject prefix (`[ALARM]`).
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Alarm => "ALARM",
            AlarmState::Ok => "OK",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "ALARM" => Some(AlarmState::Alarm),
            "OK" => Some(AlarmState::Ok),
            "INSUFFICIENT_DATA" => Some(AlarmState::InsufficientData),
            _ => None,
        }
    }

    fn from_value(value: &CloudWatchAlarmStateValue) -> Self {
        match value {
            CloudWatchAlarmStateValue::Alarm => AlarmState::Alarm,
            CloudWatchAlarmStateValue::InsufficientData => AlarmState::InsufficientData,
            _ => AlarmState::Ok,
        }
    }
}

/// Which shape the alarm came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmSource {
    /// EventBridge rule on `CloudWatch Alarm State Change`.
    EventBridge,
    /// SNS topic the alarm notifies (`Records[].Sns.Message`).
    Sns,
    /// The alarm's Lambda action (`alarmData`).
    LambdaAction,
}

/// The metric an alarm watches.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRef {
    /// `AWS/Lambda`, …
    pub namespace: String,
    /// `Errors`, …
    pub name: String,
    /// Dimensions, in the order the alarm lists them.
    pub dimensions: Vec<(String, String)>,
    /// `Average`, `Sum`, `p95`, …
    pub stat: Option<String>,
    /// Seconds.
    pub period: Option<i64>,
}

/// One evaluated datapoint from the alarm's reason data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Datapoint {
    /// Start of its period.
    pub at: DateTime<Utc>,
    /// The value (absent when the period had no data).
    pub value: Option<f64>,
}

/// An alarm state change, whatever shape it came in.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmEvent {
    /// How it arrived.
    pub source: AlarmSource,
    /// `goal-mandala-production-high-error-rate`, …
    pub name: String,
    /// The alarm's ARN, when the shape carries it.
    pub arn: Option<String>,
    /// Region, from the ARN (never from SNS's display name like "Asia Pacific (Tokyo)").
    pub region: Option<String>,
    /// The new state.
    pub state: AlarmState,
    /// The state before, when known.
    pub previous_state: Option<AlarmState>,
    /// CloudWatch's reason text.
    pub reason: String,
    /// When the state changed.
    pub changed_at: DateTime<Utc>,
    /// When the previous state began (EventBridge and Lambda action carry it).
    pub previous_changed_at: Option<DateTime<Utc>>,
    /// The watched metric (single-metric alarms).
    pub metric: Option<MetricRef>,
    /// The threshold, from the reason data or the SNS trigger.
    pub threshold: Option<f64>,
    /// `GreaterThanThreshold`, … (SNS only).
    pub comparison: Option<String>,
    /// Evaluated datapoints, from `reasonData` when present.
    pub datapoints: Vec<Datapoint>,
}

/// `region` of `arn:partition:service:region:account:…`.
pub fn region_of(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("arn"), Some(_), Some(_), Some(region)) if !region.is_empty() => {
            Some(region.to_owned())
        }
        _ => None,
    }
}

/// Reads any of the three shapes.
pub fn parse_alarm_event(payload: Value) -> Result<AlarmEvent, Error> {
    let Value::Object(object) = &payload else {
        return Err(invalid("a JSON object"));
    };
    if object.contains_key("Records") {
        return from_sns(payload);
    }
    if object.get("detail-type").and_then(Value::as_str) == Some("CloudWatch Alarm State Change") {
        return from_eventbridge(payload);
    }
    if object.contains_key("alarmData") {
        return from_lambda_action(payload);
    }
    Err(invalid(
        "an alarm: an EventBridge `CloudWatch Alarm State Change`, an SNS alarm notification (`Records[].Sns.Message`) or an alarm Lambda action (`alarmData`)",
    ))
}

fn invalid(expected: &str) -> Error {
    Error::InvalidInput(format!("expected {expected}"))
}

fn typed<T: serde::de::DeserializeOwned>(payload: Value, what: &str) -> Result<T, Error> {
    serde_path_to_error::deserialize(payload)
        .map_err(|e| Error::InvalidInput(format!("{what}: `{}`: {}", e.path(), e.inner())))
}

fn from_eventbridge(payload: Value) -> Result<AlarmEvent, Error> {
    let event: EventBridgeEvent<CloudWatchAlarmData> =
        typed(payload, "CloudWatch Alarm State Change")?;
    let arn = event.resources.as_ref().and_then(|r| r.first().cloned());
    let region = arn.as_deref().and_then(region_of).or(event.region.clone());
    from_alarm_data(
        AlarmSource::EventBridge,
        event.detail,
        arn,
        region,
        event.time,
    )
}

fn from_lambda_action(payload: Value) -> Result<AlarmEvent, Error> {
    let alarm: CloudWatchAlarm = typed(payload, "alarm Lambda action")?;
    let region = alarm
        .alarm_arn
        .as_deref()
        .and_then(region_of)
        .or(alarm.region.clone());
    from_alarm_data(
        AlarmSource::LambdaAction,
        alarm.alarm_data,
        alarm.alarm_arn,
        region,
        Some(alarm.time),
    )
}

fn from_alarm_data(
    source: AlarmSource,
    data: CloudWatchAlarmData,
    arn: Option<String>,
    region: Option<String>,
    event_time: Option<DateTime<Utc>>,
) -> Result<AlarmEvent, Error> {
    let state = data
        .state
        .ok_or_else(|| invalid("`state` in the alarm data"))?;
    let mut threshold = None;
    let mut datapoints = Vec::new();
    if let Some(CloudWatchAlarmStateReasonData::Metric(reason)) = &state.reason_data {
        threshold = Some(reason.threshold);
        datapoints = reason
            .evaluated_datapoints
            .iter()
            .map(|d| Datapoint {
                at: d.timestamp,
                value: d.value,
            })
            .collect();
    }
    Ok(AlarmEvent {
        source,
        name: data.alarm_name,
        arn,
        region,
        state: AlarmState::from_value(&state.value),
        previous_state: data
            .previous_state
            .as_ref()
            .map(|p| AlarmState::from_value(&p.value)),
        reason: state.reason,
        changed_at: if state.timestamp.timestamp() == 0 {
            event_time.unwrap_or(state.timestamp)
        } else {
            state.timestamp
        },
        previous_changed_at: data.previous_state.as_ref().map(|p| p.timestamp),
        metric: metric_of_configuration(&data.configuration),
        threshold,
        comparison: None,
        datapoints,
    })
}

/// The single metric of an alarm configuration (`metrics[]` with one `metricStat`).
fn metric_of_configuration(configuration: &Value) -> Option<MetricRef> {
    let metrics = configuration.get("metrics")?.as_array()?;
    let stat = metrics.iter().find_map(|m| m.get("metricStat"))?;
    let metric = stat.get("metric")?;
    let dimensions = metric
        .get("dimensions")
        .and_then(Value::as_object)
        .map(|d| {
            d.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Some(MetricRef {
        namespace: metric.get("namespace")?.as_str()?.to_owned(),
        name: metric.get("name")?.as_str()?.to_owned(),
        dimensions,
        stat: stat.get("stat").and_then(Value::as_str).map(str::to_owned),
        period: stat.get("period").and_then(Value::as_i64),
    })
}

fn from_sns(payload: Value) -> Result<AlarmEvent, Error> {
    let event: SnsEvent = typed(payload, "SNS notification")?;
    let record = event
        .records
        .into_iter()
        .next()
        .ok_or_else(|| invalid("at least one record in `Records`"))?;
    let message: Value = serde_json::from_str(&record.sns.message).map_err(|_| {
        invalid("`Records[0].Sns.Message` to be a CloudWatch alarm notification (JSON)")
    })?;
    let alarm: CloudWatchAlarmPayload = typed(message, "CloudWatch alarm notification")?;
    let state = AlarmState::parse(&alarm.new_state_value).ok_or_else(|| {
        Error::InvalidInput(format!(
            "`NewStateValue` `{}` is not an alarm state",
            alarm.new_state_value
        ))
    })?;
    let changed_at = parse_cloudwatch_time(&alarm.state_change_time).ok_or_else(|| {
        Error::InvalidInput(format!(
            "`StateChangeTime` `{}` is not a time",
            alarm.state_change_time
        ))
    })?;
    let trigger = &alarm.trigger;
    let metric = match (&trigger.namespace, &trigger.metric_name) {
        (Some(namespace), Some(name)) => Some(MetricRef {
            namespace: namespace.clone(),
            name: name.clone(),
            dimensions: trigger
                .dimensions
                .iter()
                .map(|d| (d.name.clone(), d.value.clone()))
                .collect(),
            stat: trigger.statistic.clone().map(|s| title_case(&s)),
            period: Some(trigger.period),
        }),
        _ => None,
    };
    Ok(AlarmEvent {
        source: AlarmSource::Sns,
        region: region_of(&alarm.alarm_arn),
        arn: (!alarm.alarm_arn.is_empty()).then(|| alarm.alarm_arn.clone()),
        name: alarm.alarm_name,
        state,
        previous_state: AlarmState::parse(&alarm.old_state_value),
        reason: alarm.new_state_reason,
        changed_at,
        previous_changed_at: None,
        metric,
        threshold: Some(trigger.threshold),
        comparison: Some(trigger.comparison_operator.clone()),
        datapoints: Vec::new(),
    })
}

/// CloudWatch's `2015-06-03T17:43:27.123+0000` (no colon in the offset), or RFC 3339.
fn parse_cloudwatch_time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(raw))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// SNS spells statistics `AVERAGE`; the metrics API wants `Average`.
fn title_case(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample(name: &str) -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/alarm-triage/");
        serde_json::from_str(&std::fs::read_to_string(format!("{path}{name}")).unwrap()).unwrap()
    }

    #[test]
    fn an_eventbridge_state_change_reads_name_state_region_metric_and_datapoints() {
        let e = parse_alarm_event(sample("eventbridge-high-error-rate.json")).unwrap();
        assert_eq!(e.source, AlarmSource::EventBridge);
        assert_eq!(e.name, "goal-mandala-production-high-error-rate");
        assert_eq!(
            (e.state, e.previous_state),
            (AlarmState::Alarm, Some(AlarmState::Ok))
        );
        assert_eq!(e.region.as_deref(), Some("ap-northeast-1"));
        assert_eq!(e.changed_at.to_rfc3339(), "2026-11-28T01:05:00.123+00:00");
        let metric = e.metric.unwrap();
        assert_eq!(
            (metric.namespace.as_str(), metric.name.as_str()),
            ("AWS/Lambda", "Errors")
        );
        assert_eq!(
            metric.dimensions,
            [(
                "FunctionName".to_owned(),
                "goal-mandala-production-api".to_owned()
            )]
        );
        assert_eq!(e.threshold, Some(5.0));
        assert_eq!(e.datapoints.len(), 2);
        assert_eq!(e.datapoints[0].value, Some(42.0));
    }

    #[test]
    fn an_sns_wrapped_alarm_takes_its_region_from_the_arn_not_the_display_name() {
        let e = parse_alarm_event(sample("sns-high-latency.json")).unwrap();
        assert_eq!(e.source, AlarmSource::Sns);
        assert_eq!(e.name, "goal-mandala-production-high-latency");
        assert_eq!(e.region.as_deref(), Some("ap-northeast-1"));
        assert_eq!(e.state, AlarmState::Alarm);
        assert_eq!(e.changed_at.to_rfc3339(), "2026-11-28T01:05:00.123+00:00");
        let metric = e.metric.unwrap();
        assert_eq!(
            (metric.namespace.as_str(), metric.name.as_str()),
            ("AWS/ApiGateway", "Latency")
        );
        assert_eq!(metric.stat.as_deref(), Some("Average"));
        assert_eq!(
            (e.threshold, e.comparison.as_deref()),
            (Some(2000.0), Some("GreaterThanThreshold"))
        );
    }

    #[test]
    fn an_alarm_lambda_action_reads_alarm_data() {
        let e = parse_alarm_event(sample("lambda-action-database-connection-error.json")).unwrap();
        assert_eq!(e.source, AlarmSource::LambdaAction);
        assert_eq!(e.name, "goal-mandala-production-database-connection-error");
        assert_eq!(e.region.as_deref(), Some("ap-northeast-1"));
        assert_eq!(e.state, AlarmState::Alarm);
        assert_eq!(e.previous_state, Some(AlarmState::Ok));
        assert!(e.previous_changed_at.is_some());
    }

    #[test]
    fn ok_and_insufficient_data_states_are_read() {
        let e = parse_alarm_event(sample("eventbridge-ok.json")).unwrap();
        assert_eq!(
            (e.state, e.previous_state),
            (AlarmState::Ok, Some(AlarmState::Alarm))
        );
        let e = parse_alarm_event(sample("eventbridge-insufficient-data.json")).unwrap();
        assert_eq!(e.state, AlarmState::InsufficientData);
    }

    #[test]
    fn anything_else_is_invalid_input() {
        for payload in [
            json!([]),
            json!("ALARM"),
            json!({}),
            json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}),
            json!({"detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch", "detail": {"alarmName": 5}}),
            json!({"Records": [{"Sns": {"Message": "not json"}}]}),
            json!({"Records": []}),
            json!({"alarmData": {"alarmName": "x"}}),
        ] {
            let err = parse_alarm_event(payload.clone()).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{payload}: {err}");
        }
    }

    #[test]
    fn regions_come_from_arns() {
        assert_eq!(
            region_of("arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:x").as_deref(),
            Some("ap-northeast-1")
        );
        assert_eq!(region_of("Asia Pacific (Tokyo)"), None);
        assert_eq!(region_of("arn:aws:iam::123456789012:user/x"), None);
    }
}
