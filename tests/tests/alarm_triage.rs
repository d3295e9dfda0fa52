//! alarm-triage's handler against the bed: seeded API logs, X-Ray segments
//! and metrics in the emulator, a real PostgreSQL behind the DB secret, the
//! notification read back through SQS.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alarm_triage::{AlarmTriage, TriageConfig};
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use bed::{Bed, Inbox, Postgres, PostgresOptions, finding};
use chrono::{DateTime, TimeDelta, Utc};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use shared::entry::handle;
use shared::{ActionResult, Error, FindingStatus, Report};

const API_LOG_GROUP: &str = "/aws/lambda/goal-mandala-production-api";
const CLUSTER: &str = "goal-mandala-production";
const SECRET: &str = "goal-mandala/production/database";
const USER: &str = "goal_mandala_user";
const PASSWORD: &str = "triage-Probe-Pass-1";
const FUNCTION_ARN: &str =
    "arn:aws:lambda:ap-northeast-1:123456789012:function:goal-mandala-production-alarm-triage";
const GROUP: &str = "goal-mandala-production-ops";
/// The role template.yaml makes, as the permission test resolves it.
const SCHEDULER_ROLE: &str = "arn:aws:iam::123456789012:role/SchedulerRole";
const ERROR_RATE: &str = "goal-mandala-production-high-error-rate";

struct Production {
    bed: Bed,
    inbox: Inbox,
    /// When the alarm changed state: a minute ago, so the emulator keeps what is seeded.
    changed_at: DateTime<Utc>,
}

impl Production {
    async fn start() -> Production {
        let bed = Bed::start().unwrap();
        let inbox = Inbox::ops(&bed.sdk_config()).await.unwrap();
        let now = Utc::now();
        let changed_at = DateTime::from_timestamp(now.timestamp() - 60, 0).unwrap();
        Production {
            bed,
            inbox,
            changed_at,
        }
    }

    fn state(&self, extra: &[(&str, &str)]) -> AlarmTriage {
        let env = self.inbox.env(extra);
        AlarmTriage::new(
            TriageConfig::from_env(&env).unwrap(),
            &self.bed.function_sdk_config("alarm-triage"),
        )
        .unwrap()
    }

    /// A sample event with its state change moved to `changed_at`.
    fn event(&self, name: &str) -> Value {
        self.event_at(name, self.changed_at)
    }

    /// A sample event with its state change moved to `at`.
    fn event_at(&self, name: &str, at: DateTime<Utc>) -> Value {
        let path = bed::workspace_root().join("events/alarm-triage").join(name);
        let mut event: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let stamp = at.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string();
        if event.get("detail").is_some() {
            event["time"] = json!(at.to_rfc3339());
            event["detail"]["state"]["timestamp"] = json!(stamp);
            let before = (at - TimeDelta::minutes(42))
                .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
                .to_string();
            event["detail"]["previousState"]["timestamp"] = json!(before);
        } else if event.get("alarmData").is_some() {
            event["time"] = json!(stamp);
            event["alarmData"]["state"]["timestamp"] = json!(stamp);
        } else {
            let mut message: Value =
                serde_json::from_str(event["Records"][0]["Sns"]["Message"].as_str().unwrap())
                    .unwrap();
            message["StateChangeTime"] = json!(stamp);
            event["Records"][0]["Sns"]["Message"] = json!(message.to_string());
        }
        event
    }

    async fn triage(&self, state: &AlarmTriage, event: Value) -> Result<Report, Error> {
        handle(state, LambdaEvent::new(event.into(), Context::default())).await
    }

    /// An invocation as Lambda makes it: with the function's own ARN.
    async fn invoke(&self, state: &AlarmTriage, event: Value) -> Result<Report, Error> {
        let mut context = Context::default();
        context.invoked_function_arn = FUNCTION_ARN.to_owned();
        handle(state, LambdaEvent::new(event.into(), context)).await
    }

    /// The alarm in CloudWatch, in `state` (moto starts every alarm OK).
    async fn put_alarm(&self, name: &str, state: &str) {
        let cw = aws_sdk_cloudwatch::Client::new(&self.bed.sdk_config());
        cw.put_metric_alarm()
            .alarm_name(name)
            .namespace("AWS/Lambda")
            .metric_name("Errors")
            .dimensions(
                Dimension::builder()
                    .name("FunctionName")
                    .value("goal-mandala-production-api")
                    .build(),
            )
            .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
            .period(60)
            .evaluation_periods(1)
            .threshold(5.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
            )
            .send()
            .await
            .unwrap();
        self.set_alarm(name, state).await;
    }

    async fn set_alarm(&self, name: &str, state: &str) {
        let cw = aws_sdk_cloudwatch::Client::new(&self.bed.sdk_config());
        cw.set_alarm_state()
            .alarm_name(name)
            .state_value(state.into())
            .state_reason("test")
            .send()
            .await
            .unwrap();
    }

    /// `[(minutes before changed_at, state)]` as the alarm's history.
    fn history(&self, alarm: &str, transitions: &[(i64, &str)]) {
        let listed: Vec<Value> = transitions
            .iter()
            .map(|(minutes, to)| {
                json!({"at": (self.changed_at - TimeDelta::minutes(*minutes)).to_rfc3339(),
                       "from": if *to == "ALARM" { "OK" } else { "ALARM" }, "to": to})
            })
            .collect();
        self.bed
            .seed_alarm_history(alarm, &Value::Array(listed))
            .unwrap();
    }

    /// API Gateway `Latency` and `IntegrationLatency` and the API function's
    /// `Duration`, as `(minutes before the change, value)`.
    async fn put_latency(
        &self,
        latency: &[(i64, f64)],
        integration: &[(i64, f64)],
        duration: &[(i64, f64)],
    ) {
        let api = ("ApiName", "goal-mandala-production");
        self.put_metric("AWS/ApiGateway", "Latency", api, latency)
            .await;
        self.put_metric("AWS/ApiGateway", "IntegrationLatency", api, integration)
            .await;
        let function = ("FunctionName", "goal-mandala-production-api");
        self.put_metric("AWS/Lambda", "Duration", function, duration)
            .await;
    }

