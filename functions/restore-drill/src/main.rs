//! restore-drill's Lambda entry point: wiring only.

use restore_drill::{DrillConfig, RestoreDrill};

// One event at a time: a single-threaded runtime starts faster and lighter.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(DrillConfig::from_env, RestoreDrill::new).await
}
