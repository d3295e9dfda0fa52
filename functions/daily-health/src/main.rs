//! daily-health's Lambda entry point: wiring only.

use daily_health::{DailyHealth, HealthConfig};

// One event at a time: a single-threaded runtime starts faster and lighter.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(HealthConfig::from_env, DailyHealth::new).await
}