    async fn put_metric(
        &self,
        namespace: &str,
        name: &str,
        dimension: (&str, &str),
        values: &[(i64, f64)],
    ) {
        let cw = aws_sdk_cloudwatch::Client::new(&self.bed.sdk_config());
        let data = values
            .iter()
            .map(|(minutes_before, v)| {
                MetricDatum::builder()
                    .metric_name(name)
                    .dimensions(
                        Dimension::builder()
                            .name(dimension.0)
                            .value(dimension.1)
                            .build(),
                    )
                    .timestamp(AwsTime::from_secs(
                        (self.changed_at - TimeDelta::minutes(*minutes_before)).timestamp(),
                    ))
                    .value(*v)
                    .build()
            })
            .collect();
        cw.put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(data))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn an_error_rate_alarm_classifies_the_apis_error_lines_with_examples_and_remedies() {
    let p = Production::start().await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&p.bed.sdk_config());
    logs.create_log_group()
        .log_group_name(API_LOG_GROUP)
        .send()
        .await
        .unwrap();
    let stream = "2026/11/28/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    logs.create_log_stream()
        .log_group_name(API_LOG_GROUP)
        .log_stream_name(stream)
        .send()
        .await
        .unwrap();
    let at = |minutes_before: i64, second: i64| {
        (p.changed_at - TimeDelta::minutes(minutes_before) + TimeDelta::seconds(second))
            .timestamp_millis()
    };
    let mut events = Vec::new();
    // Outside the window (30 minutes before): must not count.
    for i in 0..10 {
        events.push((at(30, i), format!("2026-11-28T00:30:00.000Z\t00000000-0000-4000-8000-0000000000{i:02}\tERROR\tZodError: [ {{ \"code\": \"invalid_type\" }} ]")));
    }
    // 29 failed requests with a database error, 12 of them writing it twice
    // (the error and its stack) — 41 lines.
    for i in 0..41 {
        events.push((at(10, i), format!("2026-11-28T00:50:00.000Z\t6f7f0961-f834-4211-8a7a-f6fe80b88d{:02}\tERROR\tInvoke Error \tError: connect ECONNREFUSED 10.0.3.25:5432", i % 29)));
    }
    events.push((at(9, 0), "2026-11-28T00:51:00.000Z\t6f7f0961-f834-4211-8a7a-f6fe80b88d99\tERROR\tError: connect ECONNREFUSED 10.0.3.25:5432 (postgres://goal_mandala_user:hunter2-secret@10.0.3.25:5432/goal_mandala)".to_owned()));
    // 15 timed-out invocations: Lambda writes two lines for each.
    for i in 0..15 {
        let id = format!("7a1b2c3d-0000-4000-8000-0000000000{i:02}");
        events.push((
            at(8, i),
            format!("2026-11-28T00:52:00.000Z {id} Task timed out after 30.03 seconds"),
        ));
        events.push((at(8, i), format!("REPORT RequestId: {id}\tDuration: 30030.00 ms\tBilled Duration: 30000 ms\tMemory Size: 128 MB\tMax Memory Used: 88 MB\tStatus: timeout")));
    }
    for i in 0..20 {
        events.push((at(7, i), format!("2026-11-28T00:53:00.000Z\t7a1b2c3d-1111-4000-8000-0000000000{i:02}\tINFO\tgoal saved")));
    }
    let batch: Vec<InputLogEvent> = events
        .into_iter()
        .map(|(ts, message)| {
            InputLogEvent::builder()
                .timestamp(ts)
                .message(message)
                .build()
                .unwrap()
        })
        .collect();
    logs.put_log_events()
        .log_group_name(API_LOG_GROUP)
        .log_stream_name(stream)
        .set_log_events(Some(batch))
        .send()
        .await
        .unwrap();
    let state = p.state(&[]);

    let report = p
        .triage(&state, p.event("eventbridge-high-error-rate.json"))
        .await
        .unwrap();

    assert_eq!(report.extra["playbook"], "error-rate");
    // Per failed request: 30 with a database error (42 lines), 15 timeouts
    // (30 lines), 45 requests in all.
    assert_eq!(
        report.extra["classes"],
        json!({"database_connection": 30, "timeout": 15})
    );
    assert_eq!(report.extra["failed_requests"], 45);
    assert_eq!(
        report.title,
        "[ALARM] high-error-rate: DB接続エラー 30/45 リクエスト"
    );
    assert_eq!(report.severity, shared::Severity::Critical);
    let db = finding(&report, "errors-database-connection");
    assert!(
        db.detail.contains("30/45 リクエスト（67%、エラー行 42）"),
        "{}",
        db.detail
    );
    let timeouts = finding(&report, "errors-timeout");
    assert!(
        timeouts
            .detail
            .contains("15/45 リクエスト（33%、エラー行 30）"),
        "{}",
        timeouts.detail
    );
    assert!(
        db.detail.contains("[6f7f0961-f834-4211-8a7a-f6fe80b88d00]"),
        "examples carry request ids: {}",
        db.detail
    );
    assert!(
        finding(&report, "errors-timeout")
            .detail
            .contains("Task timed out")
    );
    assert!(
        report
            .next_steps
            .iter()
            .any(|s| s.starts_with("DB接続エラー:"))
    );
    assert!(
        report
            .next_steps
            .iter()
            .any(|s| s.contains("#alarmsV2:alarm/goal-mandala-production-high-error-rate"))
    );
    assert!(
        report
            .next_steps
            .iter()
            .any(|s| s.contains("log-group/$252Faws$252Flambda$252Fgoal-mandala-production-api"))
    );
    let alarm = finding(&report, "alarm");
    assert!(
        alarm.detail.contains("しきい値 5 に対して評価値 42, 15"),
        "{}",
        alarm.detail
    );
    assert!(alarm.detail.contains("JST"), "{}", alarm.detail);
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        !json.contains("hunter2-secret"),
        "a password from a log line reached the report"
    );

    let published = p.inbox.take().await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["title"], report.title);
    assert!(!published[0].to_string().contains("hunter2-secret"));
}

