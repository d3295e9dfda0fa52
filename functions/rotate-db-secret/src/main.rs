//! rotate-db-secret's Lambda entry point: wiring only.

use rotate_db_secret::{RotationConfig, State};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(RotationConfig::from_env, State::new).await
}
