//! daily-health's handler against the bed: a seeded week of the dashboard's
//! metrics (p95 served by the bed from the raw datapoints), the runbook
//! alarms, the DB secret, snapshots, the frontend bucket and the deploy
//! user, with dates moved into the past by the bed; one source denied; the
//! digest read back through SQS.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, MetricDatum, StandardUnit, StateValue, Statistic,
};
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use bed::{Bed, Inbox, finding};
use chrono::{DateTime, TimeDelta, Utc};
use daily_health::{DailyHealth, HealthConfig};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use shared::entry::handle;
use shared::{Error, FindingStatus, Report};

const SYSTEM: &str = "goal-mandala-production";
const SECRET: &str = "goal-mandala/production/database";
const DB_PASSWORD: &str = "Never-In-A-Report-7731";
const USER: &str = "github-actions-deploy";
const BUCKET: &str = "goal-mandala-production-frontend";

/// 09:00 JST on 29 November: the run reports the 28th.
const NOW: &str = "2026-11-29T00:00:00Z";

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

/// Local midnight (JST) of the day `days` before D = 2026-11-28.
fn day_start(days_before: i64) -> DateTime<Utc> {
    at("2026-11-27T15:00:00Z") - TimeDelta::days(days_before)
}

struct Production {
    bed: Bed,
    inbox: Inbox,
    cloudwatch: aws_sdk_cloudwatch::Client,
    key_id: String,
    /// The stack's failure queue (empty).
    queue_url: String,
}

/// The frontend's cache policy (the bed's CloudFront, seeded at 86,400 s).
const CACHE_POLICY: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// The cluster's one instance.
const INSTANCE: &str = "goal-mandala-production-instance-1";
/// The API function.
const API_FUNCTION: &str = "goal-mandala-production-api";

/// One day's numbers for the seven rows.
#[derive(Clone, Copy)]
struct DayValues {
    invocations: f64,
    errors: f64,
    duration_ms: f64,
    api_requests: f64,
    /// Every latency datapoint of the day: 1..=100 × this, so p95 = 95 × it.
    latency_step_ms: f64,
    connections: f64,
    cpu: f64,
}

const NORMAL: DayValues = DayValues {
    invocations: 2_000.0,
    errors: 4.0,
    duration_ms: 320.0,
    api_requests: 2_100.0,
    latency_step_ms: 10.0,
    connections: 12.0,
    cpu: 25.0,
};

