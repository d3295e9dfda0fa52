//! alarm-triage's Lambda entry point: wiring only.

use alarm_triage::{AlarmTriage, TriageConfig};

// One event at a time: a single-threaded runtime starts faster and lighter.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(TriageConfig::from_env, AlarmTriage::new).await
}
