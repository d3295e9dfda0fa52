//! security-audit's Lambda entry point: wiring only.

use security_audit::{AuditConfig, SecurityAudit};

// One event at a time: a single-threaded runtime starts faster and lighter.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::entry::serve(AuditConfig::from_env, SecurityAudit::new).await
}
