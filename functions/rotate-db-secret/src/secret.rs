//! The DB secret: its shape (shared with alarm-triage's login) and the
//! Secrets Manager calls of a rotation. Values are never logged.

use std::collections::HashMap;

use aws_sdk_secretsmanager::Client;
use chrono::{DateTime, Utc};
use shared::Error;

pub use shared::postgres::{DEFAULT_DATABASE, DEFAULT_PORT, DbSecret, Tls};

/// What `DescribeSecret` says about the rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFacts {
    /// `RotationEnabled` (absent on secrets never configured for rotation).
    pub rotation_enabled: Option<bool>,
    /// `VersionIdsToStages`.
    pub versions: HashMap<String, Vec<String>>,
    /// `NextRotationDate`, when Secrets Manager has scheduled one.
    pub next_rotation: Option<DateTime<Utc>>,
    /// `RotationRules.AutomaticallyAfterDays`.
    pub rotation_days: Option<i64>,
}

/// Describes the secret: rotation state and version stages.
pub async fn describe(sm: &Client, secret_id: &str) -> Result<SecretFacts, Error> {
    let out = sm
        .describe_secret()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| Error::aws("DescribeSecret", e))?;
    Ok(SecretFacts {
        rotation_enabled: out.rotation_enabled,
        versions: out.version_ids_to_stages.unwrap_or_default(),
        next_rotation: out
            .next_rotation_date
            .as_ref()
            .and_then(shared::time::from_aws),
        rotation_days: out
            .rotation_rules
            .as_ref()
            .and_then(|r| r.automatically_after_days),
    })
}

/// The secret's value at `stage` (and `version`, when given); `None` when that
/// version has no value yet.
pub use shared::postgres::secret_at as get;

/// A new random password from Secrets Manager.
pub async fn random_password(sm: &Client, length: i64, exclude: &str) -> Result<String, Error> {
    let out = sm
        .get_random_password()
        .password_length(length)
        .exclude_characters(exclude)
        .send()
        .await
        .map_err(|e| Error::aws("GetRandomPassword", e))?;
    out.random_password
        .filter(|p| !p.is_empty())
        .ok_or_else(|| Error::Unexpected("GetRandomPassword returned no password".into()))
}

/// Stores `secret` as the `AWSPENDING` value of version `token`.
pub async fn put_pending(
    sm: &Client,
    secret_id: &str,
    token: &str,
    secret: &DbSecret,
) -> Result<(), Error> {
    sm.put_secret_value()
        .secret_id(secret_id)
        .client_request_token(token)
        .secret_string(secret.to_secret_string())
        .version_stages(crate::step::AWSPENDING)
        .send()
        .await
        .map(drop)
        .map_err(|e| Error::aws("PutSecretValue", e))
}

/// Moves `AWSCURRENT` from `current` to `token`.
pub async fn promote(
    sm: &Client,
    secret_id: &str,
    token: &str,
    current: Option<&str>,
) -> Result<(), Error> {
    sm.update_secret_version_stage()
        .secret_id(secret_id)
        .version_stage(crate::step::AWSCURRENT)
        .move_to_version_id(token)
        .set_remove_from_version_id(current.map(str::to_owned))
        .send()
        .await
        .map(drop)
        .map_err(|e| Error::aws("UpdateSecretVersionStage", e))
}
