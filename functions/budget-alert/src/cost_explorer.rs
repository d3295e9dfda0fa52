//! Cost Explorer: month-to-date costs and the month-end forecast, within a
//! per-run request allowance (every request costs $0.01).

use std::str::FromStr;

use aws_sdk_costexplorer::Client;
use aws_sdk_costexplorer::types::{
    DateInterval, Dimension, DimensionValues, Expression, Granularity, GroupDefinition,
    GroupDefinitionType, Metric, MetricValue,
};
use rust_decimal::Decimal;
use shared::Error;

use crate::costs::CostRow;
use crate::month::DateWindow;

/// Most Cost Explorer requests a run may make (ARCHITECTURE §4: each costs $0.01).
pub const MAX_REQUESTS: u32 = 3;

/// The metric asked for: cost as billed, without amortisation.
const COST_METRIC: &str = "UnblendedCost";
/// The record types a forecast leaves out, so it compares with the charges.
const NOT_CHARGES: [&str; 3] = ["Credit", "Refund", "Tax"];

/// Counts a run's Cost Explorer requests against [`MAX_REQUESTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestAllowance {
    used: u32,
    max: u32,
}

impl Default for RequestAllowance {
    fn default() -> Self {
        RequestAllowance {
            used: 0,
            max: MAX_REQUESTS,
        }
    }
}

impl RequestAllowance {
    /// Requests made so far (the report's `ce_requests`).
    pub fn used(self) -> u32 {
        self.used
    }

    /// Takes one request; `false` when the allowance is spent.
    fn take(&mut self) -> bool {
        if self.used < self.max {
            self.used += 1;
            true
        } else {
            false
        }
    }
}

/// Costs of a window, grouped by service and record type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Costs {
    /// One row per service × record type × period.
    pub rows: Vec<CostRow>,
    /// Cost Explorer said the figures are still estimates.
    pub estimated: bool,
    /// More pages existed than the allowance let us read: the sums are short.
    pub truncated: bool,
}

/// `GetCostAndUsage` for `window`: `UnblendedCost`, monthly, grouped by
/// `SERVICE` and `RECORD_TYPE`; every page, as far as `allowance` lets.
pub async fn cost_and_usage(
    client: &Client,
    window: DateWindow,
    allowance: &mut RequestAllowance,
) -> Result<Costs, Error> {
    let mut costs = Costs::default();
    let mut token: Option<String> = None;
    loop {
        if !allowance.take() {
            costs.truncated = true;
            tracing::warn!(
                requests = allowance.used(),
                "Cost Explorer request allowance spent; results truncated"
            );
            return Ok(costs);
        }
        let out = client
            .get_cost_and_usage()
            .time_period(interval(window)?)
            .granularity(Granularity::Monthly)
            .metrics(COST_METRIC)
            .group_by(dimension_group("SERVICE"))
            .group_by(dimension_group("RECORD_TYPE"))
            .set_next_page_token(token.take())
            .send()
            .await
            .map_err(|e| Error::aws("GetCostAndUsage", e))?;
        for period in out.results_by_time() {
            costs.estimated |= period.estimated();
            for group in period.groups() {
                let [service, record_type] = group.keys() else {
                    return Err(Error::Unexpected(format!(
                        "GetCostAndUsage returned a group with keys {:?}, expected SERVICE and RECORD_TYPE",
                        group.keys()
                    )));
                };
                let Some(value) = group.metrics().and_then(|m| m.get(COST_METRIC)) else {
                    continue;
                };
                costs.rows.push(CostRow {
                    service: service.clone(),
                    record_type: record_type.clone(),
                    amount: usd(value, "GetCostAndUsage")?,
                });
            }
        }
        match out.next_page_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(costs),
        }
    }
}

/// What became of the forecast request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forecast {
    /// Forecast charges for the window, USD.
    Amount(Decimal),
    /// Cost Explorer has too little history (`DataUnavailableException`, young accounts).
    Unavailable(String),
    /// The request failed otherwise; the actuals still stand.
    Failed(String),
    /// The allowance was spent before the forecast.
    NotAsked,
}

