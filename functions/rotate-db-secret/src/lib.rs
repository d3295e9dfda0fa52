//! rotate-db-secret — the runbook's 90-day DB password change as a Secrets
//! Manager rotation function (single user, PostgreSQL).
//!
//! Same checks and idempotency as AWS's rotation templates, and safer: both
//! secret shapes, every other key kept, the password set as a SCRAM-SHA-256
//! verifier (the plaintext never reaches the server), TLS with verification
//! (plaintext only on an explicit `"ssl": false`), and a failed step puts the
//! database back on the `AWSCURRENT` password wherever it can reach it.

pub mod config;
pub mod db;
pub mod scram;
/// The DB secret's shapes (shared with alarm-triage's login probe).
pub mod secret;
pub mod step;
mod text;

use chrono::{DateTime, Utc};
use lambda_runtime::Context;
use serde_json::Value;
use shared::{Delivery, Done, Error, Notifier, Report, Task};

pub use crate::config::RotationConfig;
use crate::db::{Connector, LoginError};
use crate::secret::DbSecret;
use crate::step::{AWSCURRENT, AWSPENDING, AWSPREVIOUS, TokenState, evaluate_token, version_with};
pub use crate::step::{RotationRequest, Step};

/// The function (binary) name, as in reports and notifications.
pub const FUNCTION: &str = "rotate-db-secret";

/// What the handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct RotateDbSecret {
    /// Settings.
    pub config: RotationConfig,
    /// Secrets Manager client.
    pub secrets: aws_sdk_secretsmanager::Client,
    /// TLS roots and login time limit.
    pub connector: Connector,
    /// Where reports go.
    pub notifier: Notifier,
}

impl RotateDbSecret {
    /// Builds the state from settings and an SDK configuration.
    pub fn new(config: RotationConfig, sdk: &aws_config::SdkConfig) -> Result<Self, Error> {
        Ok(RotateDbSecret {
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            connector: Connector::new(
                config.ca_bundle.as_deref(),
                config.connect_timeout,
                "goal-mandala-ops/rotate-db-secret",
            )?,
            notifier: Notifier::for_config(&config.common, sdk)?,
            config,
        })
    }
}

/// What a step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The token is already `AWSCURRENT`: nothing to do.
    AlreadyCurrent,
    /// createSecret stored a new `AWSPENDING` value.
    Created,
    /// createSecret found the `AWSPENDING` value already there.
    AlreadyCreated,
    /// setSecret changed the password, logged in as the given stage.
    PasswordSet(&'static str),
    /// setSecret found the database already on the pending password.
    AlreadySet,
    /// testSecret logged in with the pending password and ran a query.
    Tested,
    /// finishSecret moved `AWSCURRENT` to the token.
    Rotated(Rotated),
}

/// The facts of a finished rotation, for its notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// The database user.
    pub username: String,
    /// The database host.
    pub host: String,
    /// Whether the database is reached without TLS (`"ssl": false`).
    pub plaintext: bool,
    /// When the next rotation is due.
    pub next_rotation: DateTime<Utc>,
}

impl Outcome {
    fn as_str(&self) -> &'static str {
        match self {
            Outcome::AlreadyCurrent => "already-current",
            Outcome::Created => "created",
            Outcome::AlreadyCreated => "already-created",
            Outcome::PasswordSet(_) => "password-set",
            Outcome::AlreadySet => "already-set",
            Outcome::Tested => "tested",
            Outcome::Rotated(_) => "rotated",
        }
    }
}

impl Task for RotateDbSecret {
    const FUNCTION: &'static str = FUNCTION;
    type Request = RotationRequest;
    /// A rotation function returns nothing; it fails loudly.
    type Response = ();

    fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    fn parse(&self, payload: Value, _: &Context) -> Result<RotationRequest, Error> {
        RotationRequest::parse(payload, Utc::now)
    }

