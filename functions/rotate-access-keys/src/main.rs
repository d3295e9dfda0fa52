//! rotate-access-keys' Lambda entry point: wiring only.

use rotate_access_keys::{KeysConfig, State};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(KeysConfig::from_env, State::new).await
}
