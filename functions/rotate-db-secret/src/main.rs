//! rotate-db-secret's Lambda entry point: wiring only.

use rotate_db_secret::{RotateDbSecret, RotationConfig};

// One event at a time: a single-threaded runtime starts faster and lighter.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(RotationConfig::from_env, RotateDbSecret::new).await
}
