//! The three shapes an alarm arrives in, read into one model: EventBridge
//! `CloudWatch Alarm State Change`, the SNS-wrapped alarm notification, and
//! the alarm-Lambda-action payload. Anything else is `InvalidInput`.
//!
//! Each is read leniently, by our own model: what every alarm of every kind
//! carries (name, new state) is required; what metric-math,
//! anomaly-detection and composite alarms, and messages of earlier years,
//! leave out or set to `null` (`reasonData`, `previousState`,
//! `configuration`, `AlarmArn`, …) is optional; unknown fields are ignored.

use chrono::{DateTime, Utc};
use serde::Deserialize;
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

    /// `ALARM`, `OK` or `INSUFFICIENT_DATA`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "ALARM" => Some(AlarmState::Alarm),
            "OK" => Some(AlarmState::Ok),
            "INSUFFICIENT_DATA" => Some(AlarmState::InsufficientData),
            _ => None,
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
    /// Read back by a reminder (`DescribeAlarms`).
    Reminder,
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

/// An alarm's state, as EventBridge and the Lambda action carry it.
#[derive(Debug, Deserialize)]
struct StateData {
    value: String,
    #[serde(default)]
    reason: Option<String>,
    /// JSON text (sometimes an object): a metric alarm's evaluation, a
    /// composite alarm's triggering alarms, absent for others.
    #[serde(default, rename = "reasonData")]
    reason_data: Option<Value>,
    #[serde(default)]
    timestamp: Option<String>,
}

/// `detail` of the EventBridge event, `alarmData` of the Lambda action.
#[derive(Debug, Deserialize)]
struct AlarmData {
    #[serde(rename = "alarmName")]
    alarm_name: String,
    state: StateData,
    #[serde(default, rename = "previousState")]
    previous_state: Option<StateData>,
    #[serde(default)]
    configuration: Value,
}

#[derive(Debug, Deserialize)]
struct EventBridgeAlarm {
    #[serde(default)]
    resources: Option<Vec<String>>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    time: Option<String>,
    detail: AlarmData,
}

#[derive(Debug, Deserialize)]
struct LambdaActionAlarm {
    #[serde(default, rename = "alarmArn")]
    alarm_arn: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(rename = "alarmData")]
    alarm_data: AlarmData,
}

fn from_eventbridge(payload: Value) -> Result<AlarmEvent, Error> {
    let event: EventBridgeAlarm = typed(payload, "CloudWatch Alarm State Change")?;
    let arn = event.resources.as_ref().and_then(|r| r.first().cloned());
    let region = arn.as_deref().and_then(region_of).or(event.region);
    let time = event.time.as_deref().and_then(parse_cloudwatch_time);
    from_alarm_data(AlarmSource::EventBridge, event.detail, arn, region, time)
}

fn from_lambda_action(payload: Value) -> Result<AlarmEvent, Error> {
    let alarm: LambdaActionAlarm = typed(payload, "alarm Lambda action")?;
    let arn = alarm.alarm_arn.filter(|a| !a.is_empty());
    let region = arn.as_deref().and_then(region_of).or(alarm.region);
    let time = alarm.time.as_deref().and_then(parse_cloudwatch_time);
    from_alarm_data(
        AlarmSource::LambdaAction,
        alarm.alarm_data,
        arn,
        region,
        time,
    )
}

fn state_of(value: &str, field: &str) -> Result<AlarmState, Error> {
    AlarmState::parse(value)
        .ok_or_else(|| Error::InvalidInput(format!("`{field}` `{value}` is not an alarm state")))
}

