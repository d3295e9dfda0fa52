//! Logging set-up, once per process.

/// Installs the `tracing` subscriber that follows the function's Lambda
/// logging configuration: JSON lines when `LoggingConfig.LogFormat` is JSON
/// (`AWS_LAMBDA_LOG_FORMAT`), level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`.
pub fn init() {
    lambda_runtime::tracing::init_default_subscriber();
}
