//! alarm-triage's Lambda entry point: wiring only.

use alarm_triage::{State, TriageConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(TriageConfig::from_env, State::new).await
}