    /// One rotation step, bounded by `STEP_TIMEOUT_SECONDS`; notified at the
    /// end of `finishSecret`.
    async fn run(&self, request: &RotationRequest) -> Result<Done<()>, Error> {
        tracing::info!(secret_id = %request.secret_id, step = %request.step, token = %request.token, "rotation step started");
        let limit = self.config.step_timeout;
        let outcome = tokio::time::timeout(limit, run_step(self, request, request.at))
            .await
            .unwrap_or_else(|_| {
                Err(Error::Unexpected(format!(
                    "{} did not finish within {} s",
                    request.step,
                    limit.as_secs()
                )))
            })
            .inspect_err(|err| {
                tracing::error!(secret_id = %request.secret_id, step = %request.step, token = %request.token, error = %err.brief(), "rotation step failed");
            })?;
        tracing::info!(secret_id = %request.secret_id, step = %request.step, token = %request.token, outcome = outcome.as_str(), "rotation step finished");
        let notice = match &outcome {
            Outcome::Rotated(rotated) => Some(text::rotated_report(
                request,
                rotated,
                request.at,
                self.config.common.lang,
                self.config.common.timezone,
            )),
            _ => None,
        };
        Ok(Done {
            response: (),
            notice,
            // The rotation itself succeeded; a lost notification must not undo it.
            delivery: Delivery::BestEffort,
        })
    }

    fn failure_report(&self, request: &RotationRequest, err: &Error) -> Report {
        text::failed_report(request, err, request.at, self.config.common.lang)
    }
}

/// One step, after the token checks every step shares.
pub async fn run_step(
    state: &RotateDbSecret,
    request: &RotationRequest,
    at: DateTime<Utc>,
) -> Result<Outcome, Error> {
    let facts = secret::describe(&state.secrets, &request.secret_id).await?;
    if evaluate_token(facts.rotation_enabled, &facts.versions, &request.token)?
        == TokenState::AlreadyCurrent
    {
        return Ok(Outcome::AlreadyCurrent);
    }
    let id = request.secret_id.as_str();
    let token = request.token.as_str();
    // Each value is read when the step needs it, not before: a step reads
    // AWSCURRENT only to copy it or fall back to it, AWSPREVIOUS only when
    // AWSCURRENT no longer logs in (and only if there is such a version).
    let current = async || {
        secret::get(&state.secrets, id, AWSCURRENT, None)
            .await?
            .ok_or_else(|| Error::Unexpected("the secret has no AWSCURRENT value".into()))
    };
    let has_previous = version_with(&facts.versions, AWSPREVIOUS).is_some();
    let previous = async || match has_previous {
        true => secret::get(&state.secrets, id, AWSPREVIOUS, None).await,
        false => Ok(None),
    };
    let pending = async || {
        secret::get(&state.secrets, id, AWSPENDING, Some(token))
            .await?
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "version {token} has no AWSPENDING value yet: run createSecret first"
                ))
            })
    };
    match request.step {
        Step::Create => {
            let current = current().await?;
            if secret::get(&state.secrets, id, AWSPENDING, Some(token))
                .await?
                .is_some()
            {
                return Ok(Outcome::AlreadyCreated);
            }
            let password = secret::random_password(
                &state.secrets,
                state.config.password_length,
                &state.config.exclude_characters,
            )
            .await?;
            secret::put_pending(&state.secrets, id, token, &current.with_password(&password))
                .await?;
            Ok(Outcome::Created)
        }
        Step::Set => {
            let pending = pending().await?;
            set_pending(&state.connector, &pending, &current, &previous).await
        }
        Step::Test => {
            let pending = pending().await?;
            let client = state
                .connector
                .login(&pending)
                .await
                .map_err(|e| Error::Database {
                    message: format!("cannot log in with the AWSPENDING password: {e}"),
                    source: Some(Box::new(e)),
                })?;
            if let Err(err) = db::check_query(&client).await {
                if let Ok(current) = current().await {
                    restore(&client, &current).await;
                }
                return Err(err);
            }
            Ok(Outcome::Tested)
        }
        Step::Finish => {
            let pending = pending().await?;
            // Applications switch to AWSPENDING now: make sure the database has it.
            set_pending(&state.connector, &pending, &current, &previous).await?;
            let current_version = version_with(&facts.versions, AWSCURRENT);
            if let Err(err) = secret::promote(&state.secrets, id, token, current_version).await {
                // A lost reply may hide a label that did move.
                let moved = secret::describe(&state.secrets, id)
                    .await
                    .is_ok_and(|f| version_with(&f.versions, AWSCURRENT) == Some(token));
                if !moved {
                    if let (Ok(client), Ok(current)) =
                        (state.connector.login(&pending).await, current().await)
                    {
                        restore(&client, &current).await;
                    }
                    return Err(err);
                }
            }
            let days = facts.rotation_days.unwrap_or_else(|| {
                i64::from(state.config.common.runbook.secret_rotation_recommended.0)
            });
            Ok(Outcome::Rotated(Rotated {
                username: pending.username().to_owned(),
                host: pending.host().to_owned(),
                plaintext: pending.tls()? == secret::Tls::Disabled,
                next_rotation: facts
                    .next_rotation
                    .filter(|n| *n > at)
                    .unwrap_or(at + chrono::TimeDelta::days(days)),
            }))
        }
    }
}

