//! nightly-snapshot's Lambda entry point: wiring only.

use nightly_snapshot::{SnapshotConfig, State};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(SnapshotConfig::from_env, State::new).await
}
