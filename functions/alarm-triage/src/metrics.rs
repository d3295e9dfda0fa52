//! CloudWatch metrics: recent values of an alarm's metric.

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use chrono::{DateTime, Utc};
use shared::Error;

use crate::event::MetricRef;

/// One value of a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Start of the period.
    pub at: DateTime<Utc>,
    /// The statistic's value.
    pub value: f64,
}

/// `metric`'s values between `start` and `end`, oldest first.
pub async fn values(
    client: &Client,
    metric: &MetricRef,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Point>, Error> {
    let dimensions: Vec<Dimension> = metric
        .dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect();
    let period = metric
        .period
        .and_then(|p| i32::try_from(p).ok())
        .filter(|p| *p > 0)
        .unwrap_or(300);
    let query = MetricDataQuery::builder()
        .id("m")
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace(&metric.namespace)
                        .metric_name(&metric.name)
                        .set_dimensions(Some(dimensions))
                        .build(),
                )
                .period(period)
                .stat(metric.stat.as_deref().unwrap_or("Average"))
                .build(),
        )
        .build();
    let mut points = Vec::new();
    let mut pages = client
        .get_metric_data()
        .metric_data_queries(query)
        .start_time(AwsTime::from_secs(start.timestamp()))
        .end_time(AwsTime::from_secs(end.timestamp()))
        .scan_by(ScanBy::TimestampAscending)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("GetMetricData", e))?;
        for result in page.metric_data_results() {
            for (at, value) in result.timestamps().iter().zip(result.values()) {
                if let Some(at) = shared::time::from_aws(at) {
                    points.push(Point { at, value: *value });
                }
            }
        }
    }
    // Not every implementation honours ScanBy; the order is ours to fix.
    points.sort_by_key(|p| p.at);
    Ok(points)
}
