//! Cost rows to the runbook's budget lines, and each line's status.
//!
//! Pure decisions over exact decimals: no float ever touches a dollar amount.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use shared::runbook::{BudgetLine, Budgets, Ratio, Usd};

/// One amount of a month: a service and record type, as Cost Explorer groups them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostRow {
    /// The service name as the source spells it (`AWS Lambda`, `AWSLambda`, …).
    pub service: String,
    /// Cost Explorer's `RECORD_TYPE` (`Usage`, `Tax`, `Credit`, `Refund`, …).
    pub record_type: String,
    /// USD.
    pub amount: Decimal,
}

/// How a record type counts against a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// A charge for use (usage, fees, discounts on them): counts against the budget.
    Charge,
    /// Tax: shown apart.
    Tax,
    /// A credit: shown apart, never hides an overspend.
    Credit,
    /// A refund: shown apart.
    Refund,
}

/// Classifies Cost Explorer's `RECORD_TYPE`.
pub fn classify_record_type(record_type: &str) -> RecordKind {
    match record_type {
        "Tax" => RecordKind::Tax,
        "Credit" => RecordKind::Credit,
        "Refund" => RecordKind::Refund,
        _ => RecordKind::Charge,
    }
}

/// The budget line a service's cost belongs to. Knows Cost Explorer's names
/// (`SERVICE` dimension) and the billing metrics' `ServiceName`s.
pub fn line_for_service(service: &str) -> BudgetLine {
    match service {
        "AWS Lambda" | "AWSLambda" => BudgetLine::Lambda,
        // Aurora is billed under RDS in both sources.
        "Amazon Relational Database Service" | "AmazonRDS" => BudgetLine::Aurora,
        "Amazon Simple Storage Service" | "AmazonS3" => BudgetLine::S3,
        "Amazon CloudFront" | "AmazonCloudFront" => BudgetLine::Cloudfront,
        "Amazon API Gateway" | "AmazonApiGateway" => BudgetLine::ApiGateway,
        _ => BudgetLine::Other,
    }
}

/// A month's costs summed per budget line, with tax, credits and refunds apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breakdown {
    /// Charges per line (`total` excluded: it is the sum).
    pub charges: BTreeMap<BudgetLine, Decimal>,
    /// Charges of the services under `other`, by service name.
    pub other_services: BTreeMap<String, Decimal>,
    /// Tax.
    pub tax: Decimal,
    /// Credits (negative amounts).
    pub credits: Decimal,
    /// Refunds (negative amounts).
    pub refunds: Decimal,
}

impl Breakdown {
    /// Sums `rows`.
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a CostRow>) -> Self {
        let mut b = Breakdown::default();
        for row in rows {
            match classify_record_type(&row.record_type) {
                RecordKind::Tax => b.tax += row.amount,
                RecordKind::Credit => b.credits += row.amount,
                RecordKind::Refund => b.refunds += row.amount,
                RecordKind::Charge => {
                    let line = line_for_service(&row.service);
                    *b.charges.entry(line).or_default() += row.amount;
                    if line == BudgetLine::Other {
                        *b.other_services.entry(row.service.clone()).or_default() += row.amount;
                    }
                }
            }
        }
        b
    }

    /// Charges of `line`; `total` is every line's charges.
    pub fn charges_of(&self, line: BudgetLine) -> Decimal {
        match line {
            BudgetLine::Total => self.charges.values().sum(),
            line => self.charges.get(&line).copied().unwrap_or_default(),
        }
    }

    /// What is owed: charges + tax + credits + refunds.
    pub fn net(&self) -> Decimal {
        self.charges_of(BudgetLine::Total) + self.tax + self.credits + self.refunds
    }
}

/// A line's standing against its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// Within the alert ratio, or no budget of its own.
    Ok,
    /// At or above the alert ratio (80 %) of the budget.
    Warning,
    /// At or above the budget, or forecast to reach it.
    Critical,
}

/// Why a line has its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusReason {
    /// No budget of its own (`other` by default).
    NoBudget,
    /// Below the alert ratio, forecast below the budget.
    WithinBudget,
    /// Actual at or above the alert ratio.
    NearBudget,
    /// Actual at or above the budget.
    OverBudget,
    /// Forecast at or above the budget.
    ForecastOverBudget,
}

/// Decides a line's status from exact amounts: critical when `actual` or
/// `forecast` reaches `budget`, warning when `actual` reaches `alert_ratio` of it.
/// A zero budget means "nothing may be spent".
pub fn evaluate_line(
    actual: Decimal,
    budget: Option<Usd>,
    forecast: Option<Decimal>,
    alert_ratio: Ratio,
) -> (LineStatus, StatusReason) {
    let Some(Usd(budget)) = budget else {
        return (LineStatus::Ok, StatusReason::NoBudget);
    };
    if budget.is_zero() {
        return if actual > Decimal::ZERO {
            (LineStatus::Critical, StatusReason::OverBudget)
        } else {
            (LineStatus::Ok, StatusReason::WithinBudget)
        };
    }
    if actual >= budget {
        (LineStatus::Critical, StatusReason::OverBudget)
    } else if forecast.is_some_and(|f| f >= budget) {
        (LineStatus::Critical, StatusReason::ForecastOverBudget)
    } else if actual >= budget * alert_ratio.value() {
        (LineStatus::Warning, StatusReason::NearBudget)
    } else {
        (LineStatus::Ok, StatusReason::WithinBudget)
    }
}