fn from_alarm_data(
    source: AlarmSource,
    data: AlarmData,
    arn: Option<String>,
    region: Option<String>,
    event_time: Option<DateTime<Utc>>,
) -> Result<AlarmEvent, Error> {
    let state = &data.state;
    let value = state_of(&state.value, "state.value")?;
    let changed_at = state
        .timestamp
        .as_deref()
        .and_then(parse_cloudwatch_time)
        .or(event_time)
        .ok_or_else(|| invalid("`state.timestamp` or the event's `time`"))?;
    // A metric alarm's evaluation; other kinds carry something else or nothing.
    let reason_data = match &state.reason_data {
        Some(Value::String(text)) => serde_json::from_str(text).unwrap_or(Value::Null),
        Some(other) => other.clone(),
        None => Value::Null,
    };
    let datapoints = reason_data["evaluatedDatapoints"]
        .as_array()
        .map(|points| {
            points
                .iter()
                .filter_map(|d| {
                    Some(Datapoint {
                        at: parse_cloudwatch_time(d["timestamp"].as_str()?)?,
                        value: d["value"].as_f64(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let previous = data.previous_state.as_ref();
    Ok(AlarmEvent {
        source,
        metric: metric_of_configuration(&data.configuration),
        name: data.alarm_name,
        arn,
        region,
        state: value,
        previous_state: previous.and_then(|p| AlarmState::parse(&p.value)),
        reason: data.state.reason.unwrap_or_default(),
        changed_at,
        previous_changed_at: previous
            .and_then(|p| p.timestamp.as_deref())
            .and_then(parse_cloudwatch_time),
        threshold: reason_data["threshold"].as_f64(),
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

/// The CloudWatch alarm notification SNS delivers, read leniently: the
/// fields messages of every year carry are required (name, new state, time);
/// what older messages, metric-math, anomaly-detection and composite alarms
/// leave out or set to `null` (`AlarmArn`, `AlarmDescription`, a `Trigger`
/// without `TreatMissingData`, `EvaluateLowSampleCountPercentile`,
/// `MetricName` or at all) is optional. Unknown fields are ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsAlarmMessage {
    alarm_name: String,
    #[serde(default)]
    alarm_arn: Option<String>,
    new_state_value: String,
    #[serde(default)]
    new_state_reason: Option<String>,
    state_change_time: String,
    #[serde(default)]
    old_state_value: Option<String>,
    #[serde(default)]
    trigger: Option<SnsTrigger>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsTrigger {
    #[serde(default)]
    metric_name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    statistic: Option<String>,
    #[serde(default)]
    extended_statistic: Option<String>,
    #[serde(default)]
    dimensions: Option<Vec<SnsDimension>>,
    #[serde(default)]
    period: Option<i64>,
    #[serde(default)]
    threshold: Option<f64>,
    #[serde(default)]
    comparison_operator: Option<String>,
}

/// SNS writes a trigger's dimensions in lower case.
#[derive(Debug, Deserialize)]
struct SnsDimension {
    name: String,
    value: String,
}

fn from_sns(payload: Value) -> Result<AlarmEvent, Error> {
    // Only what the triage reads is required of the SNS record itself.
    let sns = payload
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|records| records.first())
        .and_then(|record| record.get("Sns"))
        .ok_or_else(|| invalid("at least one record in `Records` with an `Sns` object"))?;
    let text = sns.get("Message").and_then(Value::as_str).ok_or_else(|| {
        invalid("`Records[0].Sns.Message` to be a CloudWatch alarm notification (JSON text)")
    })?;
    let message: Value = serde_json::from_str(text).map_err(|_| {
        invalid("`Records[0].Sns.Message` to be a CloudWatch alarm notification (JSON)")
    })?;
    let alarm: SnsAlarmMessage = typed(message, "CloudWatch alarm notification")?;
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
    let arn = alarm.alarm_arn.filter(|a| !a.is_empty());
    // Without the alarm's ARN, the topic's: an alarm notifies topics of its own region.
    let region = arn.as_deref().and_then(region_of).or_else(|| {
        sns.get("TopicArn")
            .and_then(Value::as_str)
            .and_then(region_of)
    });
    let trigger = alarm.trigger.as_ref();
    // A metric-math or anomaly-detection alarm has no single metric.
    let metric = trigger.and_then(|t| match (&t.namespace, &t.metric_name) {
        (Some(namespace), Some(name)) => Some(MetricRef {
            namespace: namespace.clone(),
            name: name.clone(),
            dimensions: t
                .dimensions
                .iter()
                .flatten()
                .map(|d| (d.name.clone(), d.value.clone()))
                .collect(),
            stat: t
                .statistic
                .as_deref()
                .map(title_case)
                .or_else(|| t.extended_statistic.clone()),
            period: t.period,
        }),
        _ => None,
    });
    Ok(AlarmEvent {
        source: AlarmSource::Sns,
        region,
        arn,
        name: alarm.alarm_name,
        state,
        previous_state: alarm.old_state_value.as_deref().and_then(AlarmState::parse),
        reason: alarm.new_state_reason.unwrap_or_default(),
        changed_at,
        previous_changed_at: None,
        metric,
        threshold: trigger.and_then(|t| t.threshold),
        comparison: trigger.and_then(|t| t.comparison_operator.clone()),
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

    fn sns(message: Value) -> Value {
        json!({"Records": [{"EventSource": "aws:sns", "Sns": {
            "TopicArn": "arn:aws:sns:ap-northeast-1:123456789012:goal-mandala-production-alarms",
            "Message": message.to_string()}}]})
    }

    #[test]
    fn sns_messages_of_earlier_years_and_of_math_and_composite_alarms_are_read() {
        // An older message: no AlarmArn, a null description, a trigger without
        // TreatMissingData or EvaluateLowSampleCountPercentile.
        let old = parse_alarm_event(sns(json!({
            "AlarmName": "goal-mandala-production-high-latency", "AlarmDescription": null,
            "AWSAccountId": "123456789012", "NewStateValue": "ALARM",
            "NewStateReason": "Threshold Crossed: 1 datapoint [3120.5 (28/11/26 01:00:00)] was greater than the threshold (2000.0).",
            "StateChangeTime": "2019-02-28T01:05:00.123+0000", "Region": "Asia Pacific (Tokyo)",
            "OldStateValue": "OK",
            "Trigger": {"MetricName": "Latency", "Namespace": "AWS/ApiGateway", "StatisticType": "Statistic",
                        "Statistic": "AVERAGE", "Unit": null,
                        "Dimensions": [{"name": "ApiName", "value": "goal-mandala-production"}],
                        "Period": 300, "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold",
                        "Threshold": 2000.0}
        })))
        .unwrap();
        assert_eq!(old.arn, None);
        assert_eq!(
            old.region.as_deref(),
            Some("ap-northeast-1"),
            "from the topic's ARN"
        );
        assert_eq!(
            old.metric.as_ref().map(|m| m.name.as_str()),
            Some("Latency")
        );
        assert_eq!(old.threshold, Some(2000.0));

        // A metric-math alarm: the trigger has Metrics, no single metric.
        let math = parse_alarm_event(sns(json!({
            "AlarmName": "goal-mandala-production-high-error-rate",
            "AlarmArn": "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:goal-mandala-production-high-error-rate",
            "NewStateValue": "ALARM", "NewStateReason": "Threshold Crossed", "OldStateValue": "OK",
            "StateChangeTime": "2026-11-28T01:05:00.123+0000",
            "Trigger": {"Period": 60, "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold",
                        "Threshold": 5.0, "TreatMissingData": "notBreaching",
                        "Metrics": [{"Expression": "100 * errors / invocations", "Id": "rate", "ReturnData": true}]}
        })))
        .unwrap();
        assert_eq!(math.metric, None);
        assert_eq!(math.threshold, Some(5.0));

        // An anomaly-detection alarm: a threshold metric id, no threshold.
        let anomaly = parse_alarm_event(sns(json!({
            "AlarmName": "goal-mandala-production-requests-anomaly", "NewStateValue": "ALARM",
            "StateChangeTime": "2026-11-28T01:05:00.123+0000",
            "Trigger": {"ThresholdMetricId": "ad1", "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
                        "Metrics": [{"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}]}
        })))
        .unwrap();
        assert_eq!((anomaly.threshold, anomaly.reason.as_str()), (None, ""));

        // A composite alarm: an AlarmRule and no trigger at all.
        let composite = parse_alarm_event(sns(json!({
            "AlarmName": "goal-mandala-production-api-down", "AlarmDescription": null,
            "NewStateValue": "OK", "OldStateValue": "ALARM",
            "NewStateReason": "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:goal-mandala-production-high-latency transitioned to OK",
            "StateChangeTime": "2026-11-28T02:05:00.000+0000",
            "AlarmRule": "ALARM(goal-mandala-production-high-latency) AND ALARM(goal-mandala-production-high-error-rate)"
        })))
        .unwrap();
        assert_eq!((composite.state, composite.metric), (AlarmState::Ok, None));

        // Not an alarm at all: InvalidInput.
        for not_alarm in [json!({"hello": "world"}), json!({"AlarmName": "x"})] {
            let err = parse_alarm_event(sns(not_alarm)).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{err}");
        }
    }

    #[test]
    fn composite_and_metric_math_alarms_arrive_through_eventbridge_and_lambda_actions() {
        // reasonData is a JSON string; a composite alarm's lists its triggering alarms.
        let composite = json!({
            "alarmName": "goal-mandala-production-api-down",
            "state": {"value": "ALARM",
                      "reason": "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:goal-mandala-production-high-latency transitioned to ALARM at Friday 27 November, 2026 16:04:00 UTC",
                      "reasonData": "{\"triggeringAlarms\": [{\"arn\": \"arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:goal-mandala-production-high-latency\", \"state\": {\"value\": \"ALARM\", \"timestamp\": \"2026-11-27T16:04:00.138+0000\"}}]}",
                      "timestamp": "2026-11-27T16:05:00.138+0000"},
            "previousState": {"value": "OK", "reason": "", "timestamp": "2026-11-27T10:00:00.000+0000",
                              "actionsSuppressedBy": "WaitPeriod", "actionsSuppressedReason": "Actions suppressed by WaitPeriod"},
            "configuration": {"alarmRule": "ALARM(goal-mandala-production-high-latency)",
                              "actionsSuppressor": "goal-mandala-production-maintenance",
                              "actionsSuppressorWaitPeriod": 120, "actionsSuppressorExtensionPeriod": 180}
        });
        let math = json!({
            "alarmName": "goal-mandala-production-high-error-rate",
            "state": {"value": "ALARM", "reason": "Threshold Crossed: 1 datapoint [6.2] was greater than the threshold (5.0).",
                      "timestamp": "2026-11-27T16:05:00.138+0000"},
            "previousState": {"value": "OK", "reason": "", "timestamp": "2026-11-27T10:00:00.000+0000"},
            "configuration": {"metrics": [
                {"id": "rate", "expression": "100 * errors / invocations", "label": "error rate", "returnData": true},
                {"id": "errors", "metricStat": {"metric": {"namespace": "AWS/Lambda", "name": "Errors",
                    "dimensions": {"FunctionName": "goal-mandala-production-api"}}, "period": 60, "stat": "Sum"}, "returnData": false}
            ]}
        });
        for data in [composite, math] {
            let eventbridge = json!({
                "version": "0", "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
                "detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
                "account": "123456789012", "time": "2026-11-27T16:05:00Z", "region": "ap-northeast-1",
                "resources": [format!("arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:{}", data["alarmName"].as_str().unwrap())],
                "detail": data.clone()
            });
            let e = parse_alarm_event(eventbridge).unwrap();
            assert_eq!(e.state, AlarmState::Alarm, "{data}");
            assert_eq!(e.region.as_deref(), Some("ap-northeast-1"));
            let action = json!({
                "source": "aws.cloudwatch", "alarmArn": format!("arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:{}", data["alarmName"].as_str().unwrap()),
                "accountId": "123456789012", "time": "2026-11-27T16:05:00.138+0000", "region": "ap-northeast-1",
                "alarmData": data
            });
            assert_eq!(
                parse_alarm_event(action).unwrap().source,
                AlarmSource::LambdaAction
            );
        }
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
