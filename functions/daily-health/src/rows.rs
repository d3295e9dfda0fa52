//! The runbook's dashboard table, decided: seven rows, each value over the
//! day `D` against its normal range, and the surge rule on the two count
//! rows (ARCHITECTURE §4 daily-health). Pure: the numbers come from
//! [`crate::metrics`].

use serde::Serialize;
use shared::FindingStatus;
use shared::runbook::{DailyCount, Runbook, Verdict};

/// Daily values, oldest first: `D-7 … D-1`, then `D` (index [`D`]).
/// `None` is a day without datapoints.
pub type Days8 = [Option<f64>; 8];

/// Index of `D` in a [`Days8`].
pub const D: usize = 7;

/// The seven rows, in the dashboard's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Row {
    /// `AWS/Lambda Invocations`, Sum.
    LambdaInvocations,
    /// `AWS/Lambda Duration`, Average.
    LambdaDuration,
    /// 100 × Errors / Invocations.
    LambdaErrorRate,
    /// `AWS/ApiGateway Count`, Sum.
    ApiRequests,
    /// `AWS/ApiGateway Latency`, p95.
    ApiLatencyP95,
    /// `AWS/RDS DatabaseConnections`, Maximum.
    DbConnections,
    /// `AWS/RDS CPUUtilization`, Maximum.
    DbCpu,
}

impl Row {
    /// Every row, in order.
    pub const ALL: [Row; 7] = [
        Row::LambdaInvocations,
        Row::LambdaDuration,
        Row::LambdaErrorRate,
        Row::ApiRequests,
        Row::ApiLatencyP95,
        Row::DbConnections,
        Row::DbCpu,
    ];

    /// The stable `check` id.
    pub fn check(self) -> &'static str {
        match self {
            Row::LambdaInvocations => "lambda-invocations",
            Row::LambdaDuration => "lambda-duration",
            Row::LambdaErrorRate => "lambda-error-rate",
            Row::ApiRequests => "api-requests",
            Row::ApiLatencyP95 => "api-latency-p95",
            Row::DbConnections => "db-connections",
            Row::DbCpu => "db-cpu",
        }
    }

    /// The value's unit in the report (`count`, `ms`, `percent`).
    pub fn unit(self) -> &'static str {
        match self {
            Row::LambdaInvocations | Row::ApiRequests | Row::DbConnections => "count",
            Row::LambdaDuration | Row::ApiLatencyP95 => "ms",
            Row::LambdaErrorRate | Row::DbCpu => "percent",
        }
    }

    /// Whether the surge rule applies (the two daily counts).
    pub fn has_surge(self) -> bool {
        matches!(self, Row::LambdaInvocations | Row::ApiRequests)
    }
}

/// The day's metric values, one [`Days8`] per metric read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DailyMetrics {
    /// Lambda `Invocations`, Sum per day.
    pub invocations: Days8,
    /// Lambda `Errors`, Sum per day.
    pub errors: Days8,
    /// Lambda `Duration`, Average per day (ms).
    pub duration: Days8,
    /// API Gateway `Count`, Sum per day.
    pub api_requests: Days8,
    /// API Gateway `Latency`, p95 per day (ms).
    pub api_latency_p95: Days8,
    /// RDS `DatabaseConnections`, Maximum per day.
    pub db_connections: Days8,
    /// RDS `CPUUtilization`, Maximum per day (%).
    pub db_cpu: Days8,
}

/// One row, judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowResult {
    /// Which row.
    #[serde(skip)]
    pub row: Row,
    /// The `check` id.
    pub check: &'static str,
    /// The value over `D`; `None` when the metric had no datapoints (not a count).
    pub value: Option<f64>,
    /// `count`, `ms` or `percent`.
    pub unit: &'static str,
    /// The limit the status was judged against.
    pub threshold: f64,
    /// The runbook's normal range, in words (filled in by the texts).
    pub range: String,
    /// ok / warning / critical / skipped (no data).
    pub status: FindingStatus,
    /// Count rows: the daily average of `D-7 … D-1` (a day without data counts 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_7d: Option<f64>,
    /// Count rows: `value > SURGE_FACTOR × average_7d`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surge: Option<bool>,
    /// Count rows: the eight daily values `D-7 … D`, for the sparkline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<f64>>,
}

/// The seven rows of `metrics` against the runbook (ranges left empty).
pub fn evaluate_rows(metrics: &DailyMetrics, runbook: &Runbook) -> Vec<RowResult> {
    Row::ALL
        .into_iter()
        .map(|row| evaluate_row(row, metrics, runbook))
        .collect()
}

