//! budget-alert's settings: the shared ones plus the cost source.

use std::fmt;
use std::str::FromStr;

use shared::{Config, ConfigError, Env};

/// Where the month's costs come from (`COST_SOURCE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostSource {
    /// Cost Explorer (`cost-explorer`, default): per service and record type, forecast; $0.01 a request.
    CostExplorer,
    /// CloudWatch `AWS/Billing` `EstimatedCharges` (`cloudwatch-billing`): free,
    /// us-east-1 only, needs billing alerts on; no forecast, tax not apart.
    CloudwatchBilling,
}

impl CostSource {
    /// The setting's value.
    pub fn as_str(self) -> &'static str {
        match self {
            CostSource::CostExplorer => "cost-explorer",
            CostSource::CloudwatchBilling => "cloudwatch-billing",
        }
    }
}

impl fmt::Display for CostSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CostSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cost-explorer" => Ok(CostSource::CostExplorer),
            "cloudwatch-billing" => Ok(CostSource::CloudwatchBilling),
            _ => Err("expected `cost-explorer` or `cloudwatch-billing`".into()),
        }
    }
}

/// Settings of a budget run, read once at start-up. Budgets and the alert
/// ratio are the runbook's (`BUDGETS`, `BUDGET_ALERT_RATIO`), in `common.runbook`.
#[derive(Debug, Clone)]
pub struct BudgetConfig {
    /// The settings every function shares.
    pub common: Config,
    /// `COST_SOURCE`.
    pub source: CostSource,
}

impl BudgetConfig {
    /// Reads the settings from `env`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = Config::from_env(env)?;
        common.require_topic()?;
        Ok(BudgetConfig {
            source: env.parse_or("COST_SOURCE", CostSource::CostExplorer)?,
            common,
        })
    }
}

#[cfg(test)]
mod tests {
    use shared::runbook::{BudgetLine, Usd};

    use super::*;

    const TOPIC: (&str, &str) = (
        "NOTIFY_TOPIC_ARN",
        "arn:aws:sns:ap-northeast-1:123456789012:ops",
    );

    #[test]
    fn defaults_are_cost_explorer_and_the_runbook_budgets() {
        let config = BudgetConfig::from_env(&Env::from_pairs([TOPIC])).unwrap();
        assert_eq!(config.source, CostSource::CostExplorer);
        let budgets = &config.common.runbook.budgets;
        assert_eq!(budgets.get(BudgetLine::Total), Some(Usd::dollars(18)));
        assert_eq!(budgets.get(BudgetLine::Other), None);
    }

    #[test]
    fn budgets_merge_over_the_defaults_and_bad_values_name_their_variable() {
        let env = Env::from_pairs([
            TOPIC,
            ("BUDGETS", r#"{"aurora": 12.5, "other": 2}"#),
            ("COST_SOURCE", "cloudwatch-billing"),
        ]);
        let config = BudgetConfig::from_env(&env).unwrap();
        let budgets = &config.common.runbook.budgets;
        assert_eq!(
            budgets.get(BudgetLine::Aurora).unwrap().to_string(),
            "$12.50"
        );
        assert_eq!(budgets.get(BudgetLine::Other), Some(Usd::dollars(2)));
        assert_eq!(budgets.get(BudgetLine::Lambda), Some(Usd::dollars(5)));
        assert_eq!(config.source, CostSource::CloudwatchBilling);
        let misnamed = shared::testing::bad_values_not_naming_their_variable(
            &[TOPIC],
            &[
                ("COST_SOURCE", "billing"),
                ("BUDGETS", r#"{"rds": 3}"#),
                ("BUDGETS", r#"{"lambda": -1}"#),
                ("BUDGET_ALERT_RATIO", "80"),
            ],
            BudgetConfig::from_env,
        );
        assert!(misnamed.is_empty(), "{misnamed:#?}");
        assert_eq!(
            BudgetConfig::from_env(&Env::default())
                .unwrap_err()
                .variable,
            "NOTIFY_TOPIC_ARN"
        );
    }
}
