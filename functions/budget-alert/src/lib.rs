//! budget-alert — the runbook's コスト確認 and 予算アラート, automated.
//!
//! Month-to-date cost per runbook budget line (Cost Explorer by service and
//! record type, tax/credits/refunds apart, or the free billing metrics), the
//! month-end forecast, each line's status against its budget; notifies when a
//! line needs attention and on the first scheduled run of a month with last
//! month's final figures. At most 3 Cost Explorer requests a run.

pub mod billing;
pub mod config;
pub mod cost_explorer;
pub mod costs;
pub mod event;
pub mod month;
mod text;

use chrono::Utc;
use lambda_runtime::Context;
use serde_json::{Value, json};
use shared::runbook::BudgetLine;
use shared::{Delivery, Done, Error, Notifier, Report, ReportBuilder, Severity, Task};

pub use crate::config::{BudgetConfig, CostSource};
use crate::cost_explorer::{Forecast, RequestAllowance};
use crate::costs::{Breakdown, CostRow, LineReport, LineStatus, evaluate_lines};
pub use crate::event::BudgetRequest;
use crate::month::{BillingMonth, DateWindow, add_days};
use crate::text::Texts;

/// The function (binary) name, as in reports and notifications.
pub const FUNCTION: &str = "budget-alert";

/// What the handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct BudgetAlert {
    /// Settings.
    pub config: BudgetConfig,
    /// Cost Explorer client.
    pub ce: aws_sdk_costexplorer::Client,
    /// CloudWatch client in the billing region (us-east-1).
    pub billing: aws_sdk_cloudwatch::Client,
    /// Where reports go.
    pub notifier: Notifier,
}

impl BudgetAlert {
    /// Builds the state from settings and an SDK configuration.
    pub fn new(config: BudgetConfig, sdk: &aws_config::SdkConfig) -> Result<Self, Error> {
        let notifier = Notifier::for_config(&config.common, sdk)?;
        Ok(BudgetAlert {
            ce: aws_sdk_costexplorer::Client::new(sdk),
            billing: billing::billing_client(sdk),
            notifier,
            config,
        })
    }
}

impl Task for BudgetAlert {
    const FUNCTION: &'static str = FUNCTION;
    type Request = BudgetRequest;
    type Response = Report;

    fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    fn parse(&self, payload: Value, _: &Context) -> Result<BudgetRequest, Error> {
        BudgetRequest::parse(payload, self.config.common.dry_run, Utc::now)
    }

    /// One budget check, always returned as the report; published when a
    /// line needs attention or the month has turned.
    async fn run(&self, request: &BudgetRequest) -> Result<Done<Report>, Error> {
        tracing::info!(
            month = %request.month,
            first_run_of_month = request.first_run_of_month,
            source = self.config.source.as_str(),
            "budget check"
        );
        let report = run(self, request).await?;
        let ce_requests = report.extra.get("ce_requests").and_then(Value::as_u64);
        tracing::info!(ce_requests, "cost explorer requests");
        Ok(match report.extra.get("notify").and_then(Value::as_bool) {
            Some(false) => Done::quiet(report),
            // Reads only: a retry after a lost message costs at most 3 requests.
            _ => Done::report(report, Delivery::Required),
        })
    }
}

/// A month's figures from the configured source.
#[derive(Debug, Clone, Default)]
struct MonthCosts {
    rows: Vec<CostRow>,
    estimated: bool,
    truncated: bool,
    /// The billing source found no metrics at all.
    source_missing: bool,
}

