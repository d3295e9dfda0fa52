//! What every goal-mandala-ops function needs, and nothing task-specific:
//! the runbook's thresholds, configuration, event time, the report and its
//! notification, AWS SDK setup, telemetry and the error types.

#![warn(missing_docs)]

pub mod aws;
pub mod cloudtrail;
pub mod config;
pub mod console;
pub mod entry;
pub mod error;
pub mod event;
pub mod gather;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod lang;
pub mod notify;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "rds")]
pub mod rds;
pub mod render;
pub mod report;
pub mod runbook;
#[cfg(feature = "scheduler")]
pub mod schedule;
pub mod telemetry;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod time;

pub use config::{Config, ConfigError, Env};
pub use entry::{Delivery, Done, RawEvent, Stamp, Task};
pub use error::{Error, ErrorType};
pub use lang::Lang;
pub use notify::Notifier;
pub use report::{Action, ActionResult, Finding, FindingStatus, Report, ReportBuilder, Severity};
pub use runbook::Runbook;