/// One line of the report (`lines[]`, ARCHITECTURE §4).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineReport {
    /// Line id (`lambda`, …, `total`).
    pub line: BudgetLine,
    /// Month-to-date charges, USD rounded to the cent (a decimal string).
    #[serde(with = "rust_decimal::serde::str")]
    pub actual: Decimal,
    /// Monthly budget, USD; `null` for a line without one.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub budget: Option<Decimal>,
    /// `actual / budget`, 4 decimals; `null` without a budget.
    #[serde(with = "rust_decimal::serde::float_option")]
    pub ratio: Option<Decimal>,
    /// Month-end forecast, USD rounded to the cent; `null` when not known.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub forecast: Option<Decimal>,
    /// ok / warning / critical.
    pub status: LineStatus,
    /// Why (not serialized: the text says it).
    #[serde(skip)]
    pub reason: StatusReason,
}

/// Rounds USD to the cent, half away from zero (as invoices do).
pub fn cents(amount: Decimal) -> Decimal {
    let mut rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded
}

/// Every budget line's report for `breakdown`. `forecast_total` is the
/// month-end forecast of all charges; each line's forecast is its share of
/// it by month-to-date charges (Cost Explorer forecasts one series per
/// request, and the run may make at most 3).
pub fn evaluate_lines(
    breakdown: &Breakdown,
    budgets: &Budgets,
    forecast_total: Option<Decimal>,
    alert_ratio: Ratio,
) -> Vec<LineReport> {
    let total = breakdown.charges_of(BudgetLine::Total);
    BudgetLine::ALL
        .into_iter()
        .map(|line| {
            let actual = breakdown.charges_of(line);
            let forecast = forecast_total.map(|f| {
                if line == BudgetLine::Total {
                    f
                } else if total.is_zero() {
                    Decimal::ZERO
                } else {
                    f * actual / total
                }
            });
            let budget = budgets.get(line);
            let (status, reason) = evaluate_line(actual, budget, forecast, alert_ratio);
            LineReport {
                line,
                actual: cents(actual),
                budget: budget.map(|b| cents(b.0)),
                ratio: budget.filter(|b| !b.0.is_zero()).map(|b| {
                    (actual / b.0).round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
                }),
                forecast: forecast.map(cents),
                status,
                reason,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn usd(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn row(service: &str, record_type: &str, amount: &str) -> CostRow {
        CostRow {
            service: service.into(),
            record_type: record_type.into(),
            amount: usd(amount),
        }
    }

    fn ratio() -> Ratio {
        Ratio::new(usd("0.8")).unwrap()
    }

    #[test]
    fn cost_explorer_and_billing_metric_names_map_to_the_runbook_lines() {
        for (service, line) in [
            ("AWS Lambda", BudgetLine::Lambda),
            ("Amazon Relational Database Service", BudgetLine::Aurora),
            ("Amazon Simple Storage Service", BudgetLine::S3),
            ("Amazon CloudFront", BudgetLine::Cloudfront),
            ("Amazon API Gateway", BudgetLine::ApiGateway),
            ("AmazonCloudWatch", BudgetLine::Other),
            ("AWS Secrets Manager", BudgetLine::Other),
            ("AWS X-Ray", BudgetLine::Other),
            ("Amazon Virtual Private Cloud", BudgetLine::Other),
            ("AWS Cost Explorer", BudgetLine::Other),
            ("Tax", BudgetLine::Other),
            ("AWSLambda", BudgetLine::Lambda),
            ("AmazonRDS", BudgetLine::Aurora),
            ("AmazonS3", BudgetLine::S3),
            ("AmazonCloudFront", BudgetLine::Cloudfront),
            ("AmazonApiGateway", BudgetLine::ApiGateway),
            // Near misses are not guessed at.
            ("aws lambda", BudgetLine::Other),
            ("Amazon S3 Glacier Deep Archive", BudgetLine::Other),
        ] {
            assert_eq!(line_for_service(service), line, "{service}");
        }
    }

    #[test]
    fn tax_credits_and_refunds_are_apart_and_other_lists_its_services() {
        let rows = [
            row("AWS Lambda", "Usage", "1.10"),
            row("AWS Lambda", "Tax", "0.11"),
            row("AWS Lambda", "Credit", "-1.00"),
            row("Amazon CloudWatch", "Usage", "0.30"),
            row("AWS Secrets Manager", "Usage", "0.40"),
            row("AWS Secrets Manager", "Refund", "-0.05"),
            row("Amazon Relational Database Service", "Usage", "7.00"),
        ];
        let b = Breakdown::from_rows(&rows);
        assert_eq!(b.charges_of(BudgetLine::Lambda), usd("1.10"));
        assert_eq!(b.charges_of(BudgetLine::Other), usd("0.70"));
        assert_eq!(b.charges_of(BudgetLine::Total), usd("8.80"));
        assert_eq!(
            (b.tax, b.credits, b.refunds),
            (usd("0.11"), usd("-1.00"), usd("-0.05"))
        );
        assert_eq!(b.net(), usd("7.86"));
        let other: Vec<(&str, Decimal)> = b
            .other_services
            .iter()
            .map(|(s, a)| (s.as_str(), *a))
            .collect();
        assert_eq!(
            other,
            [
                ("AWS Secrets Manager", usd("0.40")),
                ("Amazon CloudWatch", usd("0.30"))
            ]
        );
    }

    #[test]
    fn many_small_amounts_sum_exactly_to_the_cent() {
        // 1000 × $0.001 + 10 × $0.1: a float sum drifts off 2.00; decimals don't.
        let rows: Vec<CostRow> = (0..1000)
            .map(|_| row("AWS Lambda", "Usage", "0.001"))
            .chain((0..10).map(|_| row("AWS Lambda", "Usage", "0.1")))
            .collect();
        let b = Breakdown::from_rows(&rows);
        assert_eq!(b.charges_of(BudgetLine::Lambda), usd("2.000"));
        let float: f64 = rows
            .iter()
            .map(|r| r.amount.to_string().parse::<f64>().unwrap())
            .sum();
        assert_ne!(
            float, 2.0,
            "the float sum drifts; this is why amounts are decimals"
        );
    }

    #[test]
    fn status_at_the_exact_boundaries() {
        let budget = Some(Usd(usd("10")));
        let at = |actual: &str| evaluate_line(usd(actual), budget, None, ratio());
        assert_eq!(at("7.999"), (LineStatus::Ok, StatusReason::WithinBudget)); // 79.99 %
        assert_eq!(at("8.00"), (LineStatus::Warning, StatusReason::NearBudget)); // 80 %
        assert_eq!(at("9.999"), (LineStatus::Warning, StatusReason::NearBudget));
        assert_eq!(
            at("10.00"),
            (LineStatus::Critical, StatusReason::OverBudget)
        ); // 100 %
        assert_eq!(at("12"), (LineStatus::Critical, StatusReason::OverBudget));
        // The forecast reaching the budget is critical even while actual is low.
        assert_eq!(
            evaluate_line(usd("2"), budget, Some(usd("10.00")), ratio()),
            (LineStatus::Critical, StatusReason::ForecastOverBudget)
        );
        assert_eq!(
            evaluate_line(usd("2"), budget, Some(usd("9.99")), ratio()),
            (LineStatus::Ok, StatusReason::WithinBudget)
        );
        // No budget: never alerts on its own. Zero budget: any spend is over.
        assert_eq!(
            evaluate_line(usd("500"), None, Some(usd("900")), ratio()),
            (LineStatus::Ok, StatusReason::NoBudget)
        );
        let zero = Some(Usd(Decimal::ZERO));
        assert_eq!(
            evaluate_line(Decimal::ZERO, zero, None, ratio()).0,
            LineStatus::Ok
        );
        assert_eq!(
            evaluate_line(usd("0.01"), zero, None, ratio()).0,
            LineStatus::Critical
        );
    }

    #[test]
    fn lines_carry_cents_ratios_and_shares_of_the_forecast() {
        let rows = [
            row("AWS Lambda", "Usage", "1.005"),
            row("Amazon Relational Database Service", "Usage", "8.995"),
            row("Amazon CloudWatch", "Usage", "0.00"),
        ];
        let b = Breakdown::from_rows(&rows);
        let lines = evaluate_lines(&b, &Budgets::runbook(), Some(usd("15")), ratio());
        let by_id = |id: &str| lines.iter().find(|l| l.line.id() == id).unwrap();
        let lambda = by_id("lambda");
        assert_eq!(lambda.actual, usd("1.01")); // half away from zero
        assert_eq!(lambda.ratio, Some(usd("0.201")));
        assert_eq!(lambda.forecast, Some(usd("1.51"))); // 15 × 1.005 / 10
        let aurora = by_id("aurora");
        assert_eq!(aurora.forecast, Some(usd("13.49")));
        assert_eq!(
            (aurora.status, aurora.reason),
            (LineStatus::Critical, StatusReason::ForecastOverBudget)
        );
        let total = by_id("total");
        assert_eq!(
            (total.actual, total.forecast, total.budget),
            (usd("10.00"), Some(usd("15")), Some(usd("18")))
        );
        assert_eq!(total.status, LineStatus::Ok);
        let other = by_id("other");
        assert_eq!(
            (other.budget, other.ratio, other.status),
            (None, None, LineStatus::Ok)
        );
        assert_eq!(lines.len(), BudgetLine::ALL.len());
    }

    #[test]
    fn the_line_json_matches_the_contract() {
        let b = Breakdown::from_rows(&[row("AWS Lambda", "Usage", "4.2")]);
        let lines = evaluate_lines(&b, &Budgets::runbook(), None, ratio());
        let json = serde_json::to_value(&lines[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"line": "lambda", "actual": "4.20", "budget": "5.00",
                               "ratio": 0.84, "forecast": null, "status": "warning"})
        );
    }
}
