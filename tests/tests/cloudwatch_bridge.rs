//! The bed's CloudWatch bridge: the current aws-sdk-cloudwatch (Smithy RPC v2
//! CBOR) writes and reads metrics, alarms and dashboards through it.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat, StateValue,
    Statistic,
};
use bed::Bed;

fn client(bed: &Bed) -> Client {
    Client::new(&bed.sdk_config())
}

fn api_dimension() -> Dimension {
    Dimension::builder()
        .name("FunctionName")
        .value("goal-mandala-production-api")
        .build()
}

#[tokio::test]
async fn metrics_round_trip_with_timestamps_and_doubles() {
    let bed = Bed::start().unwrap();
    let cw = client(&bed);
    let now = std::time::SystemTime::now();
    let at = DateTime::from_secs(DateTime::from(now).secs() - 120);
    for value in [0.25, 1.5, 3.0] {
        cw.put_metric_data()
            .namespace("AWS/Lambda")
            .metric_data(
                MetricDatum::builder()
                    .metric_name("Duration")
                    .dimensions(api_dimension())
                    .timestamp(at)
                    .value(value)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    let stats = cw
        .get_metric_statistics()
        .namespace("AWS/Lambda")
        .metric_name("Duration")
        .dimensions(api_dimension())
        .start_time(DateTime::from_secs(at.secs() - 600))
        .end_time(DateTime::from_secs(at.secs() + 600))
        .period(3600)
        .statistics(Statistic::Average)
        .statistics(Statistic::Maximum)
        .statistics(Statistic::SampleCount)
        .send()
        .await
        .unwrap();
    let point = &stats.datapoints()[0];
    assert_eq!(point.maximum(), Some(3.0));
    assert_eq!(point.sample_count(), Some(3.0));
    assert!((point.average().unwrap() - 1.583_333).abs() < 1e-3);
    assert!(point.timestamp().is_some());

    let data = cw
        .get_metric_data()
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("duration")
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("AWS/Lambda")
                                .metric_name("Duration")
                                .dimensions(api_dimension())
                                .build(),
                        )
                        .period(60)
                        .stat("Sum")
                        .build(),
                )
                .build(),
        )
        .start_time(DateTime::from_secs(at.secs() - 600))
        .end_time(DateTime::from_secs(at.secs() + 600))
        .send()
        .await
        .unwrap();
    let result = &data.metric_data_results()[0];
    assert_eq!(result.values(), &[4.75]);
    assert_eq!(result.timestamps().len(), 1);

    let listed = cw
        .list_metrics()
        .namespace("AWS/Lambda")
        .send()
        .await
        .unwrap();
    assert!(
        listed
            .metrics()
            .iter()
            .any(|m| m.metric_name() == Some("Duration"))
    );
}

#[tokio::test]
async fn large_gzipped_metric_batches_reach_the_emulator() {
    let bed = Bed::start().unwrap();
    let cw = client(&bed);
    // Well over the SDK's 10 KiB request-compression threshold.
    let data: Vec<MetricDatum> = (0..400)
        .map(|i| {
            MetricDatum::builder()
                .metric_name(format!("Synthetic{:03}", i % 20))
                .dimensions(api_dimension())
                .value(f64::from(i))
                .build()
        })
        .collect();
    cw.put_metric_data()
        .namespace("GoalMandala/Test")
        .set_metric_data(Some(data))
        .send()
        .await
        .unwrap();
    let mut names = std::collections::BTreeSet::new();
    let mut pages = cw
        .list_metrics()
        .namespace("GoalMandala/Test")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for m in page.unwrap().metrics() {
            names.insert(m.metric_name().unwrap().to_owned());
        }
    }
    assert_eq!(names.len(), 20);
}

#[tokio::test]
async fn alarms_round_trip_with_thresholds_and_states() {
    let bed = Bed::start().unwrap();
    let cw = client(&bed);
    cw.put_metric_alarm()
        .alarm_name("goal-mandala-production-high-error-rate")
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .dimensions(api_dimension())
        .statistic(Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .threshold(5.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    cw.set_alarm_state()
        .alarm_name("goal-mandala-production-high-error-rate")
        .state_value(StateValue::Alarm)
        .state_reason("Threshold Crossed: 1 datapoint [7.0] was greater than the threshold (5.0).")
        .send()
        .await
        .unwrap();

    let alarms = cw
        .describe_alarms()
        .alarm_name_prefix("goal-mandala-production-")
        .send()
        .await
        .unwrap();
    let alarm = &alarms.metric_alarms()[0];
    assert_eq!(alarm.threshold(), Some(5.0));
    assert_eq!(alarm.state_value(), Some(&StateValue::Alarm));
    assert_eq!(
        alarm.comparison_operator(),
        Some(&ComparisonOperator::GreaterThanThreshold)
    );
    assert!(alarm.state_updated_timestamp().is_some());
    assert_eq!(alarm.dimensions(), &[api_dimension()]);
}

#[tokio::test]
async fn dashboards_and_modeled_errors_round_trip() {
    let bed = Bed::start().unwrap();
    let cw = client(&bed);
    let body = r#"{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":3,"properties":{"markdown":"運用"}}]}"#;
    cw.put_dashboard()
        .dashboard_name("goal-mandala-production")
        .dashboard_body(body)
        .send()
        .await
        .unwrap();
    let got = cw
        .get_dashboard()
        .dashboard_name("goal-mandala-production")
        .send()
        .await
        .unwrap();
    assert_eq!(got.dashboard_body(), Some(body));

    let err = cw
        .get_dashboard()
        .dashboard_name("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFound"), "{:?}", err);
    assert!(err.into_service_error().is_dashboard_not_found_error());
}

#[tokio::test]
async fn other_services_pass_through_the_bridge_unchanged() {
    let bed = Bed::start().unwrap();
    let sns = aws_sdk_sns::Client::new(&bed.sdk_config());
    let topic = sns
        .create_topic()
        .name("pass-through")
        .send()
        .await
        .unwrap();
    assert!(topic.topic_arn().unwrap().ends_with(":pass-through"));
}
