//! Typed errors and their stable Lambda `errorType`s (ARCHITECTURE §3 "Errors").

use std::error::Error as StdError;
use std::fmt;

use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_types::error::display::DisplayErrorContext;
use lambda_runtime::Diagnostic;

use crate::config::ConfigError;
use crate::report::one_line;

/// Longest error message a caller or a log line gets: enough to quote what
/// was wrong, never a whole payload echoed back (a 300 KB string in the
/// wrong field makes a 300 KB serde message).
pub const MESSAGE_MAX_CHARS: usize = 300;

/// A boxed underlying cause, kept typed so callers can downcast it.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The stable `errorType` a failed invocation reports to Lambda.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// The request does not fit: bad payload, unknown step, unknown resource named by the caller.
    InvalidInput,
    /// Invalid configuration.
    Config,
    /// An AWS service call failed.
    Aws,
    /// The database refused or could not be reached.
    Database,
    /// Anything else: a bug or an impossible state.
    Unexpected,
}

impl ErrorType {
    /// The `errorType` string (`InvalidInput`, `Config`, `Aws`, `Database`, `Unexpected`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::InvalidInput => "InvalidInput",
            ErrorType::Config => "Config",
            ErrorType::Aws => "Aws",
            ErrorType::Database => "Database",
            ErrorType::Unexpected => "Unexpected",
        }
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every way a run can fail. Messages never carry a secret value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request does not fit; nothing was changed.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Invalid configuration, naming the variable.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// An AWS call failed (after the SDK's retries).
    #[error("AWS {operation} failed: {message}")]
    Aws {
        /// The API operation, e.g. `CreateDBClusterSnapshot`.
        operation: &'static str,
        /// The service's error code (`AccessDenied`, `ThrottlingException`), or
        /// what kind of failure it was when the service never answered.
        code: String,
        /// The service error with its context, rendered once.
        message: String,
        /// The SDK error itself.
        #[source]
        source: BoxError,
    },
    /// The database could not be used.
    #[error("database: {message}")]
    Database {
        /// What failed, without credentials.
        message: String,
        /// The driver's error, when there is one.
        #[source]
        source: Option<BoxError>,
    },
    /// A state that should not happen.
    #[error("unexpected: {0}")]
    Unexpected(String),
}

impl Error {
    /// Wraps an SDK error of `operation`, keeping it as the typed source.
    pub fn aws<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: StdError + ProvideErrorMetadata + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let code = match &err {
            SdkError::ServiceError(e) => {
                e.err().code().unwrap_or("unknown service error").to_owned()
            }
            SdkError::TimeoutError(_) => "timeout".to_owned(),
            SdkError::DispatchFailure(_) => "no connection".to_owned(),
            SdkError::ResponseError(_) => "unreadable response".to_owned(),
            _ => "request not sent".to_owned(),
        };
        Error::Aws {
            operation,
            code,
            message: DisplayErrorContext(&err).to_string(),
            source: Box::new(err),
        }
    }

    /// The stable `errorType` of this error.
    pub fn error_type(&self) -> ErrorType {
        match self {
            Error::InvalidInput(_) => ErrorType::InvalidInput,
            Error::Config(_) => ErrorType::Config,
            Error::Aws { .. } => ErrorType::Aws,
            Error::Database { .. } => ErrorType::Database,
            Error::Unexpected(_) => ErrorType::Unexpected,
        }
    }

    /// A short code for what failed, for a report line: the AWS error code
    /// (`AccessDenied`), else the error type.
    pub fn code(&self) -> String {
        match self {
            Error::Aws { code, .. } => code.clone(),
            other => other.error_type().as_str().to_owned(),
        }
    }

    /// The message as callers and logs get it: one line, at most
    /// [`MESSAGE_MAX_CHARS`] characters.
    pub fn brief(&self) -> String {
        one_line(&self.to_string(), MESSAGE_MAX_CHARS)
    }

    /// Whether the failure is worth a notification: everything except bad
    /// input, which goes back to the caller only.
    pub fn notifies(&self) -> bool {
        self.error_type() != ErrorType::InvalidInput
    }
}

impl From<Error> for Diagnostic {
    fn from(err: Error) -> Self {
        Diagnostic {
            error_type: err.error_type().as_str().to_owned(),
            error_message: err.brief(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_are_the_stable_contract_names() {
        let cases = [
            (Error::InvalidInput("x".into()), "InvalidInput"),
            (
                Error::Config(ConfigError::new("REPORT_LANG", "bad")),
                "Config",
            ),
            (
                Error::Database {
                    message: "down".into(),
                    source: None,
                },
                "Database",
            ),
            (Error::Unexpected("x".into()), "Unexpected"),
        ];
        for (err, expected) in cases {
            let diagnostic = Diagnostic::from(err);
            assert_eq!(diagnostic.error_type, expected);
        }
    }

    #[test]
    fn callers_get_one_short_line_whatever_the_message() {
        let err = Error::InvalidInput(format!("`reason`: {}\nmore", "あ".repeat(100_000)));
        let diagnostic = Diagnostic::from(err);
        assert!(diagnostic.error_message.chars().count() <= MESSAGE_MAX_CHARS);
        assert!(
            diagnostic
                .error_message
                .starts_with("invalid input: `reason`: あ")
        );
        assert!(!diagnostic.error_message.contains('\n'));
    }

    #[test]
    fn only_invalid_input_skips_the_failure_notification() {
        assert!(!Error::InvalidInput("x".into()).notifies());
        assert!(Error::Unexpected("x".into()).notifies());
    }
}