impl Production {
    async fn start(alarms: &[(&str, StateValue)]) -> Production {
        let bed = Bed::start().unwrap();
        let sdk = bed.sdk_config();
        let inbox = Inbox::ops(&sdk).await.unwrap();
        let now = at(NOW);

        // The cluster, and the snapshot nightly-snapshot took at 04:30 JST.
        // Everything as the runbook states it: the API function at reserved
        // 10 / provisioned 0, the cluster with 7 days of backups in 03:00–04:00
        // JST, deletion protection and one instance with a certificate valid
        // for 200 days, the cache policy at 86,400 s, an empty failure queue.
        bed::production::create_api_function(&sdk, API_FUNCTION)
            .await
            .unwrap();
        aws_sdk_lambda::Client::new(&sdk)
            .put_function_concurrency()
            .function_name(API_FUNCTION)
            .reserved_concurrent_executions(10)
            .send()
            .await
            .unwrap();
        let rds = aws_sdk_rds::Client::new(&sdk);
        bed::production::create_cluster(&rds, SYSTEM).await.unwrap();
        rds.modify_db_cluster()
            .db_cluster_identifier(SYSTEM)
            .backup_retention_period(7)
            .preferred_backup_window("18:00-19:00")
            .deletion_protection(true)
            .apply_immediately(true)
            .send()
            .await
            .unwrap();
        rds.create_db_instance()
            .db_instance_identifier(INSTANCE)
            .db_instance_class("db.serverless")
            .engine("aurora-postgresql")
            .db_cluster_identifier(SYSTEM)
            .send()
            .await
            .unwrap();
        bed.seed_certificates(&json!({INSTANCE: {"ca": "rds-ca-rsa2048-g1",
            "valid_till": (now + TimeDelta::days(200)).to_rfc3339()}}))
            .unwrap();
        bed.seed_cache_policy(
            &json!({"id": CACHE_POLICY, "name": "frontend", "min_ttl": 1,
            "default_ttl": 86400, "max_ttl": 31536000}),
        )
        .unwrap();
        let queue_url = aws_sdk_sqs::Client::new(&sdk)
            .create_queue()
            .queue_name("goal-mandala-production-ops-failures")
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let snapshot = format!("{SYSTEM}-manual-20261129-043000");
        rds.create_db_cluster_snapshot()
            .db_cluster_identifier(SYSTEM)
            .db_cluster_snapshot_identifier(&snapshot)
            .send()
            .await
            .unwrap();
        bed.backdate(&json!({"kind": "cluster-snapshot", "id": snapshot,
            "created": (now - TimeDelta::minutes(270)).timestamp()}))
            .unwrap();
        // Last Sunday's, which restore-drill restored and proved that day.
        let drilled = format!("{SYSTEM}-manual-20261122-043000");
        rds.create_db_cluster_snapshot()
            .db_cluster_identifier(SYSTEM)
            .db_cluster_snapshot_identifier(&drilled)
            .tags(
                aws_sdk_rds::types::Tag::builder()
                    .key("restore-verified")
                    .value("2026-11-22")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        bed.backdate(&json!({"kind": "cluster-snapshot", "id": drilled,
            "created": (now - TimeDelta::days(7) - TimeDelta::minutes(270)).timestamp()}))
            .unwrap();

        // The DB secret, rotated 30 days ago.
        let sm = aws_sdk_secretsmanager::Client::new(&sdk);
        sm.create_secret()
            .name(SECRET)
            .secret_string(
                json!({"username": "goal_mandala_user", "password": DB_PASSWORD,
                    "host": "db.internal", "port": 5432, "database": "goal_mandala"})
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        // Rotation on, every 90 days (no rotation now: the value stays).
        sm.rotate_secret()
            .secret_id(SECRET)
            .rotation_rules(
                aws_sdk_secretsmanager::types::RotationRulesType::builder()
                    .automatically_after_days(90)
                    .build(),
            )
            .rotate_immediately(false)
            .send()
            .await
            .unwrap();
        bed.backdate(&json!({"kind": "secret", "name": SECRET,
            "created": (now - TimeDelta::days(400)).timestamp(),
            "last_rotated": (now - TimeDelta::days(30)).timestamp()}))
            .unwrap();

        // The deploy user, its key 10 days old.
        let iam = aws_sdk_iam::Client::new(&sdk);
        iam.create_user().user_name(USER).send().await.unwrap();
        let key = iam
            .create_access_key()
            .user_name(USER)
            .send()
            .await
            .unwrap()
            .access_key
            .unwrap();
        let key_id = key.access_key_id().to_owned();
        bed.backdate(
            &json!({"kind": "access-key", "user": USER, "key_id": key_id,
            "created": (now - TimeDelta::days(10)).timestamp()}),
        )
        .unwrap();

        // The frontend bucket, versioned.
        let s3 = aws_sdk_s3::Client::new(&sdk);
        bed::production::create_bucket(&s3, BUCKET).await.unwrap();
        Production::versioning(&s3, BucketVersioningStatus::Enabled).await;

        let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk);
        for (suffix, state) in alarms {
            let name = format!("{SYSTEM}-{suffix}");
            cloudwatch
                .put_metric_alarm()
                .alarm_name(&name)
                .namespace("AWS/Lambda")
                .metric_name("Errors")
                .statistic(Statistic::Sum)
                .period(300)
                .evaluation_periods(1)
                .threshold(match *suffix {
                    "high-latency" => 2000.0,
                    "high-error-rate" => 5.0,
                    _ => 1.0,
                })
                .comparison_operator(ComparisonOperator::GreaterThanThreshold)
                .alarm_actions(&inbox.topic_arn)
                .send()
                .await
                .unwrap();
            cloudwatch
                .set_alarm_state()
                .alarm_name(&name)
                .state_value(state.clone())
                .state_reason(format!("Threshold Crossed: test state {}", state.as_str()))
                .send()
                .await
                .unwrap();
        }
        Production {
            bed,
            inbox,
            cloudwatch,
            key_id,
            queue_url,
        }
    }

    async fn versioning(s3: &aws_sdk_s3::Client, status: BucketVersioningStatus) {
        s3.put_bucket_versioning()
            .bucket(BUCKET)
            .versioning_configuration(VersioningConfiguration::builder().status(status).build())
            .send()
            .await
            .unwrap();
    }

    fn state(&self, extra: &[(&str, &str)]) -> DailyHealth {
        let mut env = self.inbox.env(&[
            ("FRONTEND_BUCKET", BUCKET),
            ("CLOUDFRONT_CACHE_POLICY_ID", CACHE_POLICY),
            ("FAILURE_QUEUE_URL", &self.queue_url),
        ]);
        for (k, v) in extra {
            env.set(*k, *v);
        }
        DailyHealth::new(
            HealthConfig::from_env(&env).unwrap(),
            &self.bed.function_sdk_config("daily-health"),
        )
        .unwrap()
    }

    /// Puts one day's values (`days_before` D), a few hours into the local day.
    async fn seed_day(&self, days_before: i64, v: DayValues) {
        let start = day_start(days_before);
        let when = |hours: i64| AwsTime::from_secs((start + TimeDelta::hours(hours)).timestamp());
        let datum = |metric: &str, dim: (&str, &str), value: f64, hours: i64| {
            MetricDatum::builder()
                .metric_name(metric)
                .dimensions(Dimension::builder().name(dim.0).value(dim.1).build())
                .value(value)
                .timestamp(when(hours))
                .build()
        };
        let function = ("FunctionName", "goal-mandala-production-api");
        let api = ("ApiName", SYSTEM);
        let cluster = ("DBClusterIdentifier", SYSTEM);
        // Two datapoints per count metric: the sum is what the row reads.
        self.put(
            "AWS/Lambda",
            vec![
                datum("Invocations", function, v.invocations / 2.0, 2),
                datum("Invocations", function, v.invocations / 2.0, 20),
                datum("Errors", function, v.errors, 3),
                datum("Duration", function, v.duration_ms, 4),
            ],
        )
        .await;
        let mut gateway = vec![
            datum("Count", api, v.api_requests / 2.0, 2),
            datum("Count", api, v.api_requests / 2.0, 21),
        ];
        for i in 1..=100 {
            let mut d = datum("Latency", api, v.latency_step_ms * f64::from(i), 5);
            d.timestamp = Some(AwsTime::from_secs(
                (start + TimeDelta::hours(5) + TimeDelta::seconds(i64::from(i))).timestamp(),
            ));
            d.unit = Some(StandardUnit::Milliseconds);
            gateway.push(d);
        }
        self.put("AWS/ApiGateway", gateway).await;
        self.put(
            "AWS/RDS",
            vec![
                datum("DatabaseConnections", cluster, v.connections, 6),
                datum("DatabaseConnections", cluster, v.connections / 2.0, 7),
                datum("CPUUtilization", cluster, v.cpu, 8),
            ],
        )
        .await;
    }

    async fn put(&self, namespace: &str, data: Vec<MetricDatum>) {
        for chunk in data.chunks(20) {
            self.cloudwatch
                .put_metric_data()
                .namespace(namespace)
                .set_metric_data(Some(chunk.to_vec()))
                .send()
                .await
                .unwrap();
        }
    }

    /// D-7 … D-1 normal, D as given.
    async fn seed_week(&self, d: DayValues) {
        for days_before in 1..=7 {
            self.seed_day(days_before, NORMAL).await;
        }
        self.seed_day(0, d).await;
    }

    /// The 09:00 digest of [`NOW`] with the production state and `extra` settings.
    async fn digest(&self, extra: &[(&str, &str)]) -> Report {
        self.run(&self.state(extra), json!({"scheduled_time": NOW}))
            .await
            .unwrap()
    }

    async fn run(&self, state: &DailyHealth, payload: Value) -> Result<Report, Error> {
        self.bed.forget_requests().unwrap();
        handle(state, LambdaEvent::new(payload.into(), Context::default())).await
    }

    fn calls(&self, operation: &str) -> usize {
        self.bed
            .requests()
            .unwrap()
            .iter()
            .filter(|r| r.operation.as_deref() == Some(operation))
            .count()
    }
}

fn status(report: &Report, check: &str) -> &'static str {
    match finding(report, check).status {
        shared::FindingStatus::Ok => "ok",
        shared::FindingStatus::Warning => "warning",
        shared::FindingStatus::Critical => "critical",
        shared::FindingStatus::Skipped => "skipped",
    }
}

