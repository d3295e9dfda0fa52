//! Evidence gathered from a source that may fail or hang: one bound in time,
//! one typed reason it was skipped, one wording of "this source was not read".
//!
//! A function that reads several sources (daily-health, alarm-triage,
//! security-audit) judges what it could read and says, once per check, what
//! it could not — a failing source never fails the run, and a run that could
//! not read a source never reads as clean.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use crate::error::Error;
use crate::lang::Lang;
use crate::report::{Finding, FindingStatus};

/// Why a source's evidence is missing from a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// The source did not answer within the bound.
    Timeout(Duration),
    /// The source answered with an error.
    Failed {
        /// The AWS error code (`AccessDenied`), else the error type.
        code: String,
        /// The error, one line, without secrets (for logs and details).
        brief: String,
    },
}

impl Skip {
    /// The skip an error of the source stands for.
    pub fn of(err: &Error) -> Self {
        Skip::Failed {
            code: err.code(),
            brief: err.brief(),
        }
    }

    /// A short code: the AWS error code, or `timeout`.
    pub fn code(&self) -> &str {
        match self {
            Skip::Timeout(_) => "timeout",
            Skip::Failed { code, .. } => code,
        }
    }

    /// What the reader is told: the code, and the bound of a timeout.
    fn reason(&self, lang: Lang) -> String {
        match self {
            Skip::Timeout(limit) => lang.choose(
                format!("{} 秒以内に応答なし", limit.as_secs()),
                format!("no answer within {} s", limit.as_secs()),
            ),
            Skip::Failed { code, .. } => code.clone(),
        }
    }

    /// The one finding of a check whose source could not be read: `skipped`,
    /// naming the source (API call and resource) and why.
    pub fn finding(&self, check: impl Into<String>, source: &str, lang: Lang) -> Finding {
        let reason = self.reason(lang);
        Finding::new(
            check,
            FindingStatus::Skipped,
            lang.choose(
                format!("{source} を読めませんでした（{reason}）"),
                format!("could not read {source} ({reason})"),
            ),
        )
    }

    /// The next step for it: the function's role and the resource.
    pub fn remedy(&self, function: &str, source: &str, lang: Lang) -> String {
        let reason = self.reason(lang);
        lang.choose(
            format!("{source} を読めませんでした（{reason}）: {function} の IAM ロールの権限と、リソースの存在を確認してください。"),
            format!("{source} could not be read ({reason}): check {function}'s IAM role and that the resource exists."),
        )
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::Timeout(limit) => write!(f, "no answer within {} s", limit.as_secs()),
            Skip::Failed { brief, .. } => f.write_str(brief),
        }
    }
}

/// Runs `source` within `limit`: its value, or why it was skipped (logged
/// at warn with the error's one-line form).
pub async fn bounded<T>(
    limit: Duration,
    source: impl Future<Output = Result<T, Error>>,
) -> Result<T, Skip> {
    match tokio::time::timeout(limit, source).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => {
            tracing::warn!(error = %err.brief(), code = %err.code(), "source skipped");
            Err(Skip::of(&err))
        }
        Err(_) => {
            tracing::warn!(
                limit_s = limit.as_secs(),
                "source skipped: no answer in time"
            );
            Err(Skip::Timeout(limit))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_source_that_hangs_is_a_timeout_skip() {
        let hang = std::future::pending::<Result<(), Error>>();
        let skip = bounded(Duration::from_millis(10), hang).await.unwrap_err();
        assert_eq!(skip, Skip::Timeout(Duration::from_millis(10)));
        assert_eq!(skip.code(), "timeout");
    }

    #[tokio::test]
    async fn a_failing_source_is_skipped_with_its_code() {
        let fail = async { Err::<(), _>(Error::Unexpected("boom".into())) };
        let skip = bounded(Duration::from_secs(1), fail).await.unwrap_err();
        assert_eq!(skip.code(), "Unexpected");
        let f = skip.finding("secret-age", "Secrets Manager DescribeSecret x", Lang::En);
        assert_eq!(f.status, FindingStatus::Skipped);
        assert_eq!(
            f.detail,
            "could not read Secrets Manager DescribeSecret x (Unexpected)"
        );
        let ja = Skip::Timeout(Duration::from_secs(5)).finding("c", "X-Ray", Lang::Ja);
        assert_eq!(ja.detail, "X-Ray を読めませんでした（5 秒以内に応答なし）");
    }

    #[tokio::test]
    async fn an_answer_in_time_is_kept() {
        let value = bounded(Duration::from_secs(1), async { Ok::<_, Error>(7) }).await;
        assert_eq!(value, Ok(7));
    }
}