fn evaluate_row(row: Row, m: &DailyMetrics, runbook: &Runbook) -> RowResult {
    // A row without datapoints is skipped; every other verdict is the runbook's.
    let judged = |value: Option<f64>, judge: &dyn Fn(f64) -> Verdict| {
        let (status, threshold) = match value.map(judge) {
            Some(v) => (v.status, v.threshold),
            None => (FindingStatus::Skipped, judge(0.0).threshold),
        };
        RowResult {
            row,
            check: row.check(),
            value,
            unit: row.unit(),
            threshold,
            range: String::new(),
            status,
            average_7d: None,
            surge: None,
            history: None,
        }
    };
    match row {
        Row::LambdaInvocations => {
            count_row(row, &m.invocations, runbook, DailyCount::LambdaInvocations)
        }
        Row::ApiRequests => count_row(row, &m.api_requests, runbook, DailyCount::ApiRequests),
        Row::LambdaDuration => judged(m.duration[D], &|v| runbook.judge_lambda_duration(v)),
        Row::ApiLatencyP95 => judged(m.api_latency_p95[D], &|v| runbook.judge_api_latency(v)),
        Row::DbConnections => judged(m.db_connections[D], &|v| runbook.judge_db_connections(v)),
        Row::DbCpu => judged(m.db_cpu[D], &|v| runbook.judge_db_cpu(v)),
        Row::LambdaErrorRate => {
            let rate = error_rate(m.errors[D].unwrap_or(0.0), m.invocations[D].unwrap_or(0.0));
            judged(Some(rate), &|v| runbook.judge_error_rate(v))
        }
    }
}

/// 100 × errors / invocations; 0 with no invocations.
pub fn error_rate(errors: f64, invocations: f64) -> f64 {
    if invocations > 0.0 {
        100.0 * errors / invocations
    } else {
        0.0
    }
}

