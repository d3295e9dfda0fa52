//! alarm-triage's Lambda entry point: wiring only.

use alarm_triage::{State, TriageConfig, handle};
use lambda_runtime::{Error, run, service_fn};
use shared::config::load_or_exit;
use shared::{Env, aws, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    // Bad configuration stops the process before the first event, in one line.
    let config = load_or_exit(TriageConfig::from_env(&Env::from_process()));
    let sdk = aws::load_sdk_config().await;
    let state = State::new(config, &sdk)?;
    run(service_fn(|event| handle(&state, event))).await
}