fn segment(trace_id: &str, start: f64, subsegments: Value, duration: f64) -> String {
    json!({
        "name": "goal-mandala-production-api", "id": format!("{:016x}", start as u64),
        "trace_id": trace_id, "origin": "AWS::Lambda::Function",
        "start_time": start, "end_time": start + duration, "subsegments": subsegments
    })
    .to_string()
}

#[tokio::test]
async fn a_latency_alarm_names_the_database_as_the_bottleneck_from_xray() {
    let p = Production::start().await;
    let xray = aws_sdk_xray::Client::new(&p.bed.sdk_config());
    let base = (p.changed_at - TimeDelta::minutes(5)).timestamp() as f64;
    let mut documents = Vec::new();
    for i in 0..4u64 {
        let start = base + (i * 10) as f64;
        let trace_id = format!("1-{:08x}-{:024x}", start as u64, 0xabc0 + i);
        let sql = json!({"id": format!("{:016x}", 0x5100 + i), "name": "goal_mandala@goal-mandala-production.cluster-abc", "start_time": start + 0.2, "end_time": start + 2.7,
                        "sql": {"database_type": "PostgreSQL", "sanitized_query": "SELECT * FROM goals WHERE user_id = $1"}});
        let http = json!({"id": format!("{:016x}", 0x5200 + i), "name": "api.example.com", "namespace": "remote", "start_time": start + 2.8, "end_time": start + 3.0});
        documents.push(segment(&trace_id, start, json!([sql, http]), 3.2));
    }
    xray.put_trace_segments()
        .set_trace_segment_documents(Some(documents))
        .send()
        .await
        .unwrap();
    p.put_latency(
        &[(5, 3300.0), (4, 3100.0)],
        &[(5, 3200.0), (4, 3000.0)],
        &[(5, 3150.0)],
    )
    .await;
    let state = p.state(&[("REPORT_LANG", "en")]);

    let report = p
        .triage(&state, p.event("sns-high-latency.json"))
        .await
        .unwrap();

    assert_eq!(report.extra["playbook"], "latency");
    assert_eq!(
        report.extra["bottleneck"], "database",
        "{:#?}",
        report.findings
    );
    assert_eq!(report.title, "[ALARM] high-latency: bottleneck: database");
    let split = finding(&report, "xray-time-split");
    assert!(
        split.detail.contains("database 10000 ms"),
        "{}",
        split.detail
    );
    let api = finding(&report, "apigw-latency");
    assert_eq!(api.status, FindingStatus::Warning);
    assert!(
        api.detail
            .contains("Latency 3200 ms, IntegrationLatency 3100 ms (API Gateway itself 100 ms)"),
        "{}",
        api.detail
    );
    assert_eq!(
        finding(&report, "lambda-duration").status,
        FindingStatus::Warning
    );
    assert!(report.next_steps.iter().any(|s| s.contains("indexes")));
}

/// The runbook's limits are judged as daily-health judges them (the shared
/// rules): exactly 2,000 ms of latency and exactly 1,000 ms of average
/// duration are no longer "under" the limit — warnings; just below, ok.
#[tokio::test]
async fn latency_and_duration_at_the_runbooks_limits_are_warnings() {
    for (latency, duration, expected) in [
        (2_000.0, 1_000.0, FindingStatus::Warning),
        (1_999.0, 999.0, FindingStatus::Ok),
    ] {
        let p = Production::start().await;
        p.put_latency(&[(5, latency)], &[(5, latency - 50.0)], &[(5, duration)])
            .await;
        let state = p.state(&[("REPORT_LANG", "en")]);

        let report = p
            .triage(&state, p.event("sns-high-latency.json"))
            .await
            .unwrap();

        let api = finding(&report, "apigw-latency");
        assert_eq!(
            (api.status, api.threshold),
            (expected, Some(2_000.0)),
            "{}",
            api.detail
        );
        let lambda = finding(&report, "lambda-duration");
        assert_eq!(
            (lambda.status, lambda.threshold),
            (expected, Some(1_000.0)),
            "{}",
            lambda.detail
        );
    }
}

struct Database {
    p: Production,
    pg: Postgres,
}

impl Database {
    async fn start() -> Database {
        let p = Production::start().await;
        let pg = Postgres::start(PostgresOptions::default()).unwrap();
        pg.psql_unlogged(&format!("CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'"))
            .unwrap();
        pg.psql(&format!("CREATE DATABASE goal_mandala OWNER {USER}"))
            .unwrap();
        let sdk = p.bed.sdk_config();
        bed::production::create_cluster(&aws_sdk_rds::Client::new(&sdk), CLUSTER)
            .await
            .unwrap();
        let db = Database { p, pg };
        db.secret(PASSWORD).await;
        db
    }

    async fn secret(&self, password: &str) {
        let value = json!({"username": USER, "password": password, "host": "127.0.0.1", "port": self.pg.port(), "database": "goal_mandala", "ssl": false}).to_string();
        let sm = aws_sdk_secretsmanager::Client::new(&self.p.bed.sdk_config());
        if sm
            .create_secret()
            .name(SECRET)
            .secret_string(&value)
            .send()
            .await
            .is_err()
        {
            sm.put_secret_value()
                .secret_id(SECRET)
                .secret_string(&value)
                .send()
                .await
                .unwrap();
        }
    }

    async fn cause(&self, state: &AlarmTriage) -> (String, Report) {
        let report = self
            .p
            .triage(
                state,
                self.p.event("lambda-action-database-connection-error.json"),
            )
            .await
            .unwrap();
        (report.extra["cause"].as_str().unwrap().to_owned(), report)
    }
}