fn row<'a>(report: &'a Report, check: &str) -> &'a Value {
    report.extra["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check"] == check)
        .unwrap()
}

const OK_ALARMS: [(&str, StateValue); 3] = [
    ("high-error-rate", StateValue::Ok),
    ("high-latency", StateValue::Ok),
    ("database-connection-error", StateValue::Ok),
];

#[tokio::test]
async fn a_normal_day_is_all_ok_read_in_one_request_and_mailed_once() {
    let p = Production::start(&OK_ALARMS).await;
    p.seed_week(NORMAL).await;
    let state = p.state(&[]);

    let report = p.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    assert_eq!(
        report.severity,
        shared::Severity::Info,
        "{:#?}",
        report.findings
    );
    assert_eq!(report.extra["date"], "2026-11-28");
    assert_eq!(
        report.extra["window"],
        json!({"start": "2026-11-27T15:00:00Z", "end": "2026-11-28T15:00:00Z"})
    );
    let checks: Vec<&str> = report.findings.iter().map(|f| f.check.as_str()).collect();
    assert_eq!(
        checks,
        [
            "lambda-invocations",
            "lambda-duration",
            "lambda-error-rate",
            "api-requests",
            "api-latency-p95",
            "db-connections",
            "db-cpu",
            "alarm-high-error-rate",
            "alarm-high-latency",
            "alarm-database-connection-error",
            "secret-age",
            "snapshot-age",
            "restore-drill-age",
            "restore-drill-leftover",
            "frontend-versioning",
            "key-age-github-actions-deploy",
            // The automation's health, 運用手順との差分, 予定された変更.
            "secret-rotation-stuck",
            "automation-failures",
            "runbook-lambda-concurrency",
            "runbook-db-capacity",
            "runbook-db-backup",
            "runbook-db-deletion-protection",
            "runbook-alarms",
            "runbook-alarms",
            "runbook-alarms",
            "runbook-secret-rotation",
            "runbook-cloudfront-ttl",
            "db-ca-expiry",
            "db-pending-maintenance",
        ]
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.status == shared::FindingStatus::Ok),
        "{:#?}",
        report.findings
    );
    assert_eq!(row(&report, "lambda-invocations")["value"], 2_000.0);
    assert_eq!(row(&report, "lambda-invocations")["average_7d"], 2_000.0);
    assert_eq!(row(&report, "lambda-invocations")["surge"], false);
    assert_eq!(row(&report, "lambda-error-rate")["value"], 0.2);
    assert_eq!(row(&report, "api-latency-p95")["value"], 950.0);
    assert_eq!(row(&report, "db-connections")["value"], 12.0);
    assert_eq!(finding(&report, "secret-age").value, Some(30.0));
    assert_eq!(finding(&report, "snapshot-age").value, Some(4.5));
    assert_eq!(finding(&report, "restore-drill-age").value, Some(7.0));
    assert_eq!(
        finding(&report, "key-age-github-actions-deploy").value,
        Some(10.0)
    );
    assert_eq!(report.title, "日次ヘルスチェック 2026-11-28: すべて正常");
    assert!(
        report
            .summary
            .contains("#dashboards/dashboard/goal-mandala-production"),
        "{}",
        report.summary
    );

    // One GetMetricData request for the day and its week; the secret's value never read.
    assert_eq!(p.calls("GetMetricData"), 1);
    assert_eq!(report.extra["metric_requests"], 1);
    assert_eq!(p.calls("GetSecretValue"), 0);
    let writes: Vec<String> = p.bed.writes().unwrap().iter().map(|r| r.name()).collect();
    assert_eq!(writes, ["sns:Publish"], "read-only but for the one publish");
    let published = p.inbox.take().await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["title"], report.title);
}