/// One budget check: gather the month's costs (and last month's on the first
/// run of a month), evaluate every line, build the report.
pub async fn run(state: &BudgetAlert, request: &BudgetRequest) -> Result<Report, Error> {
    let config = &state.config;
    let runbook = &config.common.runbook;
    let texts = Texts::new(config.common.lang);
    let month = request.month;
    let window = month.settled_window(request.now);
    let mut allowance = RequestAllowance::default();

    let current = month_costs(state, month, window, request, &mut allowance).await?;
    let forecast = match (config.source, month.remaining_window(request.now)) {
        (CostSource::CostExplorer, Some(rest)) => {
            Some(cost_explorer::forecast(&state.ce, rest, &mut allowance).await?)
        }
        _ => None,
    };
    let previous = if request.first_run_of_month {
        let before = month.previous();
        Some((
            before,
            month_costs(state, before, before.window(), request, &mut allowance).await?,
        ))
    } else {
        None
    };

    let breakdown = Breakdown::from_rows(&current.rows);
    let actual_total = breakdown.charges_of(BudgetLine::Total);
    // Month-end = settled month-to-date + Cost Explorer's forecast of the rest.
    let forecast_total = match &forecast {
        Some(Forecast::Amount(rest)) => Some(actual_total + rest),
        _ => None,
    };
    let lines = if current.source_missing {
        Vec::new()
    } else {
        evaluate_lines(
            &breakdown,
            &runbook.budgets,
            forecast_total,
            runbook.budget_alert_ratio,
        )
    };

    let mut report = ReportBuilder::new(FUNCTION, request.now, request.dry_run);
    if current.source_missing {
        report.finding(texts.no_billing_metrics());
        report.next_step(texts.enable_billing_metrics());
    }
    for line in &lines {
        report.finding(texts.line_finding(line, runbook.budget_alert_ratio));
    }
    match (&forecast, config.source) {
        (Some(f), _) => {
            let total = lines.iter().find(|l| l.line == BudgetLine::Total);
            report.finding(texts.forecast_finding(f, total));
        }
        (None, CostSource::CloudwatchBilling) => {
            report.finding(texts.billing_forecast());
        }
        (None, CostSource::CostExplorer) => {
            report.finding(texts.past_month_forecast(month));
        }
    }
    if current.truncated || previous.as_ref().is_some_and(|(_, p)| p.truncated) {
        report.finding(texts.truncated());
    }
    for line in lines.iter().filter(|l| l.status != LineStatus::Ok) {
        report.next_step(texts.remedy(line.line, runbook));
    }

    let previous = previous
        .filter(|(_, costs)| !costs.source_missing)
        .map(|(before, costs)| {
            let b = Breakdown::from_rows(&costs.rows);
            let before_lines =
                evaluate_lines(&b, &runbook.budgets, None, runbook.budget_alert_ratio);
            (before, before_lines, b)
        });
    if let Some((before, before_lines, _)) = &previous
        && let Some(total) = before_lines.iter().find(|l| l.line == BudgetLine::Total)
    {
        report.finding(texts.previous_month_finding(*before, total));
    }

    let attention =
        lines.iter().any(|l| l.status != LineStatus::Ok) || report.severity() >= Severity::Warning;
    let notify = attention || request.first_run_of_month;
    let ce_requests = allowance.used();
    let title = texts.title(month, &lines, current.source_missing);
    let summary = texts.summary(
        month,
        window,
        config.source,
        &lines,
        &breakdown,
        ce_requests,
        current.estimated,
    );
    let summary = match &previous {
        Some((before, _, b)) => format!("{summary}\n{}", texts.previous_line(*before, b)),
        None => summary,
    };
    let previous_json = previous
        .as_ref()
        .map(|(before, before_lines, b)| month_json(*before, before.window(), before_lines, b));
    let this_month = month_json(month, window, &lines, &breakdown);
    for (key, value) in this_month.as_object().into_iter().flatten() {
        report.extra(key, value);
    }
    report
        .extra("source", config.source.as_str())
        .extra("ce_requests", ce_requests)
        .extra(
            "forecast_total",
            forecast_total.map(|f| costs::cents(f).to_string()),
        )
        .extra("estimated", current.estimated)
        .extra("previous_month", previous_json)
        .extra("notify", notify);
    Ok(report.build(&title, summary))
}

async fn month_costs(
    state: &BudgetAlert,
    month: BillingMonth,
    settled: DateWindow,
    request: &BudgetRequest,
    allowance: &mut RequestAllowance,
) -> Result<MonthCosts, Error> {
    match state.config.source {
        CostSource::CostExplorer => {
            if settled.is_empty() {
                return Ok(MonthCosts::default());
            }
            let costs = cost_explorer::cost_and_usage(&state.ce, settled, allowance).await?;
            Ok(MonthCosts {
                rows: costs.rows,
                estimated: costs.estimated,
                truncated: costs.truncated,
                source_missing: false,
            })
        }
        CostSource::CloudwatchBilling => {
            // The billing metrics are an estimate through the latest hour, today included.
            let window = DateWindow {
                start: settled.start,
                end: add_days(request.now.date_naive(), 1).min(month.next().first_day()),
            };
            let rows = billing::estimated_charges(&state.billing, window, request.now).await?;
            Ok(MonthCosts {
                source_missing: rows.is_empty(),
                estimated: true,
                truncated: false,
                rows,
            })
        }
    }
}

/// A month's lines and breakdown as report JSON.
fn month_json(
    month: BillingMonth,
    window: DateWindow,
    lines: &[LineReport],
    b: &Breakdown,
) -> Value {
    let other: Vec<Value> = b
        .other_services
        .iter()
        .map(|(service, amount)| json!({"service": service, "actual": costs::cents(*amount).to_string()}))
        .collect();
    json!({
        "month": month.to_string(),
        "window": {"start": window.start.to_string(), "end": window.end.to_string()},
        "lines": lines,
        "other_services": other,
        "tax": costs::cents(b.tax).to_string(),
        "credits": costs::cents(b.credits).to_string(),
        "refunds": costs::cents(b.refunds).to_string(),
        "net": costs::cents(b.net()).to_string(),
    })
}
