//! The free alternative source: CloudWatch `AWS/Billing` `EstimatedCharges`.
//!
//! AWS publishes billing metrics only in us-east-1, and only once "Receive
//! CloudWatch billing alerts" is on in the Billing preferences. Each metric
//! is the month-to-date estimate of one service (dimensions `ServiceName`,
//! `Currency`), reset at the start of the month, so a month's figure is the
//! highest value inside it.

use std::collections::BTreeMap;
use std::str::FromStr;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::config::Region;
use aws_sdk_cloudwatch::primitives::DateTime as SmithyTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, Statistic};
use chrono::{DateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use shared::Error;

use crate::costs::CostRow;
use crate::month::DateWindow;

/// The only region AWS publishes billing metrics in.
pub const BILLING_REGION: &str = "us-east-1";
const NAMESPACE: &str = "AWS/Billing";
const METRIC: &str = "EstimatedCharges";
/// GetMetricData takes at most 500 queries per request.
const QUERIES_PER_REQUEST: usize = 500;

/// A CloudWatch client for the billing region, whatever region the function runs in.
pub fn billing_client(sdk: &aws_config::SdkConfig) -> Client {
    let config = aws_sdk_cloudwatch::config::Builder::from(sdk)
        .region(Region::new(BILLING_REGION))
        .build();
    Client::from_conf(config)
}

/// Each service's estimated charges for the days of `window` up to `now`, as
/// cost rows (record type `Usage`: the metrics don't split tax). Empty when
/// the account publishes no billing metrics.
pub async fn estimated_charges(
    client: &Client,
    window: DateWindow,
    now: DateTime<Utc>,
) -> Result<Vec<CostRow>, Error> {
    let services = list_service_metrics(client).await?;
    if services.is_empty() {
        return Ok(Vec::new());
    }
    let start = window.start.and_time(NaiveTime::MIN).and_utc();
    let end = window.end.and_time(NaiveTime::MIN).and_utc().min(now);
    if end <= start {
        return Ok(services
            .into_keys()
            .map(|service| usage(service, Decimal::ZERO))
            .collect());
    }
    // One period over the whole window, in whole hours (CloudWatch wants hour
    // multiples for data older than 63 days).
    let seconds = u64::try_from((end - start).num_seconds()).unwrap_or(0);
    let period = i32::try_from(seconds.div_ceil(3600) * 3600).unwrap_or(i32::MAX);
    let names: Vec<(String, Vec<Dimension>)> = services.into_iter().collect();
    let mut rows = Vec::with_capacity(names.len());
    for (chunk_index, chunk) in names.chunks(QUERIES_PER_REQUEST).enumerate() {
        let queries: Vec<MetricDataQuery> = chunk
            .iter()
            .enumerate()
            .map(|(i, (_, dimensions))| {
                let metric = Metric::builder()
                    .namespace(NAMESPACE)
                    .metric_name(METRIC)
                    .set_dimensions(Some(dimensions.clone()))
                    .build();
                MetricDataQuery::builder()
                    .id(format!("s{chunk_index}_{i}"))
                    .metric_stat(
                        MetricStat::builder()
                            .metric(metric)
                            .period(period)
                            .stat(Statistic::Maximum.as_str())
                            .build(),
                    )
                    .build()
            })
            .collect();
        let mut highest: BTreeMap<String, f64> = BTreeMap::new();
        let mut pages = client
            .get_metric_data()
            .set_metric_data_queries(Some(queries))
            .start_time(SmithyTime::from_secs(start.timestamp()))
            .end_time(SmithyTime::from_secs(end.timestamp()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("GetMetricData", e))?;
            for result in page.metric_data_results() {
                let Some(id) = result.id() else { continue };
                if let Some(max) = result.values().iter().copied().reduce(f64::max) {
                    let entry = highest.entry(id.to_owned()).or_insert(max);
                    *entry = entry.max(max);
                }
            }
        }
        for (i, (service, _)) in chunk.iter().enumerate() {
            let value = highest
                .get(&format!("s{chunk_index}_{i}"))
                .copied()
                .unwrap_or(0.0);
            // The metric is a double; its decimal rendering is the amount AWS meant.
            let amount = Decimal::from_str(&value.to_string()).unwrap_or_default();
            rows.push(usage(service.clone(), amount));
        }
    }
    Ok(rows)
}

fn usage(service: String, amount: Decimal) -> CostRow {
    CostRow {
        service,
        record_type: "Usage".into(),
        amount,
    }
}

/// Per service name, the dimensions of its USD `EstimatedCharges` metric, in
/// the order CloudWatch stores them (the order a query must use).
async fn list_service_metrics(client: &Client) -> Result<BTreeMap<String, Vec<Dimension>>, Error> {
    let mut services = BTreeMap::new();
    let mut pages = client
        .list_metrics()
        .namespace(NAMESPACE)
        .metric_name(METRIC)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("ListMetrics", e))?;
        for metric in page.metrics() {
            let dims = metric.dimensions();
            let value = |name: &str| {
                dims.iter()
                    .find(|d| d.name() == Some(name))
                    .and_then(|d| d.value())
            };
            // Skip the account total (no ServiceName) and per-linked-account metrics.
            let (Some(service), Some("USD"), None) = (
                value("ServiceName"),
                value("Currency"),
                value("LinkedAccount"),
            ) else {
                continue;
            };
            services
                .entry(service.to_owned())
                .or_insert_with(|| dims.to_vec());
        }
    }
    Ok(services)
}
