//! The words of a budget report, in Japanese and English.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use shared::render::number;
use shared::runbook::{BudgetLine, Ratio, Runbook};
use shared::{Finding, FindingStatus, Lang};

use crate::config::CostSource;
use crate::cost_explorer::Forecast;
use crate::costs::{Breakdown, LineReport, LineStatus, StatusReason, cents};
use crate::month::{BillingMonth, DateWindow};

/// Report texts in one language.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Texts {
    lang: Lang,
}

/// `$1.23`, `-$1.00`.
pub(crate) fn dollars(amount: Decimal) -> String {
    let amount = cents(amount);
    if amount.is_sign_negative() && !amount.is_zero() {
        format!("-${}", -amount)
    } else {
        format!("${amount}")
    }
}

fn percent(ratio: Decimal) -> String {
    format!(
        "{}%",
        (ratio * Decimal::ONE_HUNDRED).round_dp(1).normalize()
    )
}

impl Texts {
    pub(crate) fn new(lang: Lang) -> Self {
        Texts { lang }
    }

    fn ja_en(&self, ja: String, en: String) -> String {
        self.lang.choose(ja, en)
    }

    fn line_name(&self, line: BudgetLine) -> &'static str {
        match line {
            BudgetLine::Lambda => "Lambda",
            BudgetLine::Aurora => "Aurora",
            BudgetLine::S3 => "S3",
            BudgetLine::Cloudfront => "CloudFront",
            BudgetLine::ApiGateway => "API Gateway",
            BudgetLine::Other => self.lang.pick("その他", "Other"),
            BudgetLine::Total => self.lang.pick("合計", "Total"),
        }
    }

    fn amount_vs_budget(&self, l: &LineReport) -> String {
        match (l.budget, l.ratio) {
            (Some(budget), Some(ratio)) => format!(
                "{} / {} ({})",
                dollars(l.actual),
                dollars(budget),
                percent(ratio)
            ),
            (Some(budget), None) => format!("{} / {}", dollars(l.actual), dollars(budget)),
            (None, _) => format!(
                "{} ({})",
                dollars(l.actual),
                self.lang.pick("予算なし", "no budget")
            ),
        }
    }

    /// One finding per line: actual vs budget, forecast, and why its status.
    pub(crate) fn line_finding(&self, l: &LineReport, alert_ratio: Ratio) -> Finding {
        let name = self.line_name(l.line);
        let forecast = l.forecast.map_or_else(String::new, |f| {
            self.ja_en(
                format!("、月末予測 {}", dollars(f)),
                format!(", month-end forecast {}", dollars(f)),
            )
        });
        let alert = percent(alert_ratio.value());
        let why = match l.reason {
            StatusReason::NoBudget => String::new(),
            StatusReason::WithinBudget => self.ja_en(" — 予算内".into(), " — within budget".into()),
            StatusReason::NearBudget => self.ja_en(
                format!(" — 予算の {alert} に達しました"),
                format!(" — reached {alert} of the budget"),
            ),
            StatusReason::OverBudget => {
                self.ja_en(" — 予算を超過しています".into(), " — over budget".into())
            }
            StatusReason::ForecastOverBudget => self.ja_en(
                " — 月末には予算を超える見込みです".into(),
                " — forecast to exceed the budget by month-end".into(),
            ),
        };
        let status = match l.status {
            LineStatus::Ok => FindingStatus::Ok,
            LineStatus::Warning => FindingStatus::Warning,
            LineStatus::Critical => FindingStatus::Critical,
        };
        let detail = format!("{name}: {}{forecast}{why}", self.amount_vs_budget(l));
        let finding = Finding::new(format!("budget-{}", l.line.id()), status, detail);
        match l.budget {
            Some(budget) => finding.measured(to_f64(l.actual), to_f64(budget)),
            None => finding,
        }
    }

    pub(crate) fn forecast_finding(
        &self,
        forecast: &Forecast,
        total: Option<&LineReport>,
    ) -> Finding {
        let (status, detail) = match (forecast, total.and_then(|t| t.forecast)) {
            (Forecast::Amount(_), Some(month_end)) => (
                FindingStatus::Ok,
                self.ja_en(
                    format!("Cost Explorer の月末予測（税・クレジット・返金を除く）: {}", dollars(month_end)),
                    format!("Cost Explorer month-end forecast (excluding tax, credits, refunds): {}", dollars(month_end)),
                ),
            ),
            (Forecast::Amount(_), None) | (Forecast::NotAsked, _) => (
                FindingStatus::Skipped,
                self.ja_en(
                    "Cost Explorer のリクエスト上限（1回の実行で3回）に達したため、予測は取得していません".into(),
                    "forecast not requested: the run's Cost Explorer allowance (3 requests) was spent".into(),
                ),
            ),
            (Forecast::Unavailable(_), _) => (
                FindingStatus::Skipped,
                self.ja_en(
                    "Cost Explorer に予測に必要な履歴がまだありません（新しいアカウントでは数週間かかります）。予測による判定は行っていません".into(),
                    "Cost Explorer has too little history for a forecast yet (new accounts take weeks); no forecast-based check".into(),
                ),
            ),
            (Forecast::Failed(err), _) => (
                FindingStatus::Warning,
                self.ja_en(
                    format!("月末予測を取得できませんでした（実績による判定は有効です）: {err}"),
                    format!("the month-end forecast failed (the actuals still stand): {err}"),
                ),
            ),
        };
        Finding::new("forecast", status, detail)
    }

    pub(crate) fn past_month_forecast(&self, month: BillingMonth) -> Finding {
        Finding::new(
            "forecast",
            FindingStatus::Skipped,
            self.ja_en(
                format!("{month} は終了した月のため、予測はありません（確定値で判定）"),
                format!("{month} is over: no forecast, judged on its final figures"),
            ),
        )
    }

    pub(crate) fn billing_forecast(&self) -> Finding {
        Finding::new(
            "forecast",
            FindingStatus::Skipped,
            self.ja_en(
                "請求メトリクス（COST_SOURCE=cloudwatch-billing）には予測がありません".into(),
                "billing metrics (COST_SOURCE=cloudwatch-billing) have no forecast".into(),
            ),
        )
    }

    pub(crate) fn no_billing_metrics(&self) -> Finding {
        Finding::new(
            "billing-metrics",
            FindingStatus::Warning,
            self.ja_en(
                "us-east-1 に AWS/Billing EstimatedCharges のメトリクスがありません。請求メトリクスは us-east-1 にのみ、請求アラートを有効にしたアカウントでのみ発行されます".into(),
                "no AWS/Billing EstimatedCharges metrics in us-east-1: billing metrics exist only there, and only once billing alerts are enabled".into(),
            ),
        )
    }

    pub(crate) fn truncated(&self) -> Finding {
        Finding::new(
            "ce-pages",
            FindingStatus::Warning,
            self.ja_en(
                "Cost Explorer の結果が複数ページにわたり、リクエスト上限までしか読めませんでした。金額は実際より少ない可能性があります".into(),
                "Cost Explorer's answer spanned more pages than the request allowance: the amounts may be short".into(),
            ),
        )
    }

    pub(crate) fn previous_month_finding(
        &self,
        month: BillingMonth,
        total: &LineReport,
    ) -> Finding {
        let over = total.status == LineStatus::Critical;
        Finding::new(
            "previous-month",
            if over {
                FindingStatus::Warning
            } else {
                FindingStatus::Ok
            },
            self.ja_en(
                format!(
                    "先月 {month} の確定値: 合計 {}{}",
                    self.amount_vs_budget(total),
                    if over {
                        " — 予算を超過しました"
                    } else {
                        ""
                    }
                ),
                format!(
                    "last month {month}, final: total {}{}",
                    self.amount_vs_budget(total),
                    if over { " — over budget" } else { "" }
                ),
            ),
        )
    }

    pub(crate) fn title(
        &self,
        month: BillingMonth,
        lines: &[LineReport],
        source_missing: bool,
    ) -> String {
        let Some(total) = lines.iter().find(|l| l.line == BudgetLine::Total) else {
            return self.ja_en(
                format!("予算 {month}: コストを取得できませんでした（請求メトリクスなし）"),
                format!("Budget {month}: no cost figures (no billing metrics)"),
            );
        };
        let head = self.ja_en(
            format!("予算 {month}: 合計 {}", self.amount_vs_budget(total)),
            format!("Budget {month}: total {}", self.amount_vs_budget(total)),
        );
        let ids = |pick: &dyn Fn(&LineReport) -> bool| -> Vec<&str> {
            lines
                .iter()
                .filter(|l| pick(l))
                .map(|l| l.line.id())
                .collect()
        };
        let over = ids(&|l| l.reason == StatusReason::OverBudget);
        let forecast = ids(&|l| l.reason == StatusReason::ForecastOverBudget);
        let near = ids(&|l| l.reason == StatusReason::NearBudget);
        let mut parts = Vec::new();
        if !over.is_empty() {
            parts.push(self.ja_en(
                format!("超過 {}", over.join(",")),
                format!("over {}", over.join(",")),
            ));
        }
        if !forecast.is_empty() {
            parts.push(self.ja_en(
                format!("超過見込み {}", forecast.join(",")),
                format!("forecast over {}", forecast.join(",")),
            ));
        }
        if !near.is_empty() {
            parts.push(self.ja_en(
                format!("80%超 {}", near.join(",")),
                format!("over 80% {}", near.join(",")),
            ));
        }
        if parts.is_empty() && !source_missing {
            parts.push(self.ja_en("すべて予算内".into(), "all within budget".into()));
        }
        format!("{head}: {}", parts.join(self.lang.pick("、", "; ")))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn summary(
        &self,
        month: BillingMonth,
        window: DateWindow,
        source: CostSource,
        lines: &[LineReport],
        breakdown: &Breakdown,
        ce_requests: u32,
        estimated: bool,
    ) -> String {
        let mut out = Vec::new();
        let last_day = crate::month::add_days(
            window.start,
            u64::try_from(window.days().max(1) - 1).unwrap_or(0),
        );
        let period = if window.is_empty() {
            self.ja_en(
                format!("{month}（月初のため確定した日はまだありません）"),
                format!("{month} (first day: no settled day yet)"),
            )
        } else {
            format!("{} – {} UTC", window.start, last_day)
        };
        out.push(self.ja_en(
            format!(
                "{month} のコスト（{period}、出典: {source}{}）",
                if estimated {
                    "、見積もりを含む"
                } else {
                    ""
                }
            ),
            format!(
                "{month} costs ({period}, source: {source}{})",
                if estimated {
                    ", includes estimates"
                } else {
                    ""
                }
            ),
        ));
        for l in lines {
            let forecast = l.forecast.map_or_else(String::new, |f| {
                self.ja_en(
                    format!("、予測 {}", dollars(f)),
                    format!(", forecast {}", dollars(f)),
                )
            });
            out.push(format!(
                "・{}: {}{forecast}",
                self.line_name(l.line),
                self.amount_vs_budget(l)
            ));
        }
        if !breakdown.other_services.is_empty() {
            let services: Vec<String> = breakdown
                .other_services
                .iter()
                .map(|(s, a)| format!("{s} {}", dollars(*a)))
                .collect();
            out.push(format!(
                "{}: {}",
                self.lang.pick("その他の内訳", "Other, by service"),
                services.join(", ")
            ));
        }
        if source == CostSource::CostExplorer {
            out.push(self.ja_en(
                format!(
                    "税 {}、クレジット {}、返金 {}（予算判定には含めず）、請求見込み合計 {}",
                    dollars(breakdown.tax),
                    dollars(breakdown.credits),
                    dollars(breakdown.refunds),
                    dollars(breakdown.net())
                ),
                format!(
                    "tax {}, credits {}, refunds {} (not counted against budgets), net {}",
                    dollars(breakdown.tax),
                    dollars(breakdown.credits),
                    dollars(breakdown.refunds),
                    dollars(breakdown.net())
                ),
            ));
            out.push(self.ja_en(
                format!("Cost Explorer リクエスト: {ce_requests} 回（1回 $0.01）"),
                format!("Cost Explorer requests: {ce_requests} ($0.01 each)"),
            ));
        }
        out.join("\n")
    }

    pub(crate) fn previous_line(&self, month: BillingMonth, b: &Breakdown) -> String {
        self.ja_en(
            format!(
                "先月 {month} の確定値: 利用料合計 {}、税・クレジット・返金込みの請求額 {}",
                dollars(b.charges_of(BudgetLine::Total)),
                dollars(b.net())
            ),
            format!(
                "last month {month}, final: charges {}, net of tax, credits and refunds {}",
                dollars(b.charges_of(BudgetLine::Total)),
                dollars(b.net())
            ),
        )
    }

    /// The runbook's remedy for a line that needs attention, with the
    /// runbook's own numbers.
    pub(crate) fn remedy(&self, line: BudgetLine, runbook: &Runbook) -> String {
        let per_day = |n: u64| number(n as f64);
        let (ja, en) = match line {
            BudgetLine::Lambda => (
                format!(
                    "Lambda: CloudWatch で呼び出し回数（通常 1 日 0〜{} 回）と実行時間（平均 {} ms 未満）を確認し、急増の原因（リトライのループ、攻撃）を調べてください。メモリ設定も見直してください。",
                    per_day(runbook.lambda_invocations_max_per_day),
                    runbook.lambda_duration_avg_max.as_millis()
                ),
                format!(
                    "Lambda: check invocations (normal 0–{}/day) and duration (avg < {} ms) in CloudWatch; find the cause of a surge (retry loops, abuse); review the memory size.",
                    per_day(runbook.lambda_invocations_max_per_day),
                    runbook.lambda_duration_avg_max.as_millis()
                ),
            ),
            BudgetLine::Aurora => (
                format!(
                    "Aurora: ServerlessDatabaseCapacity と接続数を確認し、最大 {} に張り付く原因（長いクエリ、接続リーク）を調べてください。夜間は最小 {} まで下がるはずです。",
                    runbook.db_max_capacity, runbook.db_min_capacity
                ),
                format!(
                    "Aurora: check ServerlessDatabaseCapacity and connections; find why it sits at the max {} — long queries, leaked connections; it should fall to {} at night.",
                    runbook.db_max_capacity, runbook.db_min_capacity
                ),
            ),
            BudgetLine::S3 => (
                "S3: バケットサイズと非現行バージョンの数を確認し、ライフサイクルルールで古いバージョンを削除してください。".to_owned(),
                "S3: check bucket size and noncurrent versions; expire old versions with a lifecycle rule.".to_owned(),
            ),
            BudgetLine::Cloudfront => (
                format!(
                    "CloudFront: 転送量とキャッシュヒット率を確認し、TTL（{} 秒）が効いているか、不審なアクセスがないか調べてください。",
                    per_day(runbook.cloudfront_ttl.as_secs())
                ),
                format!(
                    "CloudFront: check data transfer and cache hit ratio; is the TTL ({} s) effective, is there abusive traffic?",
                    per_day(runbook.cloudfront_ttl.as_secs())
                ),
            ),
            BudgetLine::ApiGateway => (
                format!(
                    "API Gateway: リクエスト数（通常 1 日 0〜{} 件）の急増を確認し、不正アクセスならスロットリングや WAF を検討してください。",
                    per_day(runbook.api_requests_max_per_day)
                ),
                format!(
                    "API Gateway: check for a surge in requests (normal 0–{}/day); throttle or add WAF if it is abuse.",
                    per_day(runbook.api_requests_max_per_day)
                ),
            ),
            BudgetLine::Other => (
                "その他: 上の内訳で増えたサービスを Cost Explorer で確認してください。".to_owned(),
                "Other: look up the growing services above in Cost Explorer.".to_owned(),
            ),
            BudgetLine::Total => (
                "合計: Cost Explorer でサービス別・日別の推移を確認し、増加の原因となったサービスを特定してください。".to_owned(),
                "Total: open Cost Explorer by service and day and find the service that grew.".to_owned(),
            ),
        };
        self.ja_en(ja, en)
    }

    pub(crate) fn enable_billing_metrics(&self) -> String {
        self.ja_en(
            "Billing コンソールの「設定」で「CloudWatch 請求アラートを受け取る」を有効にしてください（反映まで最大 1 日）。または COST_SOURCE=cost-explorer に戻してください。".into(),
            "Turn on \"Receive CloudWatch billing alerts\" in the Billing preferences (takes up to a day), or set COST_SOURCE=cost-explorer.".into(),
        )
    }
}

fn to_f64(amount: Decimal) -> f64 {
    amount.to_f64().unwrap_or(0.0)
}
