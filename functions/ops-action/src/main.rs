//! ops-action's Lambda entry point: wiring only.

use ops_action::{OpsAction, OpsConfig};

// One event at a time: a single-threaded runtime starts faster and lighter.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(OpsConfig::from_env, OpsAction::new).await
}
