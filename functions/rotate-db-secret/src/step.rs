//! Which rotation step Secrets Manager asks for, and whether the token is in
//! a state to take it (the same checks as AWS's rotation templates).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use aws_lambda_events::event::secretsmanager::SecretsManagerSecretRotationEvent;
use chrono::{DateTime, Utc};
use serde_json::Value;
use shared::event::parse_payload;
use shared::{Error, Stamp};

/// Stage label of the version applications use.
pub const AWSCURRENT: &str = "AWSCURRENT";
/// Stage label of the version being rotated in.
pub const AWSPENDING: &str = "AWSPENDING";
/// Stage label of the version rotated out last time.
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";

/// The four steps of a Secrets Manager rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Generate the new password and store it as `AWSPENDING`.
    Create,
    /// Set it in the database.
    Set,
    /// Log in with it.
    Test,
    /// Move `AWSCURRENT` to it.
    Finish,
}

impl Step {
    /// The name Secrets Manager sends.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Create => "createSecret",
            Step::Set => "setSecret",
            Step::Test => "testSecret",
            Step::Finish => "finishSecret",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Step {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Step::Create, Step::Set, Step::Test, Step::Finish]
            .into_iter()
            .find(|step| step.as_str() == s)
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "unknown rotation step `{s}` (expected createSecret, setSecret, testSecret or finishSecret)"
                ))
            })
    }
}

/// A checked rotation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationRequest {
    /// The secret's ARN or name.
    pub secret_id: String,
    /// The version being rotated in.
    pub token: String,
    /// What to do.
    pub step: Step,
    /// When the step started (Secrets Manager's events carry no time).
    pub at: DateTime<Utc>,
}

impl shared::entry::Request for RotationRequest {
    fn stamp(&self) -> Stamp {
        Stamp {
            at: self.at,
            dry_run: false,
        }
    }
}

impl RotationRequest {
    /// Reads `{"SecretId","ClientRequestToken","Step"}`; anything else is `InvalidInput`.
    pub fn parse(payload: Value, clock: impl FnOnce() -> DateTime<Utc>) -> Result<Self, Error> {
        let event = parse_payload::<SecretsManagerSecretRotationEvent>(payload)?.fields;
        // Secrets Manager's own bounds: a secret id of 1–2048 characters, a
        // version token of 32–64 (it sends a UUID).
        if event.secret_id.trim().is_empty() || event.secret_id.chars().count() > 2048 {
            return Err(Error::InvalidInput(
                "`SecretId` must be a secret name or ARN of 1–2048 characters".into(),
            ));
        }
        let token = event.client_request_token.trim();
        if !(32..=64).contains(&token.len()) || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::InvalidInput(
                "`ClientRequestToken` must be the 32–64 character version id Secrets Manager sends"
                    .into(),
            ));
        }
        Ok(RotationRequest {
            step: event.step.parse()?,
            secret_id: event.secret_id,
            token: event.client_request_token,
            at: clock(),
        })
    }
}

/// What the token's stages say about the requested step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    /// `AWSPENDING`: go on with the step.
    Pending,
    /// Already `AWSCURRENT`: the rotation is done, the step is a no-op.
    AlreadyCurrent,
}

/// Checks rotation is enabled and the token is staged for rotation.
pub fn evaluate_token(
    rotation_enabled: Option<bool>,
    versions: &HashMap<String, Vec<String>>,
    token: &str,
) -> Result<TokenState, Error> {
    if rotation_enabled == Some(false) {
        return Err(Error::InvalidInput(
            "the secret is not enabled for rotation".into(),
        ));
    }
    let Some(stages) = versions.get(token) else {
        return Err(Error::InvalidInput(format!(
            "version {token} is not a version of the secret"
        )));
    };
    if stages.iter().any(|s| s == AWSCURRENT) {
        Ok(TokenState::AlreadyCurrent)
    } else if stages.iter().any(|s| s == AWSPENDING) {
        Ok(TokenState::Pending)
    } else {
        Err(Error::InvalidInput(format!(
            "version {token} is not staged AWSPENDING for rotation"
        )))
    }
}

