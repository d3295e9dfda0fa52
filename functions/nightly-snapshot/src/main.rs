//! nightly-snapshot's Lambda entry point: wiring only.

use nightly_snapshot::{NightlySnapshot, SnapshotConfig};

// One event at a time: a single-threaded runtime starts faster and lighter.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(SnapshotConfig::from_env, NightlySnapshot::new).await
}