/// `GetCostForecast` of the charges (tax, credits and refunds left out) for `window`.
pub async fn forecast(
    client: &Client,
    window: DateWindow,
    allowance: &mut RequestAllowance,
) -> Result<Forecast, Error> {
    if !allowance.take() {
        return Ok(Forecast::NotAsked);
    }
    let charges_only = Expression::builder()
        .not(
            Expression::builder()
                .dimensions(
                    DimensionValues::builder()
                        .key(Dimension::RecordType)
                        .set_values(Some(NOT_CHARGES.map(String::from).to_vec()))
                        .build(),
                )
                .build(),
        )
        .build();
    let sent = client
        .get_cost_forecast()
        .time_period(interval(window)?)
        // The forecast API spells its metric in SCREAMING_CASE, unlike GetCostAndUsage.
        .metric(Metric::UnblendedCost)
        .granularity(Granularity::Monthly)
        .filter(charges_only)
        .send()
        .await;
    match sent {
        Ok(out) => match out.total() {
            Some(total) => Ok(Forecast::Amount(usd(total, "GetCostForecast")?)),
            None => Ok(Forecast::Failed("GetCostForecast returned no total".into())),
        },
        Err(err) => {
            let unavailable = err
                .as_service_error()
                .is_some_and(|e| e.is_data_unavailable_exception());
            let err = Error::aws("GetCostForecast", err);
            tracing::warn!(error = %err, "no forecast");
            if unavailable {
                Ok(Forecast::Unavailable(err.to_string()))
            } else {
                Ok(Forecast::Failed(err.to_string()))
            }
        }
    }
}

fn interval(window: DateWindow) -> Result<DateInterval, Error> {
    DateInterval::builder()
        .start(window.start.format("%Y-%m-%d").to_string())
        .end(window.end.format("%Y-%m-%d").to_string())
        .build()
        .map_err(|e| Error::Unexpected(format!("date interval: {e}")))
}

fn dimension_group(key: &str) -> GroupDefinition {
    GroupDefinition::builder()
        .r#type(GroupDefinitionType::Dimension)
        .key(key)
        .build()
}

/// An amount in USD; any other unit can't be compared with the USD budgets.
fn usd(value: &MetricValue, operation: &str) -> Result<Decimal, Error> {
    let unit = value.unit().unwrap_or("USD");
    if unit != "USD" {
        return Err(Error::Unexpected(format!(
            "{operation} answered in {unit}; the budgets are in USD"
        )));
    }
    let amount = value.amount().unwrap_or("0");
    Decimal::from_str(amount)
        .or_else(|_| Decimal::from_scientific(amount))
        .map_err(|_| {
            Error::Unexpected(format!(
                "{operation} returned the amount `{amount}`, not a number"
            ))
        })
}

#[cfg(test)]
mod tests {
    //! The real Cost Explorer client with mocked responses: the forecast the
    //! emulator lacks, its errors, pagination and the allowance.

    use aws_sdk_costexplorer::operation::get_cost_and_usage::GetCostAndUsageOutput;
    use aws_sdk_costexplorer::operation::get_cost_forecast::{
        GetCostForecastError, GetCostForecastOutput,
    };
    use aws_sdk_costexplorer::types::error::{DataUnavailableException, LimitExceededException};
    use aws_sdk_costexplorer::types::{Group, ResultByTime};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    fn window() -> DateWindow {
        DateWindow {
            start: "2026-11-01".parse().unwrap(),
            end: "2026-11-16".parse().unwrap(),
        }
    }

    fn amount(a: &str) -> MetricValue {
        MetricValue::builder().amount(a).unit("USD").build()
    }

    fn page(groups: &[(&str, &str, &str)], next: Option<&str>) -> GetCostAndUsageOutput {
        let groups = groups
            .iter()
            .map(|(service, record, a)| {
                Group::builder()
                    .keys(*service)
                    .keys(*record)
                    .metrics(COST_METRIC, amount(a))
                    .build()
            })
            .collect();
        GetCostAndUsageOutput::builder()
            .results_by_time(
                ResultByTime::builder()
                    .set_groups(Some(groups))
                    .estimated(true)
                    .build(),
            )
            .set_next_page_token(next.map(String::from))
            .build()
    }