#[tokio::test]
async fn a_bad_day_flags_every_row_alarm_and_hygiene_line_with_its_remedy() {
    let p = Production::start(&[
        ("high-error-rate", StateValue::Alarm),
        ("high-latency", StateValue::InsufficientData),
        ("database-connection-error", StateValue::Ok),
    ])
    .await;
    p.seed_week(DayValues {
        // 4.5× the week's average (a surge), still under 10,000.
        invocations: 9_000.0,
        // 6 %: above the alarm line.
        errors: 540.0,
        duration_ms: 1_500.0,
        api_requests: 12_000.0,
        latency_step_ms: 25.0,
        connections: 60.0,
        cpu: 80.0,
    })
    .await;
    let now = at(NOW);
    p.bed
        .backdate(&json!({"kind": "secret", "name": SECRET,
            "last_rotated": (now - TimeDelta::days(181)).timestamp()}))
        .unwrap();
    p.bed
        .backdate(&json!({"kind": "cluster-snapshot", "id": "goal-mandala-production-manual-20261129-043000",
            "created": (now - TimeDelta::hours(30)).timestamp()}))
        .unwrap();
    // A drill's cluster left running since yesterday evening.
    let rds = aws_sdk_rds::Client::new(&p.bed.sdk_config());
    rds.create_db_cluster()
        .db_cluster_identifier("goal-mandala-production-drill")
        .engine("aurora-postgresql")
        .master_username("goal_mandala_admin")
        .master_user_password("not-a-real-password-1")
        .tags(
            aws_sdk_rds::types::Tag::builder()
                .key("created-by")
                .value("restore-drill")
                .build(),
        )
        .send()
        .await
        .unwrap();
    p.bed
        .backdate(
            &json!({"kind": "cluster", "id": "goal-mandala-production-drill",
            "created": (now - TimeDelta::hours(5)).timestamp()}),
        )
        .unwrap();
    p.bed
        .backdate(
            &json!({"kind": "access-key", "user": USER, "key_id": p.key_id,
            "created": (now - TimeDelta::days(100)).timestamp()}),
        )
        .unwrap();
    Production::versioning(
        &aws_sdk_s3::Client::new(&p.bed.sdk_config()),
        BucketVersioningStatus::Suspended,
    )
    .await;
    let state = p.state(&[]);

    let report = p.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    let statuses: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.check.as_str(), status(&report, &f.check)))
        .collect();
    assert_eq!(
        statuses,
        [
            ("lambda-invocations", "warning"),
            ("lambda-duration", "warning"),
            ("lambda-error-rate", "critical"),
            ("api-requests", "warning"),
            ("api-latency-p95", "warning"),
            ("db-connections", "warning"),
            ("db-cpu", "warning"),
            ("alarm-high-error-rate", "critical"),
            ("alarm-high-latency", "warning"),
            ("alarm-database-connection-error", "ok"),
            ("secret-age", "critical"),
            ("snapshot-age", "warning"),
            ("restore-drill-age", "ok"),
            ("restore-drill-leftover", "warning"),
            ("frontend-versioning", "warning"),
            ("key-age-github-actions-deploy", "warning"),
            // Production is still as the runbook states: only the day was bad.
            ("secret-rotation-stuck", "ok"),
            ("automation-failures", "ok"),
            ("runbook-lambda-concurrency", "ok"),
            ("runbook-db-capacity", "ok"),
            ("runbook-db-backup", "ok"),
            ("runbook-db-deletion-protection", "ok"),
            ("runbook-alarms", "ok"),
            ("runbook-alarms", "ok"),
            ("runbook-alarms", "ok"),
            ("runbook-secret-rotation", "ok"),
            ("runbook-cloudfront-ttl", "ok"),
            ("db-ca-expiry", "ok"),
            ("db-pending-maintenance", "ok"),
        ]
    );
    assert_eq!(report.severity, shared::Severity::Critical);
    let surge = row(&report, "lambda-invocations");
    assert_eq!(
        (surge["value"].as_f64(), surge["surge"].as_bool()),
        (Some(9_000.0), Some(true))
    );
    assert!(
        finding(&report, "lambda-invocations")
            .detail
            .contains("急増"),
        "{}",
        finding(&report, "lambda-invocations").detail
    );
    assert!(finding(&report, "lambda-invocations").detail.contains('█'));
    let rate = finding(&report, "lambda-error-rate");
    assert_eq!((rate.value, rate.threshold), (Some(6.0), Some(5.0)));
    assert_eq!(row(&report, "api-latency-p95")["value"], 2_375.0);
    assert_eq!(finding(&report, "secret-age").threshold, Some(180.0));
    assert_eq!(finding(&report, "snapshot-age").value, Some(30.0));
    assert_eq!(finding(&report, "restore-drill-leftover").value, Some(5.0));
    assert!(
        report.next_steps.iter().any(|s| s
            .contains("delete-db-cluster --db-cluster-identifier goal-mandala-production-drill")),
        "{:#?}",
        report.next_steps
    );
    let insufficient = finding(&report, "alarm-high-latency");
    assert!(
        insufficient.detail.contains("発報できません"),
        "{}",
        insufficient.detail
    );
    let alarms = report.extra["alarms"].as_array().unwrap();
    assert_eq!(alarms[0]["state"], "ALARM");
    assert_eq!(alarms[0]["reason"], "Threshold Crossed: test state ALARM");
    assert!(alarms[0]["since"].is_string());
    // The runbook's next step for each line that is not ok.
    assert!(report.next_steps.len() >= 13, "{:#?}", report.next_steps);
    assert!(has_step(&report, "put-bucket-versioning"));
    assert!(has_step(&report, "rotate-secret"));
    assert!(has_step(&report, "force_rotate"));
    assert!(report.title.contains("重大 3 件"), "{}", report.title);
    assert_eq!(p.inbox.take().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_missing_alarm_and_a_denied_source_skip_only_their_own_lines() {
    let p = Production::start(&OK_ALARMS[..2]).await;
    p.seed_week(NORMAL).await;
    p.bed
        .set_faults(&json!([{"service": "iam", "operation": "ListAccessKeys",
            "code": "AccessDenied", "status": 403}]))
        .unwrap();
    let state = p.state(&[]);

    let report = p.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    let missing = finding(&report, "alarm-database-connection-error");
    assert_eq!(missing.status, shared::FindingStatus::Warning);
    assert!(
        missing.detail.contains("CreateRunbookAlarms"),
        "{}",
        missing.detail
    );
    assert_eq!(report.extra["alarms"][2]["state"], Value::Null);
    let key = finding(&report, "key-age-github-actions-deploy");
    assert_eq!(key.status, shared::FindingStatus::Skipped);
    assert!(key.detail.contains("AccessDenied"), "{}", key.detail);
    // Everything else was still read and judged.
    assert_eq!(status(&report, "secret-age"), "ok");
    assert_eq!(status(&report, "lambda-invocations"), "ok");
    assert_eq!(
        report.severity,
        shared::Severity::Warning,
        "skipped does not raise it"
    );
    assert_eq!(p.inbox.take().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_whole_source_down_still_sends_the_digest() {
    let p = Production::start(&OK_ALARMS).await;
    p.bed
        .set_faults(
            &json!([{"service": "monitoring", "operation": "GetMetricData",
            "code": "ThrottlingException", "status": 400}]),
        )
        .unwrap();
    let state = p.state(&[]);

    let report = p.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    for check in ["lambda-invocations", "api-latency-p95", "db-cpu"] {
        let f = finding(&report, check);
        assert_eq!(f.status, shared::FindingStatus::Skipped, "{check}");
        assert!(f.detail.contains("ThrottlingException"), "{}", f.detail);
    }
    assert_eq!(status(&report, "alarm-high-latency"), "ok");
    assert_eq!(p.inbox.take().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_manual_date_reports_that_day_and_the_window_edges_hold() {
    let p = Production::start(&OK_ALARMS).await;
    // 2026-11-25 (JST) is [24th 15:00Z, 25th 15:00Z): one invocation at each
    // edge inside it, one just outside on either side.
    let function = ("FunctionName", "goal-mandala-production-api");
    let edge = |t: &str, value: f64| {
        MetricDatum::builder()
            .metric_name("Invocations")
            .dimensions(
                Dimension::builder()
                    .name(function.0)
                    .value(function.1)
                    .build(),
            )
            .value(value)
            .timestamp(AwsTime::from_secs(at(t).timestamp()))
            .build()
    };
    p.put(
        "AWS/Lambda",
        vec![
            edge("2026-11-24T14:59:59Z", 1_000.0),
            edge("2026-11-24T15:00:00Z", 1.0),
            edge("2026-11-25T14:59:59Z", 2.0),
            edge("2026-11-25T15:00:00Z", 1_000.0),
        ],
    )
    .await;
    let state = p.state(&[]);

    let report = p
        .run(&state, json!({"date": "2026-11-25", "at": NOW}))
        .await
        .unwrap();

    assert_eq!(report.extra["date"], "2026-11-25");
    let invocations = row(&report, "lambda-invocations");
    assert_eq!(invocations["value"], 3.0);
    // D-1 (the 24th) holds the 14:59:59Z point: 1000 / 7 days.
    assert_eq!(invocations["history"][6], 1_000.0);
    assert_eq!(report.at, at(NOW));
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_read() {
    let p = Production::start(&OK_ALARMS).await;
    let state = p.state(&[]);
    for payload in [
        json!({"date": "2026-11-29", "at": NOW}),
        json!({"date": "2026-12-25", "at": NOW}),
        json!({"date": "2026-02-30"}),
        json!({"date": 20261128}),
        json!({"date": "28/11/2026"}),
        json!({"scheduled_time": "soon"}),
        json!(["2026-11-28"]),
    ] {
        let result = p.run(&state, payload.clone()).await;
        p.bed.assert_refused_untouched(&payload, result);
    }
    assert!(p.inbox.take().await.unwrap().is_empty());
}

#[tokio::test]
async fn no_output_carries_the_secret_and_english_reads_the_same() {
    let p = Production::start(&OK_ALARMS).await;
    p.seed_week(NORMAL).await;
    let state = p.state(&[("REPORT_LANG", "en")]);
    let (logs, guard) = bed::capture_logs();

    let report = p.run(&state, json!({"scheduled_time": NOW})).await.unwrap();
    drop(guard);

    assert_eq!(report.title, "Daily health 2026-11-28: all normal");
    assert!(
        finding(&report, "lambda-invocations")
            .detail
            .contains("normal: 0–10,000 / day")
    );
    let published = p.inbox.take().await.unwrap();
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    for text in [
        serde_json::to_string(&report).unwrap(),
        published[0].to_string(),
        logs,
    ] {
        assert!(
            !text.contains(DB_PASSWORD),
            "the DB password reached an output"
        );
    }
    assert_eq!(p.calls("GetSecretValue"), 0);
}

/// One change to production that nobody reverted (or a value at its limit).
#[derive(Debug, Clone, Copy)]
enum Drift {
    Reserved(i32),
    Provisioned(i32),
    Capacity(f64, f64),
    Retention(i32),
    Window(&'static str),
    NoDeletionProtection,
    AlarmActionsDisabled,
    AlarmThreshold(f64),
    AlarmWithoutAction,
    RotationDays(i64),
    RotationOff,
    Ttl(i64),
}

impl Production {
    async fn drift(&self, drift: Drift) {
        let sdk = self.bed.sdk_config();
        let lambda = aws_sdk_lambda::Client::new(&sdk);
        let rds = aws_sdk_rds::Client::new(&sdk);
        let modify = || {
            rds.modify_db_cluster()
                .db_cluster_identifier(SYSTEM)
                .apply_immediately(true)
        };
        let alarm = |suffix: &str, threshold: f64, with_action: bool| {
            let mut put = self
                .cloudwatch
                .put_metric_alarm()
                .alarm_name(format!("{SYSTEM}-{suffix}"))
                .namespace("AWS/Lambda")
                .metric_name("Errors")
                .statistic(Statistic::Sum)
                .period(300)
                .evaluation_periods(1)
                .threshold(threshold)
                .comparison_operator(ComparisonOperator::GreaterThanThreshold);
            if with_action {
                put = put.alarm_actions(&self.inbox.topic_arn);
            }
            put
        };
        match drift {
            Drift::Reserved(n) => {
                lambda
                    .put_function_concurrency()
                    .function_name(API_FUNCTION)
                    .reserved_concurrent_executions(n)
                    .send()
                    .await
                    .unwrap();
            }
            Drift::Provisioned(n) => {
                lambda
                    .put_provisioned_concurrency_config()
                    .function_name(API_FUNCTION)
                    .qualifier("live")
                    .provisioned_concurrent_executions(n)
                    .send()
                    .await
                    .unwrap();
            }
            Drift::Capacity(min, max) => {
                modify()
                    .serverless_v2_scaling_configuration(
                        aws_sdk_rds::types::ServerlessV2ScalingConfiguration::builder()
                            .min_capacity(min)
                            .max_capacity(max)
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap();
            }
            Drift::Retention(days) => {
                modify().backup_retention_period(days).send().await.unwrap();
            }
            Drift::Window(window) => {
                modify()
                    .preferred_backup_window(window)
                    .send()
                    .await
                    .unwrap();
            }
            Drift::NoDeletionProtection => {
                modify().deletion_protection(false).send().await.unwrap();
            }
            Drift::AlarmActionsDisabled => {
                self.cloudwatch
                    .disable_alarm_actions()
                    .alarm_names(format!("{SYSTEM}-high-latency"))
                    .send()
                    .await
                    .unwrap();
            }
            Drift::AlarmThreshold(t) => {
                alarm("high-error-rate", t, true).send().await.unwrap();
            }
            Drift::AlarmWithoutAction => {
                alarm("database-connection-error", 1.0, false)
                    .send()
                    .await
                    .unwrap();
            }
            Drift::RotationDays(days) => {
                self.bed
                    .backdate(&json!({"kind": "secret", "name": SECRET, "rotation_days": days}))
                    .unwrap();
            }
            Drift::RotationOff => {
                self.bed
                    .backdate(&json!({"kind": "secret", "name": SECRET, "rotation_enabled": false}))
                    .unwrap();
            }
            Drift::Ttl(seconds) => {
                self.bed
                    .seed_cache_policy(
                        &json!({"id": CACHE_POLICY, "name": "frontend", "min_ttl": 1,
                        "default_ttl": seconds, "max_ttl": 31536000}),
                    )
                    .unwrap();
            }
        }
    }
}

/// Whether a next step of `report` says `needle`.
fn has_step(report: &Report, needle: &str) -> bool {
    report.next_steps.iter().any(|s| s.contains(needle))
}

/// The worst status among the findings `check` (the alarms have one each).
fn worst(report: &Report, check: &str) -> FindingStatus {
    let statuses: Vec<FindingStatus> = report
        .findings
        .iter()
        .filter(|f| f.check == check)
        .map(|f| f.status)
        .collect();
    assert!(!statuses.is_empty(), "no finding {check}");
    [
        FindingStatus::Critical,
        FindingStatus::Warning,
        FindingStatus::Skipped,
    ]
    .into_iter()
    .find(|s| statuses.contains(s))
    .unwrap_or(FindingStatus::Ok)
}

#[tokio::test]
async fn each_runbook_setting_is_judged_at_its_boundary() {
    use Drift::*;
    use FindingStatus::{Critical, Ok, Warning};
    let cases = [
        (Reserved(10), "runbook-lambda-concurrency", Ok),
        (Reserved(11), "runbook-lambda-concurrency", Warning),
        (Provisioned(1), "runbook-lambda-concurrency", Warning),
        (Capacity(0.5, 2.0), "runbook-db-capacity", Ok),
        (Capacity(1.0, 4.0), "runbook-db-capacity", Warning),
        (Retention(7), "runbook-db-backup", Ok),
        (Retention(6), "runbook-db-backup", Critical),
        (Retention(8), "runbook-db-backup", Warning),
        (Window("19:00-20:00"), "runbook-db-backup", Warning),
        (
            NoDeletionProtection,
            "runbook-db-deletion-protection",
            Warning,
        ),
        (AlarmActionsDisabled, "runbook-alarms", Warning),
        (AlarmThreshold(10.0), "runbook-alarms", Warning),
        (AlarmThreshold(5.0), "runbook-alarms", Ok),
        (AlarmWithoutAction, "runbook-alarms", Warning),
        (RotationDays(90), "runbook-secret-rotation", Ok),
        (RotationDays(120), "runbook-secret-rotation", Warning),
        (RotationOff, "runbook-secret-rotation", Warning),
        (Ttl(86_400), "runbook-cloudfront-ttl", Ok),
        (Ttl(3_600), "runbook-cloudfront-ttl", Warning),
    ];
    for (drift, check, expected) in cases {
        let p = Production::start(&OK_ALARMS).await;
        p.drift(drift).await;
        let report = p.digest(&[]).await;
        assert_eq!(
            worst(&report, check),
            expected,
            "{drift:?}: {:#?}",
            report.findings
        );
        // Every other conformance check is still ok: one drift, one finding.
        let others: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.check.starts_with("runbook-") && f.check != check && f.status != Ok)
            .map(|f| f.check.as_str())
            .collect();
        assert!(others.is_empty(), "{drift:?}: {others:?}");
        assert_eq!(
            p.calls("GetMetricData"),
            1,
            "still one GetMetricData request"
        );
        assert!(
            p.bed
                .writes()
                .unwrap()
                .iter()
                .all(|w| w.name() == "sns:Publish")
        );
    }
}

#[tokio::test]
async fn a_drifted_production_reads_in_its_own_section_with_the_payload_that_reverts_it() {
    let p = Production::start(&OK_ALARMS).await;
    for drift in [
        Drift::Capacity(1.0, 4.0),
        Drift::Retention(1),
        Drift::AlarmActionsDisabled,
    ] {
        p.drift(drift).await;
    }
    let report = p.digest(&[]).await;

    let capacity = finding(&report, "runbook-db-capacity");
    assert!(
        capacity.detail.contains("1–4 ACU") && capacity.detail.contains("0.5–2 ACU"),
        "{}",
        capacity.detail
    );
    assert_eq!(capacity.section.as_deref(), Some("運用手順との差分"));
    let backup = finding(&report, "runbook-db-backup");
    assert_eq!(
        (backup.status, backup.value, backup.threshold),
        (FindingStatus::Critical, Some(1.0), Some(7.0))
    );
    assert!(
        has_step(
            &report,
            r#"{"action": "set-db-capacity", "min": 0.5, "max": 2}"#
        ),
        "{:#?}",
        report.next_steps
    );
    assert!(
        report.next_steps.iter().any(
            |s| s.contains("--backup-retention-period 7 --preferred-backup-window 18:00-19:00")
        ),
        "{:#?}",
        report.next_steps
    );
    assert!(has_step(
        &report,
        &format!("enable-alarm-actions --alarm-names {SYSTEM}-high-latency")
    ));
    let rows = report.extra["conformance"].as_array().unwrap();
    let capacity_row = rows
        .iter()
        .find(|r| r["check"] == "runbook-db-capacity")
        .unwrap();
    assert_eq!(capacity_row["current"], json!({"min": 1.0, "max": 4.0}));
    assert_eq!(capacity_row["runbook"], json!({"min": 0.5, "max": 2.0}));
    assert_eq!(report.severity, shared::Severity::Critical);

    let text = shared::render::text(&report, shared::Lang::Ja, chrono_tz::Asia::Tokyo);
    let section = text.find("■ 運用手順との差分").unwrap();
    let scheduled = text.find("■ 予定された変更").unwrap();
    assert!(
        text.find("■ 確認結果").unwrap() < section && section < scheduled,
        "{text}"
    );
    assert!(text.contains("項目は問題ありません"), "{text}");
    assert_eq!(p.inbox.take().await.unwrap().len(), 1, "one notification");
}

#[tokio::test]
async fn scheduled_changes_and_the_automations_health_are_reported() {
    let p = Production::start(&OK_ALARMS).await;
    let now = at(NOW);
    let sdk = p.bed.sdk_config();
    let rds = aws_sdk_rds::Client::new(&sdk);
    for n in [2, 3] {
        rds.create_db_instance()
            .db_instance_identifier(format!("{SYSTEM}-instance-{n}"))
            .db_instance_class("db.serverless")
            .engine("aurora-postgresql")
            .db_cluster_identifier(SYSTEM)
            .send()
            .await
            .unwrap();
    }
    let in_days = |d: i64| (now + TimeDelta::days(d)).to_rfc3339();
    p.bed
        .seed_certificates(&json!({
            INSTANCE: {"valid_till": in_days(31)},
            format!("{SYSTEM}-instance-2"): {"valid_till": in_days(30)},
            format!("{SYSTEM}-instance-3"): {"valid_till": in_days(7)},
        }))
        .unwrap();
    let arn = |kind: &str, id: &str| format!("arn:aws:rds:ap-northeast-1:123456789012:{kind}:{id}");
    p.bed
        .seed_maintenance(&json!([
            {"resource": arn("cluster", SYSTEM), "action": "system-update",
             "description": "Aurora PostgreSQL 15.4 patch", "auto_applied_after": in_days(13)},
            {"resource": arn("db", INSTANCE), "action": "ca-certificate-rotation",
             "description": "CA rotation", "current_apply_date": in_days(15)},
            {"resource": arn("cluster", "another-cluster"), "action": "system-update",
             "description": "not ours", "auto_applied_after": in_days(1)},
        ]))
        .unwrap();
    // A rotation that began and never finished, and two failed runs queued.
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    sm.put_secret_value()
        .secret_id(SECRET)
        .secret_string(r#"{"password": "half-rotated-Secret-1"}"#)
        .version_stages("AWSPENDING")
        .send()
        .await
        .unwrap();
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    for body in ["{}", "{}"] {
        sqs.send_message()
            .queue_url(&p.queue_url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    let report = p.digest(&[("REPORT_LANG", "en")]).await;

    let certificates: Vec<(FindingStatus, Option<f64>)> = report
        .findings
        .iter()
        .filter(|f| f.check == "db-ca-expiry")
        .map(|f| (f.status, f.value))
        .collect();
    assert_eq!(
        certificates,
        [
            (FindingStatus::Ok, Some(31.0)),
            (FindingStatus::Warning, Some(30.0)),
            (FindingStatus::Critical, Some(7.0)),
        ]
    );
    let maintenance: Vec<(FindingStatus, bool)> = report
        .findings
        .iter()
        .filter(|f| f.check == "db-pending-maintenance")
        .map(|f| (f.status, f.detail.contains("AWS applies it on")))
        .collect();
    assert_eq!(
        maintenance,
        [(FindingStatus::Warning, true), (FindingStatus::Ok, true)]
    );
    let scheduled = report.extra["scheduled_changes"].as_array().unwrap();
    assert_eq!(
        scheduled.len(),
        2,
        "another cluster's maintenance is not ours: {scheduled:?}"
    );
    assert_eq!(scheduled[0]["resource"], SYSTEM);
    assert_eq!(scheduled[0]["action"], "system-update");
    assert!(has_step(&report, "apply-pending-maintenance-action"));
    let stuck = finding(&report, "secret-rotation-stuck");
    assert_eq!(stuck.status, FindingStatus::Critical, "{}", stuck.detail);
    assert!(
        stuck.detail.contains("AWSPENDING") && stuck.detail.contains("began"),
        "{}",
        stuck.detail
    );
    assert!(has_step(
        &report,
        &format!("rotate-secret --secret-id {SECRET}")
    ));
    let failures = finding(&report, "automation-failures");
    assert_eq!(
        (failures.status, failures.value),
        (FindingStatus::Warning, Some(2.0))
    );
    assert!(has_step(&report, "receive-message"));
    assert!(
        !serde_json::to_string(&report)
            .unwrap()
            .contains("half-rotated-Secret-1")
    );
}

#[tokio::test]
async fn a_denied_production_source_skips_only_its_own_checks() {
    let p = Production::start(&OK_ALARMS).await;
    p.bed
        .set_faults(&json!([
            {"service": "lambda", "code": "AccessDeniedException", "status": 403},
            {"service": "rds", "operation": "DescribePendingMaintenanceActions", "code": "AccessDenied", "status": 403},
        ]))
        .unwrap();
    let report = p.digest(&[("REPORT_LANG", "en")]).await;
    let concurrency = finding(&report, "runbook-lambda-concurrency");
    assert_eq!(concurrency.status, FindingStatus::Skipped);
    assert!(
        concurrency.detail.contains("AccessDeniedException"),
        "{}",
        concurrency.detail
    );
    assert_eq!(
        finding(&report, "db-pending-maintenance").status,
        FindingStatus::Skipped
    );
    for check in [
        "runbook-db-capacity",
        "runbook-db-backup",
        "db-ca-expiry",
        "runbook-cloudfront-ttl",
    ] {
        assert_eq!(finding(&report, check).status, FindingStatus::Ok, "{check}");
    }
    assert_eq!(report.severity, shared::Severity::Info);
    assert_eq!(p.inbox.take().await.unwrap().len(), 1);

    // Without the optional variables, their checks say so (no call made).
    let p = Production::start(&OK_ALARMS).await;
    let mut state_env = p.inbox.env(&[("FRONTEND_BUCKET", BUCKET)]);
    state_env.set("REPORT_LANG", "en");
    let state = DailyHealth::new(
        HealthConfig::from_env(&state_env).unwrap(),
        &p.bed.function_sdk_config("daily-health"),
    )
    .unwrap();
    let report = p.run(&state, json!({"scheduled_time": NOW})).await.unwrap();
    assert_eq!(
        finding(&report, "runbook-cloudfront-ttl").status,
        FindingStatus::Skipped
    );
    assert_eq!(
        finding(&report, "automation-failures").status,
        FindingStatus::Skipped
    );
    assert_eq!(p.calls("GetCachePolicy") + p.calls("GetQueueAttributes"), 0);
}
