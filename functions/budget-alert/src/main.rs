//! budget-alert's Lambda entry point: wiring only.

use budget_alert::{BudgetConfig, State};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(BudgetConfig::from_env, State::new).await
}
