//! budget-alert's handler against the bed: Cost Explorer served from seeded
//! line items (honouring period, grouping and filters, recording every
//! request), billing metrics through the CloudWatch bridge, the notification
//! read back through SQS.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_cloudwatch::config::Region;
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use bed::{Bed, Inbox, finding};
use budget_alert::{BudgetAlert, BudgetConfig};
use chrono::{DateTime, NaiveDate, Utc};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use shared::entry::handle;
use shared::{Error, Report};

struct Production {
    bed: Bed,
    inbox: Inbox,
}

impl Production {
    async fn start() -> Production {
        let bed = Bed::start().unwrap();
        let inbox = Inbox::ops(&bed.sdk_config()).await.unwrap();
        Production { bed, inbox }
    }

    fn state(&self, extra: &[(&str, &str)]) -> BudgetAlert {
        let env = self.inbox.env(extra);
        BudgetAlert::new(
            BudgetConfig::from_env(&env).unwrap(),
            &self.bed.function_sdk_config("budget-alert"),
        )
        .unwrap()
    }

    async fn run(&self, state: &BudgetAlert, payload: Value) -> Result<Report, Error> {
        handle(state, LambdaEvent::new(payload.into(), Context::default())).await
    }

    fn requests(&self) -> Vec<Value> {
        self.bed.cost_explorer_requests().unwrap()
    }
}

/// `amount` every day from `first` to `last` (inclusive), one line item a day.
fn daily(service: &str, record_type: &str, amount: &str, first: &str, last: &str) -> Vec<Value> {
    let first: NaiveDate = first.parse().unwrap();
    let last: NaiveDate = last.parse().unwrap();
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| json!({"date": d.to_string(), "service": service, "record_type": record_type, "amount": amount}))
        .collect()
}

fn one(date: &str, service: &str, record_type: &str, amount: &str) -> Vec<Value> {
    daily(service, record_type, amount, date, date)
}

/// November 2026 up to the 15th, plus items the run must leave out: the
/// 16th (today, not settled) and October.
fn november() -> Value {
    let items: Vec<Value> = [
        daily("AWS Lambda", "Usage", "0.10", "2026-11-01", "2026-11-15"),
        daily(
            "Amazon Relational Database Service",
            "Usage",
            "0.55",
            "2026-11-01",
            "2026-11-15",
        ),
        daily(
            "Amazon Simple Storage Service",
            "Usage",
            "0.02",
            "2026-11-01",
            "2026-11-15",
        ),
        daily(
            "Amazon CloudFront",
            "Usage",
            "0.01",
            "2026-11-01",
            "2026-11-15",
        ),
        daily(
            "Amazon API Gateway",
            "Usage",
            "0.035",
            "2026-11-01",
            "2026-11-15",
        ),
        daily(
            "AmazonCloudWatch",
            "Usage",
            "0.03",
            "2026-11-01",
            "2026-11-15",
        ),
        one("2026-11-01", "AWS Secrets Manager", "Usage", "0.40"),
        daily(
            "AWS Cost Explorer",
            "Usage",
            "0.01",
            "2026-11-09",
            "2026-11-12",
        ),
        one("2026-11-15", "AWS Lambda", "Tax", "0.15"),
        one(
            "2026-11-15",
            "Amazon Relational Database Service",
            "Tax",
            "0.83",
        ),
        one(
            "2026-11-02",
            "Amazon Relational Database Service",
            "Credit",
            "-1.00",
        ),
        // Not settled yet / not this month: must not count.
        one("2026-11-16", "AWS Lambda", "Usage", "5.00"),
        one(
            "2026-10-31",
            "Amazon Relational Database Service",
            "Usage",
            "30.00",
        ),
    ]
    .concat();
    Value::Array(items)
}

fn line<'a>(report: &'a Report, id: &str) -> &'a Value {
    report.extra["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["line"] == id)
        .unwrap_or_else(|| panic!("no line {id}"))
}