/// A count row: 0 without datapoints, judged with the surge rule.
fn count_row(row: Row, days: &Days8, runbook: &Runbook, count: DailyCount) -> RowResult {
    let history: Vec<f64> = days.iter().map(|d| d.unwrap_or(0.0)).collect();
    let value = history[D];
    let average = history[..D].iter().sum::<f64>() / D as f64;
    let judged = runbook.judge_daily_count(count, value, average);
    RowResult {
        row,
        check: row.check(),
        value: Some(value),
        unit: row.unit(),
        threshold: judged.verdict.threshold,
        range: String::new(),
        status: judged.verdict.status,
        average_7d: Some(average),
        surge: Some(judged.surge),
        history: Some(history),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runbook() -> Runbook {
        Runbook::default()
    }

    fn only_d(value: f64) -> Days8 {
        let mut days = [None; 8];
        days[D] = Some(value);
        days
    }

    fn row(metrics: &DailyMetrics, row: Row) -> RowResult {
        evaluate_rows(metrics, &runbook())
            .into_iter()
            .find(|r| r.row == row)
            .unwrap()
    }

    fn status(metrics: DailyMetrics, r: Row) -> FindingStatus {
        row(&metrics, r).status
    }

    #[test]
    fn the_count_rows_are_ok_up_to_ten_thousand_a_day() {
        for (value, expected) in [
            (9_999.0, FindingStatus::Ok),
            (10_000.0, FindingStatus::Ok),
            (10_001.0, FindingStatus::Warning),
        ] {
            let m = DailyMetrics {
                invocations: only_d(value),
                api_requests: only_d(value),
                ..DailyMetrics::default()
            };
            assert_eq!(
                status(m.clone(), Row::LambdaInvocations),
                expected,
                "{value}"
            );
            assert_eq!(status(m, Row::ApiRequests), expected, "{value}");
        }
    }

    #[test]
    fn the_limits_are_strict_where_the_runbook_says_under() {
        let cases = [
            (Row::LambdaDuration, 999.9, 1000.0, 1000.1),
            (Row::ApiLatencyP95, 1999.0, 2000.0, 2001.0),
            (Row::DbConnections, 49.0, 50.0, 51.0),
            (Row::DbCpu, 69.9, 70.0, 70.1),
        ];
        for (r, under, at, over) in cases {
            for (value, expected) in [
                (under, FindingStatus::Ok),
                (at, FindingStatus::Warning),
                (over, FindingStatus::Warning),
            ] {
                let mut m = DailyMetrics::default();
                let days = only_d(value);
                match r {
                    Row::LambdaDuration => m.duration = days,
                    Row::ApiLatencyP95 => m.api_latency_p95 = days,
                    Row::DbConnections => m.db_connections = days,
                    _ => m.db_cpu = days,
                }
                let result = row(&m, r);
                assert_eq!(result.status, expected, "{} at {value}", r.check());
                assert_eq!(result.value, Some(value));
                assert_eq!(result.threshold, at);
            }
        }
    }

    #[test]
    fn the_error_rate_is_a_warning_from_one_percent_and_critical_above_five() {
        for (errors, expected, threshold) in [
            (99.0, FindingStatus::Ok, 1.0),
            (100.0, FindingStatus::Warning, 1.0),
            (499.0, FindingStatus::Warning, 1.0),
            (500.0, FindingStatus::Warning, 1.0),
            (501.0, FindingStatus::Critical, 5.0),
        ] {
            let m = DailyMetrics {
                invocations: only_d(10_000.0),
                errors: only_d(errors),
                ..DailyMetrics::default()
            };
            let r = row(&m, Row::LambdaErrorRate);
            assert_eq!(
                (r.status, r.threshold),
                (expected, threshold),
                "{errors} errors"
            );
            assert_eq!(r.value, Some(errors / 100.0));
            assert_eq!(r.unit, "percent");
        }
        // 1 % and 5 % exactly, from small counts.
        assert_eq!(error_rate(1.0, 100.0), 1.0);
        assert_eq!(error_rate(5.0, 100.0), 5.0);
    }

    #[test]
    fn a_surge_is_strictly_more_than_three_times_the_seven_day_average() {
        let mut days: Days8 = [Some(100.0); 8];
        for (value, surge) in [(300.0, false), (300.5, true), (301.0, true)] {
            days[D] = Some(value);
            let m = DailyMetrics {
                invocations: days,
                ..DailyMetrics::default()
            };
            let r = row(&m, Row::LambdaInvocations);
            assert_eq!(r.average_7d, Some(100.0));
            assert_eq!(r.surge, Some(surge), "{value}");
            let expected = if surge {
                FindingStatus::Warning
            } else {
                FindingStatus::Ok
            };
            assert_eq!(r.status, expected, "{value}");
        }
    }

    #[test]
    fn days_without_data_count_zero_in_the_average_and_no_baseline_is_no_surge() {
        // 700 over three days of seven: the average is 100, not 233.
        let mut days: Days8 = [None; 8];
        days[0] = Some(200.0);
        days[3] = Some(200.0);
        days[6] = Some(300.0);
        days[D] = Some(301.0);
        let m = DailyMetrics {
            api_requests: days,
            ..DailyMetrics::default()
        };
        let r = row(&m, Row::ApiRequests);
        assert_eq!((r.average_7d, r.surge), (Some(100.0), Some(true)));
        assert_eq!(
            r.history,
            Some(vec![200.0, 0.0, 0.0, 200.0, 0.0, 0.0, 300.0, 301.0])
        );
        // A first day of traffic after a silent week is no surge.
        let m = DailyMetrics {
            api_requests: only_d(5_000.0),
            ..DailyMetrics::default()
        };
        let r = row(&m, Row::ApiRequests);
        assert_eq!(
            (r.average_7d, r.surge, r.status),
            (Some(0.0), Some(false), FindingStatus::Ok)
        );
    }

    #[test]
    fn a_day_without_data_is_zero_for_counts_and_skipped_for_the_rest() {
        let rows = evaluate_rows(&DailyMetrics::default(), &runbook());
        let got: Vec<(&str, Option<f64>, FindingStatus)> =
            rows.iter().map(|r| (r.check, r.value, r.status)).collect();
        assert_eq!(
            got,
            [
                ("lambda-invocations", Some(0.0), FindingStatus::Ok),
                ("lambda-duration", None, FindingStatus::Skipped),
                ("lambda-error-rate", Some(0.0), FindingStatus::Ok),
                ("api-requests", Some(0.0), FindingStatus::Ok),
                ("api-latency-p95", None, FindingStatus::Skipped),
                ("db-connections", None, FindingStatus::Skipped),
                ("db-cpu", None, FindingStatus::Skipped),
            ]
        );
    }

    #[test]
    fn overrides_move_the_limits() {
        let mut runbook = runbook();
        runbook.lambda_invocations_max_per_day = 50_000;
        runbook.surge_factor = 5.0;
        let mut days: Days8 = [Some(10_000.0); 8];
        days[D] = Some(40_000.0);
        let m = DailyMetrics {
            invocations: days,
            ..DailyMetrics::default()
        };
        let r = evaluate_rows(&m, &runbook).remove(0);
        assert_eq!(
            (r.status, r.threshold, r.surge),
            (FindingStatus::Ok, 50_000.0, Some(false))
        );
    }
}