#[tokio::test]
async fn each_database_cause_is_told_apart_by_a_real_login() {
    let db = Database::start().await;
    let state = db.p.state(&[]);

    let (cause, report) = db.cause(&state).await;
    assert_eq!(cause, "ok");
    assert_eq!(report.extra["playbook"], "database-connection");
    assert_eq!(finding(&report, "cluster-status").status, FindingStatus::Ok);
    assert_eq!(finding(&report, "login-probe").status, FindingStatus::Ok);

    db.secret("not-the-password").await;
    let (cause, report) = db.cause(&state).await;
    assert_eq!(cause, "bad_credentials");
    assert!(
        !serde_json::to_string(&report)
            .unwrap()
            .contains("not-the-password")
    );
    db.secret(PASSWORD).await;

    db.pg
        .psql(&format!("ALTER ROLE {USER} CONNECTION LIMIT 0"))
        .unwrap();
    let (cause, report) = db.cause(&state).await;
    assert_eq!(cause, "too_many_connections");
    assert_eq!(
        report.title,
        "[ALARM] database-connection-error: 接続数の上限"
    );
    db.pg
        .psql(&format!("ALTER ROLE {USER} CONNECTION LIMIT -1"))
        .unwrap();

    db.pg.stop().unwrap();
    let started = std::time::Instant::now();
    let (cause, report) = db.cause(&state).await;
    assert_eq!(cause, "network");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(
        report
            .next_steps
            .iter()
            .any(|s| s.contains("セキュリティグループ"))
    );
    db.pg.start_again().unwrap();
    assert_eq!(
        db.p.inbox.take().await.unwrap().len(),
        4,
        "every triage notifies"
    );
}

#[tokio::test]
async fn a_stopped_cluster_is_started_only_when_auto_remediation_is_on() {
    let db = Database::start().await;
    let rds = aws_sdk_rds::Client::new(&db.p.bed.sdk_config());
    rds.stop_db_cluster()
        .db_cluster_identifier(CLUSTER)
        .send()
        .await
        .unwrap();

    let (cause, report) = db.cause(&db.p.state(&[])).await;
    assert_eq!(cause, "cluster_stopped");
    assert_eq!(report.actions[0].result, ActionResult::Skipped);
    assert_eq!(
        finding(&report, "login-probe").status,
        FindingStatus::Skipped
    );

    let (cause, report) = db
        .cause(&db.p.state(&[("TRIAGE_AUTO_REMEDIATE", "true")]))
        .await;
    assert_eq!(cause, "cluster_stopped");
    assert_eq!(
        (report.actions[0].action.as_str(), report.actions[0].result),
        ("start-cluster", ActionResult::Done)
    );
    let status = rds
        .describe_db_clusters()
        .db_cluster_identifier(CLUSTER)
        .send()
        .await
        .unwrap()
        .db_clusters()[0]
        .status()
        .unwrap()
        .to_owned();
    assert_ne!(status, "stopped");
}