    #[tokio::test]
    async fn asks_for_unblended_cost_by_service_and_record_type_with_an_exclusive_end() {
        let rule = mock!(Client::get_cost_and_usage)
            .match_requests(|r| {
                let period = r.time_period().unwrap();
                let groups: Vec<&str> = r.group_by().iter().filter_map(|g| g.key()).collect();
                period.start() == "2026-11-01"
                    && period.end() == "2026-11-16"
                    && r.granularity() == Some(&Granularity::Monthly)
                    && r.metrics() == ["UnblendedCost"]
                    && groups == ["SERVICE", "RECORD_TYPE"]
            })
            .then_output(|| page(&[("AWS Lambda", "Usage", "1.2345678901")], None));
        let client = mock_client!(aws_sdk_costexplorer, [&rule]);
        let mut allowance = RequestAllowance::default();
        let costs = cost_and_usage(&client, window(), &mut allowance)
            .await
            .unwrap();
        assert_eq!(
            costs.rows[0].amount,
            Decimal::from_str("1.2345678901").unwrap()
        );
        assert!(costs.estimated && !costs.truncated);
        assert_eq!((allowance.used(), rule.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn reads_every_page_and_counts_each_as_a_request() {
        let first = mock!(Client::get_cost_and_usage)
            .match_requests(|r| r.next_page_token().is_none())
            .then_output(|| page(&[("AWS Lambda", "Usage", "1")], Some("p2")));
        let second = mock!(Client::get_cost_and_usage)
            .match_requests(|r| r.next_page_token() == Some("p2"))
            .then_output(|| page(&[("Amazon S3", "Usage", "2")], None));
        let client = mock_client!(aws_sdk_costexplorer, RuleMode::MatchAny, [&first, &second]);
        let mut allowance = RequestAllowance::default();
        let costs = cost_and_usage(&client, window(), &mut allowance)
            .await
            .unwrap();
        assert_eq!(costs.rows.len(), 2);
        assert_eq!(allowance.used(), 2);
    }

    #[tokio::test]
    async fn never_exceeds_the_allowance_and_says_the_sums_are_short() {
        let endless = mock!(Client::get_cost_and_usage)
            .sequence()
            .output(|| page(&[("AWS Lambda", "Usage", "1")], Some("more")))
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_costexplorer, [&endless]);
        let mut allowance = RequestAllowance::default();
        let costs = cost_and_usage(&client, window(), &mut allowance)
            .await
            .unwrap();
        assert!(costs.truncated);
        assert_eq!((allowance.used(), endless.num_calls()), (MAX_REQUESTS, 3));
        let forecast = forecast(&client, window(), &mut allowance).await.unwrap();
        assert_eq!(forecast, Forecast::NotAsked);
    }

    #[tokio::test]
    async fn the_forecast_asks_for_charges_only_in_its_own_metric_spelling() {
        let rule = mock!(Client::get_cost_forecast)
            .match_requests(|r| {
                let not = r
                    .filter()
                    .and_then(|f| f.not())
                    .and_then(|n| n.dimensions());
                r.metric() == Some(&Metric::UnblendedCost)
                    && r.granularity() == Some(&Granularity::Monthly)
                    && r.time_period().map(|p| (p.start(), p.end()))
                        == Some(("2026-11-01", "2026-11-16"))
                    && not.and_then(|d| d.key()) == Some(&Dimension::RecordType)
                    && not.map(|d| d.values())
                        == Some(&["Credit".to_owned(), "Refund".to_owned(), "Tax".to_owned()][..])
            })
            .then_output(|| {
                GetCostForecastOutput::builder()
                    .total(amount("12.3456"))
                    .build()
            });
        let client = mock_client!(aws_sdk_costexplorer, [&rule]);
        let mut allowance = RequestAllowance::default();
        let forecast = forecast(&client, window(), &mut allowance).await.unwrap();
        assert_eq!(
            forecast,
            Forecast::Amount(Decimal::from_str("12.3456").unwrap())
        );
        assert_eq!(allowance.used(), 1);
    }

    #[tokio::test]
    async fn a_young_account_without_forecast_data_is_unavailable_not_an_error() {
        let rule = mock!(Client::get_cost_forecast).then_error(|| {
            GetCostForecastError::DataUnavailableException(
                DataUnavailableException::builder()
                    .message("Insufficient amount of historical data to generate forecast.")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_costexplorer, [&rule]);
        let forecast = forecast(&client, window(), &mut RequestAllowance::default())
            .await
            .unwrap();
        assert!(matches!(forecast, Forecast::Unavailable(m) if m.contains("Insufficient amount")));
    }

    #[tokio::test]
    async fn another_forecast_failure_is_reported_not_thrown() {
        let rule = mock!(Client::get_cost_forecast).then_error(|| {
            GetCostForecastError::LimitExceededException(
                LimitExceededException::builder()
                    .message("Rate exceeded")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_costexplorer, [&rule]);
        let forecast = forecast(&client, window(), &mut RequestAllowance::default())
            .await
            .unwrap();
        assert!(matches!(forecast, Forecast::Failed(m) if m.contains("Rate exceeded")));
    }

    #[tokio::test]
    async fn an_amount_in_another_currency_is_refused() {
        let rule = mock!(Client::get_cost_and_usage).then_output(|| {
            GetCostAndUsageOutput::builder()
                .results_by_time(
                    ResultByTime::builder()
                        .groups(
                            Group::builder()
                                .keys("AWS Lambda")
                                .keys("Usage")
                                .metrics(
                                    COST_METRIC,
                                    MetricValue::builder().amount("120").unit("JPY").build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
        let client = mock_client!(aws_sdk_costexplorer, [&rule]);
        let err = cost_and_usage(&client, window(), &mut RequestAllowance::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("JPY"), "{err}");
    }
}
