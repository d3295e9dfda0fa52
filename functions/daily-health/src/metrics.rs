//! The dashboard's seven numbers from CloudWatch: one `GetMetricData`
//! request for `D` and the seven days before it, every query at `Period`
//! 86400 from a local midnight (pages followed, should there be any).

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use shared::{Config, Error};

use crate::event::Day;
use crate::rows::{D, DailyMetrics, Days8};

/// One day, in seconds: each value is one local day.
pub const PERIOD_SECONDS: i32 = 86_400;

/// A query of the request: its id, metric, dimension and statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    /// The query id (also which [`DailyMetrics`] field it fills).
    pub id: &'static str,
    /// `AWS/Lambda`, `AWS/ApiGateway`, `AWS/RDS`.
    pub namespace: &'static str,
    /// The metric name.
    pub metric: &'static str,
    /// The dimension's name; its value comes from the configuration.
    pub dimension: &'static str,
    /// `Sum`, `Average`, `Maximum` or `p95`.
    pub stat: &'static str,
}

/// The seven queries (the error rate needs two: Errors and Invocations).
pub const QUERIES: [Query; 7] = [
    Query {
        id: "invocations",
        namespace: "AWS/Lambda",
        metric: "Invocations",
        dimension: "FunctionName",
        stat: "Sum",
    },
    Query {
        id: "errors",
        namespace: "AWS/Lambda",
        metric: "Errors",
        dimension: "FunctionName",
        stat: "Sum",
    },
    Query {
        id: "duration",
        namespace: "AWS/Lambda",
        metric: "Duration",
        dimension: "FunctionName",
        stat: "Average",
    },
    Query {
        id: "api_requests",
        namespace: "AWS/ApiGateway",
        metric: "Count",
        dimension: "ApiName",
        stat: "Sum",
    },
    Query {
        id: "api_latency_p95",
        namespace: "AWS/ApiGateway",
        metric: "Latency",
        dimension: "ApiName",
        stat: "p95",
    },
    Query {
        id: "db_connections",
        namespace: "AWS/RDS",
        metric: "DatabaseConnections",
        dimension: "DBClusterIdentifier",
        stat: "Maximum",
    },
    Query {
        id: "db_cpu",
        namespace: "AWS/RDS",
        metric: "CPUUtilization",
        dimension: "DBClusterIdentifier",
        stat: "Maximum",
    },
];

impl Query {
    fn dimension_value(self, config: &Config) -> &str {
        match self.dimension {
            "FunctionName" => &config.api_function_name,
            "ApiName" => &config.api_gateway_name,
            _ => &config.db_cluster_id,
        }
    }

    fn to_sdk(self, config: &Config) -> MetricDataQuery {
        let metric = Metric::builder()
            .namespace(self.namespace)
            .metric_name(self.metric)
            .dimensions(
                Dimension::builder()
                    .name(self.dimension)
                    .value(self.dimension_value(config))
                    .build(),
            )
            .build();
        let stat = MetricStat::builder()
            .metric(metric)
            .period(PERIOD_SECONDS)
            .stat(self.stat)
            .build();
        MetricDataQuery::builder()
            .id(self.id)
            .metric_stat(stat)
            .return_data(true)
            .build()
    }
}

/// What was read: the values, and how many requests it took.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsRead {
    /// Per metric, `D-7 … D`.
    pub metrics: DailyMetrics,
    /// `GetMetricData` requests made (pages; retries are the SDK's).
    pub requests: u32,
}

/// Reads the seven metrics for `day` and the week before it.
pub async fn read(client: &Client, config: &Config, day: &Day) -> Result<MetricsRead, Error> {
    let mut pages = client
        .get_metric_data()
        .set_metric_data_queries(Some(QUERIES.iter().map(|q| q.to_sdk(config)).collect()))
        .start_time(AwsTime::from_secs(day.history_start.timestamp()))
        .end_time(AwsTime::from_secs(day.end.timestamp()))
        .scan_by(ScanBy::TimestampAscending)
        .into_paginator()
        .send();
    let mut read = MetricsRead::default();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("GetMetricData", e))?;
        read.requests += 1;
        for result in page.metric_data_results() {
            let Some(days) = result.id().and_then(|id| slot(&mut read.metrics, id)) else {
                continue;
            };
            for (at, value) in result.timestamps().iter().zip(result.values()) {
                if let Some(i) =
                    shared::time::from_aws(at).and_then(|t| day_index(t, day.date, config.timezone))
                {
                    days[i] = Some(*value);
                }
            }
        }
    }
    Ok(read)
}