#[tokio::test]
async fn ok_reports_the_recovery_and_insufficient_data_says_whether_metrics_arrive() {
    let p = Production::start().await;
    let state = p.state(&[]);
    let report = p
        .triage(&state, p.event("eventbridge-ok.json"))
        .await
        .unwrap();
    assert_eq!(report.extra["playbook"], "recovered");
    assert_eq!(report.title, "[OK] high-error-rate: 回復（42 min 継続）");
    assert_eq!(report.severity, shared::Severity::Info);

    let report = p
        .triage(&state, p.event("eventbridge-insufficient-data.json"))
        .await
        .unwrap();
    assert_eq!(report.extra["playbook"], "insufficient-data");
    assert_eq!(
        finding(&report, "metric-datapoints").status,
        FindingStatus::Warning
    );
    assert!(
        report.title.contains("直近のデータなし"),
        "{}",
        report.title
    );

    p.put_metric(
        "AWS/Lambda",
        "Errors",
        ("FunctionName", "goal-mandala-production-api"),
        &[(3, 0.0), (2, 1.0)],
    )
    .await;
    let report = p
        .triage(&state, p.event("eventbridge-insufficient-data.json"))
        .await
        .unwrap();
    assert_eq!(
        finding(&report, "metric-datapoints").status,
        FindingStatus::Ok
    );
    assert_eq!(p.inbox.take().await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_alarm_without_a_playbook_gets_its_metrics_recent_values() {
    let p = Production::start().await;
    p.put_metric(
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        ("QueueName", "goal-mandala-production-ops-failures"),
        &[(4, 0.0), (3, 2.0), (2, 3.0)],
    )
    .await;
    let mut event = p.event("eventbridge-high-error-rate.json");
    let name = "goal-mandala-production-ops-failed-events";
    event["resources"] = json!([format!(
        "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:{name}"
    )]);
    event["detail"]["alarmName"] = json!(name);
    event["detail"]["configuration"] = json!({"metrics": [{"id": "m1", "metricStat": {"metric": {"namespace": "AWS/SQS", "name": "ApproximateNumberOfMessagesVisible",
        "dimensions": {"QueueName": "goal-mandala-production-ops-failures"}}, "period": 60, "stat": "Maximum"}, "returnData": true}]});
    let report = p.triage(&p.state(&[]), event).await.unwrap();
    assert_eq!(report.extra["playbook"], "generic");
    assert_eq!(
        report.title,
        "[ALARM] ops-failed-events: ApproximateNumberOfMessagesVisible がしきい値を超えました"
    );
    let values = finding(&report, "metric-values");
    assert!(
        values.detail.contains(" 3, ") || values.detail.contains(" 3"),
        "{}",
        values.detail
    );
    assert!(values.detail.contains("しきい値 5"), "{}", values.detail);
}

#[tokio::test]
async fn a_failing_source_is_a_skipped_finding_and_bad_input_is_refused() {
    let p = Production::start().await;
    let state = p.state(&[]);
    // No log group at all: the read fails, the triage still reports.
    let report = p
        .triage(&state, p.event("eventbridge-high-error-rate.json"))
        .await
        .unwrap();
    assert_eq!(finding(&report, "errors").status, FindingStatus::Skipped);
    assert_eq!(p.inbox.take().await.unwrap().len(), 1);

    let invalid: Value = serde_json::from_str(
        &std::fs::read_to_string(bed::workspace_root().join("events/alarm-triage/invalid.json"))
            .unwrap(),
    )
    .unwrap();
    for event in [
        invalid,
        json!([]),
        json!({"Records": [{"Sns": {"Message": "{}"}}]}),
        json!({"detail-type": "CloudWatch Alarm State Change", "dry_run": "yes"}),
    ] {
        let err = p.triage(&state, event.clone()).await.unwrap_err();
        assert_eq!(err.error_type().as_str(), "InvalidInput", "{event}: {err}");
    }
    assert!(p.inbox.take().await.unwrap().is_empty());
}

/// Alarm notifications as AWS has sent them through SNS — an older message
/// without `AlarmArn`, a composite alarm (no trigger), an anomaly-detection
/// alarm (no single metric, no threshold) — each get a report.
#[tokio::test]
async fn sns_alarm_shapes_aws_sends_each_get_a_report() {
    let p = Production::start().await;
    let state = p.state(&[("REPORT_LANG", "en")]);
    let sns = |message: Value| {
        json!({"Records": [{"EventSource": "aws:sns", "Sns": {
            "TopicArn": "arn:aws:sns:ap-northeast-1:123456789012:goal-mandala-production-alarms",
            "Message": message.to_string()}}]})
    };
    let changed = p
        .changed_at
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string();
    for (message, state_prefix) in [
        (
            json!({"AlarmName": "goal-mandala-production-api-down", "AlarmDescription": null,
                   "NewStateValue": "ALARM", "OldStateValue": "OK", "StateChangeTime": changed,
                   "NewStateReason": "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:goal-mandala-production-high-latency transitioned to ALARM",
                   "AlarmRule": "ALARM(goal-mandala-production-high-latency) AND ALARM(goal-mandala-production-high-error-rate)"}),
            "[ALARM]",
        ),
        (
            json!({"AlarmName": "goal-mandala-production-requests-anomaly", "NewStateValue": "INSUFFICIENT_DATA",
                   "StateChangeTime": changed,
                   "Trigger": {"ThresholdMetricId": "ad1", "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
                               "Metrics": [{"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}]}}),
            "[INSUFFICIENT_DATA]",
        ),
    ] {
        let report = p.triage(&state, sns(message.clone())).await.unwrap();
        assert!(report.title.starts_with(state_prefix), "{}", report.title);
        assert!(report.extra["playbook"].is_string(), "{message}");
    }
}

/// A write recorded by CloudTrail `minutes` before the state change.
fn write(p: &Production, id: &str, name: &str, minutes: i64, who: &str, request: Value) -> Value {
    json!({
        "eventVersion": "1.09", "eventID": id, "eventName": name,
        "eventTime": (p.changed_at - TimeDelta::minutes(minutes)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "eventSource": "lambda.amazonaws.com", "awsRegion": "ap-northeast-1", "readOnly": false,
        "userIdentity": {"type": "IAMUser", "userName": who, "arn": format!("arn:aws:iam::123456789012:user/{who}")},
        "sourceIPAddress": "203.0.113.20", "requestParameters": request
    })
}

#[tokio::test]
async fn an_alarm_names_the_deploy_made_minutes_before_it_and_how_to_roll_it_back() {
    let p = Production::start().await;
    p.bed
        .seed_trail(&json!([
            write(
                &p,
                "deploy",
                "UpdateFunctionCode20150331v2",
                8,
                "github-actions-deploy",
                json!({"functionName": "goal-mandala-production-api", "publish": true})
            ),
            write(
                &p,
                "other",
                "UpdateFunctionCode20150331v2",
                5,
                "github-actions-deploy",
                json!({"functionName": "some-other-function"})
            ),
            write(
                &p,
                "secret",
                "PutSecretValue",
                30,
                "ops-admin",
                json!({"secretId": "goal-mandala/production/database"})
            ),
            // Older than the 60-minute look-back: not this alarm's.
            write(
                &p,
                "old",
                "UpdateAlias20150331",
                90,
                "github-actions-deploy",
                json!({"functionName": "goal-mandala-production-api", "name": "live"})
            ),
        ]))
        .unwrap();
    let state = p.state(&[]);

    let report = p
        .triage(&state, p.event("eventbridge-high-error-rate.json"))
        .await
        .unwrap();

    let changes = finding(&report, "recent-changes");
    assert_eq!(changes.status, FindingStatus::Warning, "{}", changes.detail);
    let nearest = "8 分前: github-actions-deploy が goal-mandala-production-api のコードを更新";
    assert!(report.summary.contains(nearest), "{}", report.summary);
    assert!(changes.detail.contains(nearest), "{}", changes.detail);
    let listed = report.extra["changes"].as_array().unwrap();
    let names: Vec<&str> = listed
        .iter()
        .map(|c| c["event_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["UpdateFunctionCode20150331v2", "PutSecretValue"],
        "newest first, the system's only"
    );
    assert_eq!(listed[0]["minutes_before"], 8);
    assert_eq!(listed[0]["principal"], "github-actions-deploy");
    assert_eq!(listed[0]["resource"], "goal-mandala-production-api");
    assert_eq!(listed[0]["source_ip"], "203.0.113.20");
    assert!(
        report
            .next_steps
            .iter()
            .any(|s| s.contains("update-alias") && s.contains("goal-mandala-production-api")),
        "{:#?}",
        report.next_steps
    );
    // One scan of the writes: ReadOnly=false, the hour before the change.
    let lookups: Vec<_> = p
        .bed
        .requests()
        .unwrap()
        .into_iter()
        .filter(|r| r.operation.as_deref() == Some("LookupEvents"))
        .collect();
    assert_eq!(lookups.len(), 1);

    // The database playbook: the secret's change matters, the deploy does not.
    let db = p
        .triage(
            &state,
            p.event("lambda-action-database-connection-error.json"),
        )
        .await
        .unwrap();
    let changes = finding(&db, "recent-changes");
    assert_eq!(changes.status, FindingStatus::Warning, "{}", changes.detail);
    assert!(
        db.next_steps.iter().any(|s| s.contains("AWSPREVIOUS")),
        "{:#?}",
        db.next_steps
    );
}

#[tokio::test]
async fn no_change_is_ok_a_denied_lookup_is_skipped_and_ok_states_do_not_scan() {
    let p = Production::start().await;
    let state = p.state(&[]);
    let report = p
        .triage(&state, p.event("eventbridge-high-error-rate.json"))
        .await
        .unwrap();
    assert_eq!(finding(&report, "recent-changes").status, FindingStatus::Ok);
    assert_eq!(report.extra["changes"], json!([]));

    p.bed
        .set_faults(&json!([{"service": "cloudtrail", "operation": "LookupEvents", "code": "AccessDeniedException", "status": 400}]))
        .unwrap();
    let report = p
        .triage(&state, p.event("eventbridge-high-error-rate.json"))
        .await
        .unwrap();
    let skipped = finding(&report, "recent-changes");
    assert_eq!(skipped.status, FindingStatus::Skipped);
    assert!(
        skipped.detail.contains("AccessDeniedException"),
        "{}",
        skipped.detail
    );

    p.bed.forget_requests().unwrap();
    let ok = p
        .triage(&state, p.event("eventbridge-ok.json"))
        .await
        .unwrap();
    assert!(ok.findings.iter().all(|f| f.check != "recent-changes"));
    assert!(
        p.bed
            .requests()
            .unwrap()
            .iter()
            .all(|r| r.operation.as_deref() != Some("LookupEvents"))
    );
}

fn lifecycle_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("SCHEDULE_GROUP", GROUP),
        ("SCHEDULER_ROLE_ARN", SCHEDULER_ROLE),
    ]
}

#[tokio::test]
async fn a_flapping_alarm_is_named_at_four_transitions_and_kept_quiet_in_its_window() {
    let p = Production::start().await;
    let state = p.state(&[]);
    let thread = |r: &Report| {
        shared::render::chatbot(r, shared::Lang::Ja, chrono_tz::Asia::Tokyo)["metadata"]["threadId"]
            .clone()
    };

    // Two earlier ALARMs in the hour: this is the third, not flapping.
    p.history(
        ERROR_RATE,
        &[(50, "ALARM"), (45, "OK"), (30, "ALARM"), (25, "OK")],
    );
    let third = p
        .triage(&state, p.event("eventbridge-high-error-rate.json"))
        .await
        .unwrap();
    assert_eq!(third.extra["episode"]["transitions_60m"], 3);
    assert_eq!(third.extra["episode"]["flapping"], false);
    assert_eq!(third.extra["notify"], true);
    assert_eq!(finding(&third, "episode").status, FindingStatus::Ok);
    assert_eq!(p.inbox.take().await.unwrap().len(), 1);

    // Three earlier: the fourth makes it flapping, and is heard, saying so.
    p.history(
        ERROR_RATE,
        &[
            (50, "ALARM"),
            (45, "OK"),
            (30, "ALARM"),
            (25, "OK"),
            (20, "ALARM"),
            (15, "OK"),
        ],
    );
    let fourth = p
        .triage(&state, p.event("eventbridge-high-error-rate.json"))
        .await
        .unwrap();
    assert_eq!(fourth.extra["episode"]["flapping"], true);
    assert_eq!(fourth.extra["notify"], true);
    let flapping = finding(&fourth, "flapping");
    assert_eq!(flapping.status, FindingStatus::Warning);
    assert!(
        flapping.detail.contains("直近 60 分で 4 回"),
        "{}",
        flapping.detail
    );
    assert!(
        fourth.summary.contains("フラッピング"),
        "{}",
        fourth.summary
    );
    let published = p.inbox.take().await.unwrap();
    assert_eq!(published.len(), 1);

    // The streak began 10 minutes ago (the fourth ALARM): this one, in the
    // same 30-minute window, is not told — retried or not.
    p.history(
        ERROR_RATE,
        &[
            (50, "ALARM"),
            (45, "OK"),
            (30, "ALARM"),
            (25, "OK"),
            (20, "ALARM"),
            (15, "OK"),
            (10, "ALARM"),
            (5, "OK"),
        ],
    );
    for _ in 0..2 {
        let quiet = p
            .triage(&state, p.event("eventbridge-high-error-rate.json"))
            .await
            .unwrap();
        assert_eq!(quiet.extra["notify"], false);
        assert!(
            quiet.extra["quiet_reason"]
                .as_str()
                .unwrap()
                .contains("フラッピング中"),
            "{}",
            quiet.extra["quiet_reason"]
        );
        assert_eq!(quiet.extra["episode"]["transitions_60m"], 5);
    }
    assert!(p.inbox.take().await.unwrap().is_empty());

    // A streak that began 40 minutes ago (its fourth ALARM) with nothing
    // since the first window: this one opens the second window and is heard.
    p.history(
        ERROR_RATE,
        &[
            (70, "ALARM"),
            (65, "OK"),
            (60, "ALARM"),
            (55, "OK"),
            (50, "ALARM"),
            (45, "OK"),
            (40, "ALARM"),
            (35, "OK"),
            (20, "ALARM"),
            (15, "OK"),
        ],
    );
    let next = p
        .triage(&state, p.event("eventbridge-high-error-rate.json"))
        .await
        .unwrap();
    assert_eq!(
        (
            next.extra["episode"]["flapping"].clone(),
            next.extra["notify"].clone()
        ),
        (json!(true), json!(true))
    );
    assert_eq!(p.inbox.take().await.unwrap().len(), 1);

    // One thread per alarm: every state change of this alarm in its own,
    // another alarm in another.
    assert_eq!(thread(&third), thread(&next));
    let latency = p
        .triage(&state, p.event("sns-high-latency.json"))
        .await
        .unwrap();
    assert_ne!(thread(&latency), thread(&third));
    assert!(thread(&third).as_str().unwrap().contains(ERROR_RATE));

    // A history that cannot be read: the episode is skipped, the triage told.
    p.bed
        .set_faults(&json!([{"service": "monitoring", "operation": "DescribeAlarmHistory", "code": "AccessDenied", "status": 403}]))
        .unwrap();
    let denied = p
        .triage(&state, p.event("eventbridge-high-error-rate.json"))
        .await
        .unwrap();
    assert_eq!(finding(&denied, "episode").status, FindingStatus::Skipped);
    assert_eq!(denied.extra["notify"], true);
}

#[tokio::test]
async fn a_reminder_triages_again_while_the_alarm_lasts_and_says_nothing_once_it_is_over() {
    let p = Production::start().await;
    let sdk = p.bed.sdk_config();
    bed::scheduler::create_group(&sdk, GROUP).await.unwrap();
    let mut env = lifecycle_env();
    env.push(("TRIAGE_REMIND_MAX", "2"));
    let state = p.state(&env);
    p.put_alarm(ERROR_RATE, "ALARM").await;
    p.history(ERROR_RATE, &[(0, "ALARM")]);

    let first = p
        .invoke(&state, p.event("eventbridge-high-error-rate.json"))
        .await
        .unwrap();
    assert_eq!(
        first.extra["reminder"]["status"], "created",
        "{:?}",
        first.extra
    );
    assert_eq!(first.extra["reminder"]["n"], 1);
    // A retried event: the same schedule, not a second one.
    let retried = p
        .invoke(&state, p.event("eventbridge-high-error-rate.json"))
        .await
        .unwrap();
    assert_eq!(retried.extra["reminder"]["status"], "exists");
    let schedules = bed::scheduler::schedules(&sdk, GROUP).await.unwrap();
    assert_eq!(schedules.len(), 1, "{schedules:#?}");
    let one = &schedules[0];
    assert!(one.expression.starts_with("at(20"), "{}", one.expression);
    assert_eq!(
        (one.target_arn.as_str(), one.role_arn.as_str()),
        (FUNCTION_ARN, SCHEDULER_ROLE)
    );
    assert!(one.delete_after);
    let started = p
        .changed_at
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(one.input["remind"]["alarm"], ERROR_RATE);
    assert_eq!(one.input["remind"]["n"], 1);
    assert_eq!(
        DateTime::parse_from_rfc3339(one.input["remind"]["episode_started_at"].as_str().unwrap())
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        started
    );
    p.inbox.take().await.unwrap();

    // Scheduler runs it: still in ALARM, same episode → a fresh triage, told,
    // and reminder 2 scheduled.
    bed::scheduler::complete(&sdk, GROUP, one).await.unwrap();
    let reminded = p.invoke(&state, one.input.clone()).await.unwrap();
    assert!(
        reminded.title.starts_with("[ALARM] high-error-rate: "),
        "{}",
        reminded.title
    );
    assert!(
        reminded.title.contains("分継続 (reminder 1)"),
        "{}",
        reminded.title
    );
    assert_eq!(reminded.extra["reminder"]["n"], 2);
    assert_eq!(reminded.extra["playbook"], "error-rate");
    // The episode is the one the reminder belongs to: one ALARM, not two.
    assert_eq!(reminded.extra["episode"]["transitions_60m"], 1);
    assert_eq!(
        DateTime::parse_from_rfc3339(reminded.extra["episode"]["started_at"].as_str().unwrap())
            .unwrap()
            .timestamp(),
        p.changed_at.timestamp()
    );
    let published = p.inbox.take().await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["title"], reminded.title);
    let schedules = bed::scheduler::schedules(&sdk, GROUP).await.unwrap();
    assert_eq!(schedules.len(), 1);
    assert_eq!(schedules[0].input["remind"]["n"], 2);

    // The last one allowed (TRIAGE_REMIND_MAX=2): told, nothing more scheduled.
    bed::scheduler::complete(&sdk, GROUP, &schedules[0])
        .await
        .unwrap();
    let last = p.invoke(&state, schedules[0].input.clone()).await.unwrap();
    assert!(last.title.contains("(reminder 2)"), "{}", last.title);
    assert_eq!(last.extra["reminder"], Value::Null);
    assert!(
        last.next_steps.iter().any(|s| s.contains("上限（2 回）")),
        "{:#?}",
        last.next_steps
    );
    assert!(
        bed::scheduler::schedules(&sdk, GROUP)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(p.inbox.take().await.unwrap().len(), 1);

    // Recovered since: the reminder says nothing to the team.
    p.set_alarm(ERROR_RATE, "OK").await;
    let over = p.invoke(&state, one.input.clone()).await.unwrap();
    assert_eq!(over.extra["notify"], false);
    assert!(over.extra["quiet_reason"].as_str().unwrap().contains("OK"));
    // In ALARM again, but a newer episode: that one has its own reminders.
    p.set_alarm(ERROR_RATE, "ALARM").await;
    let newer = p.invoke(&state, one.input.clone()).await.unwrap();
    assert_eq!(newer.extra["notify"], false, "{:?}", newer.extra);
    assert!(p.inbox.take().await.unwrap().is_empty());
    assert!(
        bed::scheduler::schedules(&sdk, GROUP)
            .await
            .unwrap()
            .is_empty()
    );

    // A reminder payload that does not fit is refused, nothing read.
    p.bed.forget_requests().unwrap();
    for bad in [
        json!({"remind": {"alarm": ERROR_RATE, "n": 1}}),
        json!({"remind": {"alarm": ERROR_RATE, "episode_started_at": "yesterday", "n": 1}}),
        json!({"remind": {"alarm": ERROR_RATE, "episode_started_at": "2026-11-28T01:05:00Z", "n": 0}}),
    ] {
        let err = p.invoke(&state, bad.clone()).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{bad}: {err}");
    }
    assert!(p.bed.requests().unwrap().is_empty());
}

#[tokio::test]
async fn an_episode_opens_one_opsitem_and_its_ok_resolves_it_and_cancels_the_reminder() {
    let p = Production::start().await;
    let sdk = p.bed.sdk_config();
    bed::scheduler::create_group(&sdk, GROUP).await.unwrap();
    let mut env = lifecycle_env();
    env.push(("TRIAGE_OPSITEMS", "true"));
    let state = p.state(&env);
    p.put_alarm(ERROR_RATE, "ALARM").await;
    let began = p.changed_at - TimeDelta::minutes(42);
    p.history(ERROR_RATE, &[(42, "ALARM")]);

    let alarm = p.event_at("eventbridge-high-error-rate.json", began);
    let first = p.invoke(&state, alarm.clone()).await.unwrap();
    assert_eq!(
        first.extra["ops_item"]["status"], "created",
        "{:?}",
        first.extra
    );
    let retried = p.invoke(&state, alarm).await.unwrap();
    assert_eq!(retried.extra["ops_item"]["status"], "exists");
    assert_eq!(
        retried.extra["ops_item"]["id"],
        first.extra["ops_item"]["id"]
    );
    let items = p.bed.ops_items().unwrap();
    assert_eq!(items.len(), 1, "one OpsItem for the episode");
    let item = &items[0];
    assert_eq!(item["Title"], first.title.as_str());
    assert_eq!(item["Source"], "goal-mandala-ops");
    assert_eq!(item["Category"], "Availability");
    let severity = match first.severity {
        shared::Severity::Critical => "1",
        shared::Severity::Warning => "2",
        shared::Severity::Info => "3",
    };
    assert_eq!(item["Severity"], severity);
    let dedup: Value = serde_json::from_str(
        item["OperationalData"]["/aws/dedup"]["Value"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        dedup["dedupString"],
        format!(
            "arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:{ERROR_RATE}#{}",
            began.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    );
    assert!(
        item["OperationalData"]["/aws/resources"]["Value"]
            .as_str()
            .unwrap()
            .contains(ERROR_RATE)
    );
    assert_eq!(
        bed::scheduler::schedules(&sdk, GROUP).await.unwrap().len(),
        1
    );

    // OK 42 minutes later: the OpsItem resolved with the duration, the
    // pending reminder deleted (none had gone out yet).
    p.history(ERROR_RATE, &[(42, "ALARM"), (0, "OK")]);
    let ok = p
        .invoke(&state, p.event("eventbridge-ok.json"))
        .await
        .unwrap();
    assert_eq!(ok.extra["ops_item"]["status"], "resolved", "{:?}", ok.extra);
    assert_eq!(ok.extra["reminders_sent"], 0);
    assert!(
        ok.summary.contains("リマインダーを 0 回送信"),
        "{}",
        ok.summary
    );
    assert!(
        finding(&ok, "episode").detail.contains("42 分"),
        "{}",
        finding(&ok, "episode").detail
    );
    let items = p.bed.ops_items().unwrap();
    assert_eq!(items[0]["Status"], "Resolved");
    assert_eq!(
        items[0]["OperationalData"]["/goal-mandala-ops/duration-minutes"]["Value"],
        "42"
    );
    assert!(
        bed::scheduler::schedules(&sdk, GROUP)
            .await
            .unwrap()
            .is_empty()
    );
    // The OK retried: nothing open, nothing pending, still a report.
    let again = p
        .invoke(&state, p.event("eventbridge-ok.json"))
        .await
        .unwrap();
    assert_eq!(again.extra["ops_item"]["status"], "none-open");
}

#[tokio::test]
async fn each_shape_an_alarm_arrives_in_gets_its_episode_reminder_and_opsitem() {
    let p = Production::start().await;
    let sdk = p.bed.sdk_config();
    bed::scheduler::create_group(&sdk, GROUP).await.unwrap();
    let mut env = lifecycle_env();
    env.push(("TRIAGE_OPSITEMS", "true"));
    let state = p.state(&env);
    let latency = "goal-mandala-production-high-latency";
    p.put_alarm(latency, "ALARM").await;

    // The SNS message of earlier years: no AlarmArn; the ARN comes from DescribeAlarms.
    let mut old = p.event("sns-high-latency.json");
    let mut message: Value =
        serde_json::from_str(old["Records"][0]["Sns"]["Message"].as_str().unwrap()).unwrap();
    message.as_object_mut().unwrap().remove("AlarmArn");
    message["AlarmDescription"] = Value::Null;
    old["Records"][0]["Sns"]["Message"] = json!(message.to_string());
    let events = [
        p.event("eventbridge-high-error-rate.json"),
        old,
        p.event("lambda-action-database-connection-error.json"),
    ];
    for event in events {
        let report = p.invoke(&state, event).await.unwrap();
        assert!(report.extra["episode"].is_object(), "{:?}", report.extra);
        assert_eq!(
            report.extra["reminder"]["status"], "created",
            "{:?}",
            report.extra
        );
        assert_eq!(
            report.extra["ops_item"]["status"], "created",
            "{}",
            report.title
        );
    }
    let items = p.bed.ops_items().unwrap();
    assert_eq!(items.len(), 3);
    let latency_item = items
        .iter()
        .find(|i| i["Title"].as_str().unwrap().contains("high-latency"))
        .unwrap();
    assert_eq!(latency_item["Category"], "Performance");
    assert!(
        latency_item["OperationalData"]["/aws/dedup"]["Value"]
            .as_str()
            .unwrap()
            .contains(&format!("alarm:{latency}#"))
    );
    assert_eq!(
        bed::scheduler::schedules(&sdk, GROUP).await.unwrap().len(),
        3
    );
}
