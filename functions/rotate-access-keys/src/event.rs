//! What a key-rotation run is asked to do: the event, read and checked.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use shared::event::parse_payload;
use shared::{Error, Stamp};

use crate::config::valid_user_name;

/// rotate-access-keys' own payload fields (ARCHITECTURE §4).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct KeysEvent {
    /// Only these users (each must be in `ROTATE_USERS`).
    pub users: Option<Vec<String>>,
    /// Rotate now, whatever the key's age.
    pub force_rotate: Option<bool>,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysRequest {
    /// The run's "now", from the event when it has a time.
    pub now: DateTime<Utc>,
    /// The users this run looks after.
    pub users: Vec<String>,
    /// Rotate now.
    pub force_rotate: bool,
    /// Change nothing, report the plan.
    pub dry_run: bool,
}

impl shared::entry::Request for KeysRequest {
    fn stamp(&self) -> Stamp {
        Stamp {
            at: self.now,
            dry_run: self.dry_run,
        }
    }
}

impl KeysRequest {
    /// Reads `payload` against the configured users; a bad shape, time or
    /// user is `InvalidInput`.
    pub fn parse(
        payload: Value,
        configured_users: &[String],
        configured_dry_run: bool,
        clock: impl FnOnce() -> DateTime<Utc>,
    ) -> Result<Self, Error> {
        let payload = parse_payload::<KeysEvent>(payload)?;
        let time = payload.common.event_time(clock)?;
        let users = match payload.fields.users {
            None => configured_users.to_vec(),
            Some(users) if users.is_empty() => {
                return Err(Error::InvalidInput(
                    "`users` must name at least one user (or be left out for all of ROTATE_USERS)"
                        .into(),
                ));
            }
            Some(users) => {
                for user in &users {
                    if !valid_user_name(user) {
                        return Err(Error::InvalidInput(format!(
                            "`users`: `{user}` is not an IAM user name"
                        )));
                    }
                    if !configured_users.contains(user) {
                        return Err(Error::InvalidInput(format!(
                            "`users`: `{user}` is not in ROTATE_USERS ({}); only those users' keys are rotated",
                            configured_users.join(", ")
                        )));
                    }
                }
                let mut unique = users;
                unique.dedup();
                unique
            }
        };
        Ok(KeysRequest {
            now: time.now,
            users,
            force_rotate: payload.fields.force_rotate.unwrap_or(false),
            dry_run: payload.common.dry_run(configured_dry_run),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn clock() -> DateTime<Utc> {
        "2026-11-28T01:00:00Z".parse().unwrap()
    }

    fn configured() -> Vec<String> {
        vec!["github-actions-deploy".into(), "ops-deploy".into()]
    }

    #[test]
    fn a_scheduled_run_covers_every_configured_user_at_its_time() {
        let r = KeysRequest::parse(
            json!({"scheduled_time": "2026-11-28T01:00:00Z"}),
            &configured(),
            false,
            clock,
        )
        .unwrap();
        assert_eq!(r.users, configured());
        assert!(!r.force_rotate && !r.dry_run);
    }

    #[test]
    fn a_manual_run_may_pick_users_force_and_dry_run() {
        let r = KeysRequest::parse(
            json!({"users": ["ops-deploy"], "force_rotate": true, "dry_run": true}),
            &configured(),
            false,
            clock,
        )
        .unwrap();
        assert_eq!(r.users, ["ops-deploy"]);
        assert!(r.force_rotate && r.dry_run);
        assert_eq!(r.now, clock());
    }

    #[test]
    fn bad_payloads_are_invalid_input() {
        for payload in [
            json!([]),
            json!({"users": "github-actions-deploy"}),
            json!({"users": []}),
            json!({"users": [42]}),
            json!({"users": ["someone-else"]}),
            json!({"users": ["bad user"]}),
            json!({"force_rotate": "yes"}),
            json!({"dry_run": 1}),
            json!({"at": "soon"}),
        ] {
            let err = KeysRequest::parse(payload.clone(), &configured(), false, clock).unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{payload}: {err}");
        }
    }
}