fn slot<'a>(m: &'a mut DailyMetrics, id: &str) -> Option<&'a mut Days8> {
    Some(match id {
        "invocations" => &mut m.invocations,
        "errors" => &mut m.errors,
        "duration" => &mut m.duration,
        "api_requests" => &mut m.api_requests,
        "api_latency_p95" => &mut m.api_latency_p95,
        "db_connections" => &mut m.db_connections,
        "db_cpu" => &mut m.db_cpu,
        _ => return None,
    })
}

/// Which of `D-7 … D` a period starting at `at` is: its local date.
pub fn day_index(at: DateTime<Utc>, d: NaiveDate, tz: Tz) -> Option<usize> {
    let days_before = (d - at.with_timezone(&tz).date_naive()).num_days();
    (0..=D as i64)
        .contains(&days_before)
        .then(|| D - days_before as usize)
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
    use aws_sdk_cloudwatch::types::MetricDataResult;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use shared::Env;

    use super::*;

    const TOKYO: Tz = chrono_tz::Asia::Tokyo;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        shared::time::parse_event_time("at", rfc3339).unwrap()
    }

    fn day() -> Day {
        Day::new(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(), TOKYO).unwrap()
    }

    #[test]
    fn periods_map_to_their_local_day() {
        let d = day().date;
        assert_eq!(day_index(at("2026-11-29T15:00:00Z"), d, TOKYO), Some(D));
        assert_eq!(day_index(at("2026-11-28T15:00:00Z"), d, TOKYO), Some(D - 1));
        assert_eq!(day_index(at("2026-11-22T15:00:00Z"), d, TOKYO), Some(0));
        assert_eq!(day_index(at("2026-11-22T14:59:59Z"), d, TOKYO), None);
        assert_eq!(day_index(at("2026-11-30T15:00:00Z"), d, TOKYO), None);
    }

    #[tokio::test]
    async fn one_request_asks_for_every_row_at_a_day_from_local_midnight() {
        let reply = mock!(Client::get_metric_data)
            .match_requests(|r| {
                let queries = r.metric_data_queries();
                let stats: Vec<&str> = queries
                    .iter()
                    .filter_map(|q| q.metric_stat())
                    .filter_map(|s| s.stat())
                    .collect();
                r.start_time().map(|t| t.secs()) == Some(at("2026-11-22T15:00:00Z").timestamp())
                    && r.end_time().map(|t| t.secs())
                        == Some(at("2026-11-30T15:00:00Z").timestamp())
                    && queries.len() == 7
                    && queries
                        .iter()
                        .all(|q| q.metric_stat().map(|s| s.period()) == Some(Some(86_400)))
                    && stats == ["Sum", "Sum", "Average", "Sum", "p95", "Maximum", "Maximum"]
            })
            .then_output(|| {
                GetMetricDataOutput::builder()
                    .metric_data_results(
                        MetricDataResult::builder()
                            .id("api_latency_p95")
                            .timestamps(AwsTime::from_secs(at("2026-11-29T15:00:00Z").timestamp()))
                            .values(2345.5)
                            .build(),
                    )
                    .metric_data_results(
                        MetricDataResult::builder()
                            .id("invocations")
                            .timestamps(AwsTime::from_secs(at("2026-11-22T15:00:00Z").timestamp()))
                            .values(120.0)
                            .timestamps(AwsTime::from_secs(at("2026-11-29T15:00:00Z").timestamp()))
                            .values(900.0)
                            .build(),
                    )
                    .build()
            });
        let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&reply]);
        let config = Config::from_env(&Env::default()).unwrap();

        let read = read(&client, &config, &day()).await.unwrap();

        assert_eq!(reply.num_calls(), 1);
        assert_eq!(read.requests, 1);
        assert_eq!(read.metrics.api_latency_p95[D], Some(2345.5));
        assert_eq!(read.metrics.invocations[0], Some(120.0));
        assert_eq!(read.metrics.invocations[D], Some(900.0));
        assert_eq!(read.metrics.invocations[3], None);
    }
}