/// The version that holds `stage`, if any.
pub fn version_with<'a>(
    versions: &'a HashMap<String, Vec<String>>,
    stage: &str,
) -> Option<&'a str> {
    versions
        .iter()
        .find(|(_, stages)| stages.iter().any(|s| s == stage))
        .map(|(id, _)| id.as_str())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn versions(pairs: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(id, stages)| {
                (
                    id.to_string(),
                    stages.iter().map(|s| s.to_string()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn the_four_steps_parse_and_nothing_else_does() {
        const T: &str = "0d7bd3a8-9e45-4ae9-9e8b-66e4b6ea9e0f";
        for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
            let r = RotationRequest::parse(
                json!({"SecretId": "s", "ClientRequestToken": T, "Step": step}),
                Utc::now,
            )
            .unwrap();
            assert_eq!(r.step.as_str(), step);
        }
        for (bad, named) in [
            (
                json!({"SecretId": "s", "ClientRequestToken": T, "Step": "dropSecret"}),
                "dropSecret",
            ),
            (json!({"SecretId": "s", "ClientRequestToken": T}), "Step"),
            (
                json!({"SecretId": "s", "ClientRequestToken": 5, "Step": "setSecret"}),
                "ClientRequestToken",
            ),
            (
                json!({"SecretId": "", "ClientRequestToken": T, "Step": "setSecret"}),
                "SecretId",
            ),
            (
                json!({"SecretId": "s".repeat(2049), "ClientRequestToken": T, "Step": "setSecret"}),
                "SecretId",
            ),
            (
                json!({"SecretId": "s", "ClientRequestToken": "t", "Step": "setSecret"}),
                "ClientRequestToken",
            ),
            (
                json!({"SecretId": "s", "ClientRequestToken": T.repeat(3), "Step": "setSecret"}),
                "ClientRequestToken",
            ),
            (json!(["createSecret"]), "JSON object"),
        ] {
            let err = RotationRequest::parse(bad.clone(), Utc::now).unwrap_err();
            assert_eq!(err.error_type(), shared::ErrorType::InvalidInput, "{bad}");
            assert!(err.to_string().contains(named), "{named}: {err}");
        }
    }

    #[test]
    fn the_sample_events_are_the_four_steps() {
        let samples = [
            (
                include_str!("../../../events/rotate-db-secret/create-secret.json"),
                Step::Create,
            ),
            (
                include_str!("../../../events/rotate-db-secret/set-secret.json"),
                Step::Set,
            ),
            (
                include_str!("../../../events/rotate-db-secret/test-secret.json"),
                Step::Test,
            ),
            (
                include_str!("../../../events/rotate-db-secret/finish-secret.json"),
                Step::Finish,
            ),
        ];
        for (text, step) in samples {
            let r = RotationRequest::parse(serde_json::from_str(text).unwrap(), Utc::now).unwrap();
            assert_eq!(r.step, step);
            assert!(r.secret_id.starts_with("arn:aws:secretsmanager:"));
        }
    }

    #[test]
    fn a_pending_token_proceeds_and_a_current_one_is_a_no_op() {
        let v = versions(&[("old", &[AWSCURRENT]), ("new", &[AWSPENDING])]);
        assert_eq!(
            evaluate_token(Some(true), &v, "new").unwrap(),
            TokenState::Pending
        );
        let v = versions(&[("old", &[AWSPREVIOUS]), ("new", &[AWSCURRENT, AWSPENDING])]);
        assert_eq!(
            evaluate_token(Some(true), &v, "new").unwrap(),
            TokenState::AlreadyCurrent
        );
    }

    #[test]
    fn an_unknown_or_unstaged_token_or_disabled_rotation_is_invalid_input() {
        let v = versions(&[("old", &[AWSCURRENT]), ("older", &[AWSPREVIOUS])]);
        for (enabled, token) in [
            (Some(true), "missing"),
            (Some(true), "older"),
            (Some(false), "old"),
        ] {
            let err = evaluate_token(enabled, &v, token).unwrap_err();
            assert_eq!(err.error_type(), shared::ErrorType::InvalidInput);
        }
    }

    #[test]
    fn the_version_holding_a_stage_is_found() {
        let v = versions(&[("old", &[AWSPREVIOUS]), ("cur", &[AWSCURRENT])]);
        assert_eq!(version_with(&v, AWSCURRENT), Some("cur"));
        assert_eq!(version_with(&v, AWSPENDING), None);
    }
}