#[tokio::test]
async fn a_weekly_run_reports_every_line_exact_to_the_cent_and_asks_for_what_it_uses() {
    let p = Production::start().await;
    p.bed.seed_costs(&november()).unwrap();
    p.bed.seed_forecast(Some("0.40")).unwrap();
    let state = p.state(&[]);

    // Monday 2026-11-16 09:00 JST, as the scheduler sends it.
    let report = p
        .run(&state, json!({"scheduled_time": "2026-11-16T00:00:00Z"}))
        .await
        .unwrap();

    let expect = [
        ("lambda", "1.50", json!("5.00"), "ok"),
        ("aurora", "8.25", json!("10.00"), "critical"),
        ("s3", "0.30", json!("1.00"), "ok"),
        ("cloudfront", "0.15", json!("1.00"), "ok"),
        ("api-gateway", "0.53", json!("1.00"), "ok"),
        ("other", "0.89", Value::Null, "ok"),
        ("total", "11.62", json!("18.00"), "ok"),
    ];
    for (id, actual, budget, status) in expect {
        let l = line(&report, id);
        assert_eq!(
            (
                l["actual"].as_str().unwrap(),
                &l["budget"],
                l["status"].as_str().unwrap()
            ),
            (actual, &budget, status),
            "{id}: {l}"
        );
    }
    // Month-end = 11.615 settled + 15 days × 0.40 forecast; lines get their share.
    assert_eq!(line(&report, "total")["forecast"], "17.62");
    assert_eq!(line(&report, "aurora")["forecast"], "12.51");
    assert_eq!(line(&report, "aurora")["ratio"], 0.825);
    assert_eq!(line(&report, "lambda")["forecast"], "2.27");
    assert_eq!(report.extra["forecast_total"], "17.62");
    assert_eq!(
        (
            &report.extra["tax"],
            &report.extra["credits"],
            &report.extra["refunds"],
            &report.extra["net"]
        ),
        (
            &json!("0.98"),
            &json!("-1.00"),
            &json!("0.00"),
            &json!("11.60")
        )
    );
    let other: Vec<&str> = report.extra["other_services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(
        other,
        [
            "AWS Cost Explorer",
            "AWS Secrets Manager",
            "AmazonCloudWatch"
        ]
    );
    assert_eq!(
        report.extra["window"],
        json!({"start": "2026-11-01", "end": "2026-11-16"})
    );
    assert_eq!(report.severity, shared::Severity::Critical);
    assert!(
        report.title.contains("超過見込み aurora"),
        "{}",
        report.title
    );
    assert!(report.next_steps.iter().any(|s| s.starts_with("Aurora:")));

    // Exactly two paid requests, and they ask for what the report claims.
    assert_eq!(report.extra["ce_requests"], 2);
    let requests = p.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["operation"], "GetCostAndUsage");
    assert_eq!(
        requests[0]["body"],
        json!({
            "TimePeriod": {"Start": "2026-11-01", "End": "2026-11-16"},
            "Granularity": "MONTHLY",
            "Metrics": ["UnblendedCost"],
            "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "RECORD_TYPE"}]
        })
    );
    assert_eq!(requests[1]["operation"], "GetCostForecast");
    assert_eq!(
        requests[1]["body"]["TimePeriod"],
        json!({"Start": "2026-11-16", "End": "2026-12-01"})
    );
    assert_eq!(requests[1]["body"]["Metric"], "UNBLENDED_COST");
    assert_eq!(
        requests[1]["body"]["Filter"],
        json!({"Not": {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Credit", "Refund", "Tax"]}}})
    );

    // A line over its threshold is notified.
    let published = p.inbox.take().await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["function"], "budget-alert");
    assert_eq!(published[0]["lines"], report.extra["lines"]);
}

#[tokio::test]
async fn the_first_run_of_a_month_adds_last_months_final_figures_and_always_notifies() {
    let p = Production::start().await;
    let items: Vec<Value> = [
        daily("AWS Lambda", "Usage", "0.05", "2026-11-01", "2026-11-30"),
        one("2026-11-30", "AWS Lambda", "Tax", "0.15"),
        daily("AWS Lambda", "Usage", "0.05", "2026-12-01", "2026-12-06"),
    ]
    .concat();
    p.bed.seed_costs(&Value::Array(items)).unwrap();
    p.bed.seed_forecast(Some("0.05")).unwrap();
    let state = p.state(&[("REPORT_LANG", "en")]);

    let report = p
        .run(&state, json!({"scheduled_time": "2026-12-07T00:00:00Z"}))
        .await
        .unwrap();

    assert_eq!(report.severity, shared::Severity::Info);
    assert_eq!(line(&report, "lambda")["actual"], "0.30");
    let previous = &report.extra["previous_month"];
    assert_eq!(previous["month"], "2026-11");
    assert_eq!(
        previous["window"],
        json!({"start": "2026-11-01", "end": "2026-12-01"})
    );
    let before_total = previous["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["line"] == "total")
        .unwrap();
    assert_eq!(before_total["actual"], "1.50");
    assert_eq!(previous["net"], "1.65");
    assert!(
        report.summary.contains("last month 2026-11, final"),
        "{}",
        report.summary
    );
    assert_eq!(
        finding(&report, "previous-month").status,
        shared::FindingStatus::Ok
    );

    // Three requests: this month, its forecast, last month — the allowance exactly.
    assert_eq!(report.extra["ce_requests"], 3);
    let requests = p.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests[2]["body"]["TimePeriod"],
        json!({"Start": "2026-11-01", "End": "2026-12-01"})
    );
    assert_eq!(
        p.inbox.take().await.unwrap().len(),
        1,
        "the month's first run always notifies"
    );
}

#[tokio::test]
async fn an_all_ok_run_in_mid_month_stays_quiet() {
    let p = Production::start().await;
    p.bed
        .seed_costs(&Value::Array(daily(
            "AWS Lambda",
            "Usage",
            "0.01",
            "2026-11-01",
            "2026-11-22",
        )))
        .unwrap();
    p.bed.seed_forecast(Some("0.01")).unwrap();
    let state = p.state(&[]);
    let report = p
        .run(&state, json!({"scheduled_time": "2026-11-23T00:00:00Z"}))
        .await
        .unwrap();
    assert_eq!(report.severity, shared::Severity::Info);
    assert_eq!(report.extra["notify"], false);
    assert!(report.title.contains("すべて予算内"), "{}", report.title);
    assert!(p.inbox.take().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_young_account_without_forecast_history_gets_a_skipped_forecast_not_a_failure() {
    let p = Production::start().await;
    p.bed
        .seed_costs(&Value::Array(daily(
            "AWS Lambda",
            "Usage",
            "0.30",
            "2026-11-01",
            "2026-11-15",
        )))
        .unwrap();
    p.bed.seed_forecast(None).unwrap();
    let state = p.state(&[]);
    let report = p
        .run(&state, json!({"scheduled_time": "2026-11-16T00:00:00Z"}))
        .await
        .unwrap();
    assert_eq!(
        finding(&report, "forecast").status,
        shared::FindingStatus::Skipped
    );
    assert_eq!(line(&report, "lambda")["forecast"], Value::Null);
    // 4.50 of 5.00 = 90 %: a warning on actuals alone.
    assert_eq!(line(&report, "lambda")["status"], "warning");
    assert_eq!(report.extra["ce_requests"], 2);
}

#[tokio::test]
async fn a_past_month_by_hand_is_its_final_figures_in_one_request() {
    let p = Production::start().await;
    p.bed.seed_costs(&november()).unwrap();
    let state = p.state(&[]);
    let report = p
        .run(
            &state,
            json!({"month": "2026-10", "at": "2026-11-16T03:00:00Z"}),
        )
        .await
        .unwrap();
    assert_eq!(report.extra["month"], "2026-10");
    assert_eq!(line(&report, "aurora")["actual"], "30.00");
    assert_eq!(line(&report, "aurora")["status"], "critical");
    assert_eq!(report.extra["ce_requests"], 1);
    let requests = p.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0]["body"]["TimePeriod"],
        json!({"Start": "2026-10-01", "End": "2026-11-01"})
    );
    assert_eq!(
        finding(&report, "forecast").status,
        shared::FindingStatus::Skipped
    );
}

#[tokio::test]
async fn bad_input_is_invalid_input_asks_nothing_and_notifies_nobody() {
    let p = Production::start().await;
    let state = p.state(&[]);
    for payload in [
        json!({"month": "2026-13"}),
        json!({"month": 202611}),
        json!({"month": "2027-01", "at": "2026-11-16T00:00:00Z"}),
        json!("2026-11"),
    ] {
        let err = p.run(&state, payload.clone()).await.unwrap_err();
        assert_eq!(
            err.error_type().as_str(),
            "InvalidInput",
            "{payload}: {err}"
        );
    }
    assert!(p.requests().is_empty());
    assert!(p.inbox.take().await.unwrap().is_empty());
}

async fn put_billing(cw: &aws_sdk_cloudwatch::Client, service: &str, at: &str, usd: f64) {
    let at: DateTime<Utc> = at.parse().unwrap();
    cw.put_metric_data()
        .namespace("AWS/Billing")
        .metric_data(
            MetricDatum::builder()
                .metric_name("EstimatedCharges")
                .dimensions(
                    Dimension::builder()
                        .name("ServiceName")
                        .value(service)
                        .build(),
                )
                .dimensions(Dimension::builder().name("Currency").value("USD").build())
                .timestamp(AwsTime::from_secs(at.timestamp()))
                .value(usd)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_billing_metric_source_reads_us_east_1_for_free() {
    let p = Production::start().await;
    let sdk = p.bed.sdk_config();
    let us_east_1 = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::config::Builder::from(&sdk)
            .region(Region::new("us-east-1"))
            .build(),
    );
    put_billing(&us_east_1, "AWSLambda", "2026-11-10T06:00:00Z", 1.25).await;
    put_billing(&us_east_1, "AWSLambda", "2026-11-15T06:00:00Z", 2.5).await;
    put_billing(&us_east_1, "AmazonRDS", "2026-11-15T06:00:00Z", 8.4).await;
    put_billing(&us_east_1, "AmazonCloudWatch", "2026-11-15T06:00:00Z", 0.3).await;
    // October's last estimate: a different month.
    put_billing(&us_east_1, "AWSLambda", "2026-10-31T18:00:00Z", 4.8).await;
    let state = p.state(&[("COST_SOURCE", "cloudwatch-billing")]);

    let report = p
        .run(&state, json!({"at": "2026-11-16T00:00:00Z"}))
        .await
        .unwrap();

    assert_eq!(report.extra["source"], "cloudwatch-billing");
    assert_eq!(line(&report, "lambda")["actual"], "2.50");
    assert_eq!(line(&report, "aurora")["actual"], "8.40");
    assert_eq!(line(&report, "aurora")["status"], "warning");
    assert_eq!(line(&report, "other")["actual"], "0.30");
    assert_eq!(line(&report, "total")["actual"], "11.20");
    assert_eq!(report.extra["ce_requests"], 0);
    assert!(
        p.requests().is_empty(),
        "the billing source never calls Cost Explorer"
    );
    assert_eq!(
        finding(&report, "forecast").status,
        shared::FindingStatus::Skipped
    );
    assert_eq!(p.inbox.take().await.unwrap().len(), 1);
}

#[tokio::test]
async fn without_billing_metrics_the_report_says_how_to_turn_them_on() {
    let p = Production::start().await;
    let state = p.state(&[("COST_SOURCE", "cloudwatch-billing")]);
    let report = p
        .run(&state, json!({"at": "2026-11-16T00:00:00Z"}))
        .await
        .unwrap();
    assert_eq!(
        finding(&report, "billing-metrics").status,
        shared::FindingStatus::Warning
    );
    assert_eq!(report.extra["lines"], json!([]));
    assert!(report.next_steps.iter().any(|s| s.contains("請求アラート")));
    assert_eq!(p.inbox.take().await.unwrap().len(), 1);
}
