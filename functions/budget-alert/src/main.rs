//! budget-alert's Lambda entry point: wiring only.

use budget_alert::{BudgetAlert, BudgetConfig};

// One event at a time: a single-threaded runtime starts faster and lighter.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(BudgetConfig::from_env, BudgetAlert::new).await
}
