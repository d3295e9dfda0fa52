//! rotate-access-keys' Lambda entry point: wiring only.

use rotate_access_keys::{KeysConfig, RotateAccessKeys};

// One event at a time: a single-threaded runtime starts faster and lighter.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(KeysConfig::from_env, RotateAccessKeys::new).await
}