/// setSecret: done if the pending password already works; else log in with
/// AWSCURRENT (then AWSPREVIOUS), set the pending password's verifier, and
/// prove it with a fresh login — or put the old password back. AWSCURRENT
/// and AWSPREVIOUS are read only when they are needed.
async fn set_pending(
    connector: &Connector,
    pending: &DbSecret,
    current: &impl AsyncFn() -> Result<DbSecret, Error>,
    previous: &impl AsyncFn() -> Result<Option<DbSecret>, Error>,
) -> Result<Outcome, Error> {
    let pending_login = match connector.login(pending).await {
        Ok(_) => return Ok(Outcome::AlreadySet),
        Err(e) => e,
    };
    let current = current().await?;
    same_account(&current, pending, AWSCURRENT)?;
    let (client, via, old) = match connector.login(&current).await {
        Ok(client) => (client, AWSCURRENT, current.clone()),
        Err(current_login) => {
            let previous_login = match previous().await? {
                Some(previous) => {
                    let previous = previous.with_tls_of(&current);
                    same_account(&previous, pending, AWSPREVIOUS)?;
                    connector.login(&previous).await.map(|c| (c, previous))
                }
                None => Err(LoginError::Other("no AWSPREVIOUS version".into())),
            };
            match previous_login {
                Ok((client, previous)) => (client, AWSPREVIOUS, previous),
                Err(previous_login) => {
                    return Err(Error::Database {
                        message: format!(
                            "cannot log in with AWSPENDING ({pending_login}), AWSCURRENT ({current_login}) or AWSPREVIOUS ({previous_login})"
                        ),
                        // The last attempt's failure: the one that left no way in.
                        source: Some(Box::new(previous_login)),
                    });
                }
            }
        }
    };
    db::set_password(&client, pending.username(), pending.password()).await?;
    if let Err(e) = connector.login(pending).await {
        restore(&client, &old).await;
        return Err(Error::Database {
            message: format!(
                "the new password was set but a login with it failed ({e}); the {via} password was put back"
            ),
            source: Some(Box::new(e)),
        });
    }
    Ok(Outcome::PasswordSet(via))
}

/// AWS's check: never change another user's or another host's password.
fn same_account(known: &DbSecret, pending: &DbSecret, stage: &str) -> Result<(), Error> {
    if known.username() != pending.username() || known.host() != pending.host() {
        return Err(Error::Unexpected(format!(
            "AWSPENDING is for {}@{} but {stage} is for {}@{}: refusing to change another account",
            pending.username(),
            pending.host(),
            known.username(),
            known.host()
        )));
    }
    Ok(())
}

/// Puts `secret`'s password back (best effort, logged).
async fn restore(client: &tokio_postgres::Client, secret: &DbSecret) {
    match db::set_password(client, secret.username(), secret.password()).await {
        Ok(()) => tracing::warn!(
            user = secret.username(),
            "restored the AWSCURRENT password after a failed step"
        ),
        Err(err) => {
            tracing::error!(user = secret.username(), error = %err, "could not restore the AWSCURRENT password")
        }
    }
}
