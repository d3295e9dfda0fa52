//! The local test bed: a production look-alike without an AWS account.
//!
//! - [`Bed`]: moto in server mode behind the CloudWatch RPCv2-CBOR bridge
//!   (`tests/bed/moto_bed.py`), one process per bed on a free port, so every
//!   test starts from empty state and tests run in parallel.
//! - [`Postgres`]: a throwaway PostgreSQL cluster on a free port, plain or TLS
//!   with a throwaway CA.
//!
//! Both stop when dropped. The Python environment is installed into the
//! project's `.venv` on first use when it is missing.

mod inbox;
pub mod lambda_api;
mod moto;
pub mod payloads;
mod postgres;
pub mod production;
pub mod rotation;
pub mod runtime_api;
pub mod scheduler;

pub use inbox::{Inbox, OPS_TOPIC};
pub use moto::{Bed, BedRequest};
pub use postgres::{Postgres, PostgresOptions};

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

/// The finding `check` of `report`; a test that looks for one that is not
/// there fails naming it and listing the findings.
#[allow(clippy::panic)] // test helper: a missing finding is the test's failure
pub fn finding<'a>(report: &'a shared::Report, check: &str) -> &'a shared::Finding {
    report
        .findings
        .iter()
        .find(|f| f.check == check)
        .unwrap_or_else(|| panic!("no finding {check}: {:#?}", report.findings))
}

/// A test-bed set-up step that failed.
#[derive(Debug)]
pub struct BedError(pub String);

impl std::fmt::Display for BedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "test bed: {}", self.0)
    }
}

impl std::error::Error for BedError {}

/// The workspace root (the directory holding `Cargo.lock`).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map_or(here.clone(), PathBuf::from)
}

fn run(command: &mut std::process::Command) -> Result<String, BedError> {
    let output = command
        .output()
        .map_err(|e| BedError(format!("{command:?}: {e}")))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(BedError(format!(
            "{command:?} exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

fn free_port() -> Result<u16, BedError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| BedError(format!("no free port: {e}")))
}

/// Captures the calling thread's log lines (a `#[tokio::test]` runs the
/// handler on its thread), to scan them for what must never be logged.
pub fn capture_logs() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    capture_logs_at(tracing::Level::TRACE)
}

/// Like [`capture_logs`], at `level` and above: `INFO` is what a deployed
/// function writes (`ApplicationLogLevel: INFO`), without the SDK's wire traces.
pub fn capture_logs_at(
    level: tracing::Level,
) -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    #[derive(Clone)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    // tracing caches per call site, process-wide, whether anyone listens.
    // While a single dispatcher is registered it asks only the *calling
    // thread's* default, so a parallel test thread without a capture would
    // switch a call site off for this one too (tracing-core's `has_just_one`).
    // A second dispatcher, kept for the whole process, makes it ask every
    // live dispatcher instead.
    static SECOND: LazyLock<tracing::Dispatch> =
        LazyLock::new(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::new()));
    LazyLock::force(&SECOND);
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink(buffer.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(move || sink.clone())
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

#[cfg(test)]
mod tests {
    use super::capture_logs;

    #[test]
    fn a_capture_sees_a_call_site_first_reached_on_a_thread_without_one() {
        fn emit() {
            tracing::info!("one call site, two threads");
        }
        let (logs, _guard) = capture_logs();
        std::thread::spawn(emit).join().unwrap();
        emit();
        let captured = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
        assert!(
            captured.contains("one call site, two threads"),
            "{captured:?}"
        );
    }
}
