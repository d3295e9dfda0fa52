//! What an ops action is asked to do: the action id, its fields, each
//! checked for type and static bounds before anything is read or changed,
//! and `confirm` — a JSON boolean, never read as a yes from anything else.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use shared::event::parse_payload;
use shared::runbook::limits;
use shared::{Error, Stamp};

/// Every action id, in the README's order.
pub const ACTIONS: [&str; 9] = [
    "set-lambda-concurrency",
    "set-provisioned-concurrency",
    "set-db-capacity",
    "restore-db-snapshot",
    "s3-backup-sync",
    "snapshot-status",
    "restore-s3-object-version",
    "cloudfront-invalidate",
    "set-cloudfront-ttl",
];

/// Which way `s3-backup-sync` copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `FRONTEND_BUCKET` → `BACKUP_BUCKET`.
    Backup,
    /// `BACKUP_BUCKET` → `FRONTEND_BUCKET`.
    Restore,
}

/// An action and its checked fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Reserved concurrency of a function.
    LambdaConcurrency {
        /// The function (default `API_FUNCTION_NAME`).
        function: String,
        /// The new reserved concurrency (≥ 0).
        reserved: i64,
    },
    /// Provisioned concurrency of an alias or version.
    ProvisionedConcurrency {
        /// The function (default `API_FUNCTION_NAME`).
        function: String,
        /// An alias or published version, never `$LATEST`.
        qualifier: String,
        /// The new count (0 removes the configuration).
        count: i64,
    },
    /// Aurora Serverless v2 capacity of `DB_CLUSTER_ID`.
    DbCapacity {
        /// New minimum ACU, if asked.
        min: Option<f64>,
        /// New maximum ACU, if asked.
        max: Option<f64>,
    },
    /// A new cluster restored from a snapshot.
    RestoreDbSnapshot {
        /// The cluster snapshot.
        snapshot: String,
        /// The new cluster's id (default `$DB_CLUSTER_ID-restored`).
        target: String,
    },
    /// The frontend bucket synced to the backup bucket, or back.
    S3BackupSync {
        /// Which way.
        direction: Direction,
        /// Delete what only the destination has.
        delete: bool,
    },
    /// The cluster's snapshots (read-only).
    SnapshotStatus,
    /// One object of the frontend bucket put back to an older version.
    RestoreS3ObjectVersion {
        /// The object key.
        key: String,
        /// The version to make the latest again.
        version_id: String,
    },
    /// A CloudFront invalidation.
    CloudfrontInvalidate {
        /// The distribution id.
        distribution: String,
        /// Paths, each starting with `/` (default `/*`).
        paths: Vec<String>,
    },
    /// A cache policy's default TTL.
    SetCloudfrontTtl {
        /// The cache policy id.
        cache_policy: String,
        /// Seconds, 0–31,536,000.
        default_ttl: i64,
    },
}

impl Action {
    /// The action id.
    pub fn id(&self) -> &'static str {
        match self {
            Action::LambdaConcurrency { .. } => ACTIONS[0],
            Action::ProvisionedConcurrency { .. } => ACTIONS[1],
            Action::DbCapacity { .. } => ACTIONS[2],
            Action::RestoreDbSnapshot { .. } => ACTIONS[3],
            Action::S3BackupSync { .. } => ACTIONS[4],
            Action::SnapshotStatus => ACTIONS[5],
            Action::RestoreS3ObjectVersion { .. } => ACTIONS[6],
            Action::CloudfrontInvalidate { .. } => ACTIONS[7],
            Action::SetCloudfrontTtl { .. } => ACTIONS[8],
        }
    }
}

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub struct OpsRequest {
    /// The run's "now" (from `at`/`time`, else the clock).
    pub now: DateTime<Utc>,
    /// Whether the event's time came from the event (it then names the invalidation).
    pub timed: bool,
    /// The invocation's request id (Lambda keeps it across its own retries).
    pub request_id: String,
    /// The action.
    pub action: Action,
    /// The event's `confirm`.
    pub confirm: bool,
    /// `dry_run`, else `DRY_RUN`.
    pub dry_run: bool,
    /// The fields as sent (for the invalidation's caller reference).
    pub payload: Value,
}

impl OpsRequest {
    /// Whether this run may change anything: confirmed and not a dry run.
    pub fn may_change(&self) -> bool {
        self.confirm && !self.dry_run
    }
}

impl shared::entry::Request for OpsRequest {
    fn stamp(&self) -> Stamp {
        Stamp {
            at: self.now,
            dry_run: self.dry_run,
        }
    }
}

/// What the defaults of the fields come from.
#[derive(Debug, Clone)]
pub struct Defaults<'a> {
    /// `API_FUNCTION_NAME`.
    pub function: &'a str,
    /// `DB_CLUSTER_ID`, for the restore target's default.
    pub cluster: &'a str,
    /// `DRY_RUN`.
    pub dry_run: bool,
}

fn invalid(message: String) -> Error {
    Error::InvalidInput(message)
}

/// The field `name`, unless missing or `null`.
fn get<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields.get(name).filter(|v| !v.is_null())
}

fn string(fields: &Map<String, Value>, name: &str, what: &str) -> Result<Option<String>, Error> {
    match get(fields, name) {
        None => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 1024 => {
            Ok(Some(s.trim().to_owned()))
        }
        Some(_) => Err(invalid(format!("`{name}` must be {what}"))),
    }
}

fn required_string(fields: &Map<String, Value>, name: &str, what: &str) -> Result<String, Error> {
    string(fields, name, what)?.ok_or_else(|| invalid(format!("`{name}` is required: {what}")))
}

fn integer(
    fields: &Map<String, Value>,
    name: &str,
    lo: i64,
    hi: i64,
) -> Result<Option<i64>, Error> {
    match get(fields, name) {
        None => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
            _ => Err(invalid(format!("`{name}` must be an integer {lo}–{hi}"))),
        },
    }
}

fn boolean(fields: &Map<String, Value>, name: &str) -> Result<Option<bool>, Error> {
    match get(fields, name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(format!(
            "`{name}` must be true or false (a JSON boolean, not a string or a number)"
        ))),
    }
}

fn acu(fields: &Map<String, Value>, name: &str) -> Result<Option<f64>, Error> {
    match get(fields, name) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| {
                invalid(format!(
                    "`{name}` must be a number of ACUs (multiples of 0.5)"
                ))
            }),
    }
}

/// Lambda function names: 1–64 letters, digits, hyphens or underscores (or an ARN).
fn function_name(name: &str) -> bool {
    let plain = |n: &str| {
        (1..=64).contains(&n.len())
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    plain(name)
        || (name.starts_with("arn:aws") && name.len() <= 140 && name.split(':').count() >= 7)
}

/// An RDS cluster id that leaves room for `-instance-1`: a letter first,
/// letters, digits and single hyphens, no trailing hyphen, ≤ 52 characters.
pub fn valid_restore_target(id: &str) -> bool {
    limits::rds_identifier(id, limits::RESTORE_TARGET_MAX_LEN)
}

impl OpsRequest {
    /// Reads and checks `payload`; `InvalidInput` names the field and what
    /// it allows (an unknown action lists the known ones).
    pub fn parse(
        payload: Value,
        defaults: &Defaults<'_>,
        request_id: &str,
        clock: impl FnOnce() -> DateTime<Utc>,
    ) -> Result<Self, Error> {
        let common = parse_payload::<serde::de::IgnoredAny>(payload.clone())?.common;
        let time = common.event_time(clock)?;
        let Some(fields) = payload.as_object() else {
            return Err(invalid("expected a JSON object with an `action`".into()));
        };
        let known = ACTIONS.join(", ");
        let id = match get(fields, "action") {
            None => return Err(invalid(format!("`action` is required: one of {known}"))),
            Some(Value::String(id)) if ACTIONS.contains(&id.as_str()) => id.as_str(),
            Some(_) => return Err(invalid(format!("`action` must be one of {known}"))),
        };
        let confirm = boolean(fields, "confirm")?.unwrap_or(false);
        let function = || -> Result<String, Error> {
            let function = string(fields, "function", "a Lambda function name")?
                .unwrap_or_else(|| defaults.function.to_owned());
            if !function_name(&function) {
                return Err(invalid("`function` must be a Lambda function name (letters, digits, - and _, at most 64) or ARN".into()));
            }
            Ok(function)
        };
        let action = match id {
            "set-lambda-concurrency" => Action::LambdaConcurrency {
                function: function()?,
                reserved: integer(fields, "reserved", 0, 1_000_000)?
                    .ok_or_else(|| invalid("`reserved` is required: an integer ≥ 0".into()))?,
            },
            "set-provisioned-concurrency" => {
                let qualifier = required_string(fields, "qualifier", "an alias or a published version of the function (never $LATEST)")?;
                if qualifier == "$LATEST" {
                    return Err(invalid("`qualifier` must be an alias or a published version: $LATEST cannot have provisioned concurrency".into()));
                }
                if qualifier.len() > 128 || !qualifier.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                    return Err(invalid("`qualifier` must be an alias or version of letters, digits, - and _".into()));
                }
                Action::ProvisionedConcurrency {
                    function: function()?,
                    qualifier,
                    count: integer(fields, "count", 0, 1_000_000)?
                        .ok_or_else(|| invalid("`count` is required: an integer ≥ 0 (0 removes the configuration)".into()))?,
                }
            }
            "set-db-capacity" => {
                let (min, max) = (acu(fields, "min")?, acu(fields, "max")?);
                if min.is_none() && max.is_none() {
                    return Err(invalid("`min` or `max` is required (ACUs; the other keeps its current value)".into()));
                }
                Action::DbCapacity { min, max }
            }
            "restore-db-snapshot" => {
                let snapshot = required_string(fields, "snapshot", "the id of an available cluster snapshot")?;
                let target = string(fields, "target", "a new cluster id")?
                    .unwrap_or_else(|| format!("{}-restored", defaults.cluster));
                if !valid_restore_target(&target) {
                    return Err(invalid(format!(
                        "`target` must be a cluster id: a letter first, then letters, digits and single hyphens, no trailing hyphen, at most {} characters (so `<target>-instance-1` fits)",
                        limits::RESTORE_TARGET_MAX_LEN
                    )));
                }
                Action::RestoreDbSnapshot { snapshot, target }
            }
            "s3-backup-sync" => Action::S3BackupSync {
                direction: match string(fields, "direction", "`backup` or `restore`")?.as_deref() {
                    None | Some("backup") => Direction::Backup,
                    Some("restore") => Direction::Restore,
                    Some(_) => return Err(invalid("`direction` must be `backup` (frontend → backup bucket) or `restore` (back)".into())),
                },
                delete: boolean(fields, "delete")?.unwrap_or(false),
            },
            "snapshot-status" => Action::SnapshotStatus,
            "restore-s3-object-version" => Action::RestoreS3ObjectVersion {
                key: required_string(fields, "key", "the object's key in FRONTEND_BUCKET")?,
                version_id: required_string(fields, "version_id", "the version id to restore")?,
            },
            "cloudfront-invalidate" => {
                let distribution = required_string(fields, "distribution", "a CloudFront distribution id")?;
                if !distribution.bytes().all(|b| b.is_ascii_alphanumeric()) || distribution.len() > 32 {
                    return Err(invalid("`distribution` must be a distribution id like E2QWRUHAPOMQZL".into()));
                }
                let paths = match get(fields, "paths") {
                    None => vec!["/*".to_owned()],
                    Some(Value::Array(items)) => {
                        let paths: Option<Vec<String>> = items
                            .iter()
                            .map(|p| p.as_str().filter(|p| p.starts_with('/') && p.len() <= 4096).map(str::to_owned))
                            .collect();
                        match paths {
                            Some(paths) if (1..=limits::CLOUDFRONT_INVALIDATION_PATHS_MAX).contains(&paths.len()) => paths,
                            _ => return Err(invalid(format!(
                                "`paths` must be 1–{} strings, each starting with `/` (e.g. [\"/*\"])",
                                limits::CLOUDFRONT_INVALIDATION_PATHS_MAX
                            ))),
                        }
                    }
                    Some(_) => return Err(invalid("`paths` must be a list of paths like [\"/index.html\", \"/assets/*\"]".into())),
                };
                Action::CloudfrontInvalidate { distribution, paths }
            }
            _ => Action::SetCloudfrontTtl {
                cache_policy: required_string(fields, "cache_policy", "a cache policy id")?,
                default_ttl: integer(fields, "default_ttl", 0, limits::CLOUDFRONT_TTL_MAX_SECONDS)?
                    .ok_or_else(|| invalid(format!("`default_ttl` is required: seconds 0–{}", limits::CLOUDFRONT_TTL_MAX_SECONDS)))?,
            },
        };
        Ok(OpsRequest {
            now: time.now,
            timed: time.source != shared::time::TimeSource::Clock,
            request_id: request_id.to_owned(),
            action,
            confirm,
            dry_run: common.dry_run(defaults.dry_run),
            payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const DEFAULTS: Defaults<'static> = Defaults {
        function: "goal-mandala-production-api",
        cluster: "goal-mandala-production",
        dry_run: false,
    };

    fn parse(payload: Value) -> Result<OpsRequest, Error> {
        OpsRequest::parse(payload, &DEFAULTS, "req-1", Utc::now)
    }

    fn message(payload: Value) -> String {
        match parse(payload.clone()) {
            Err(Error::InvalidInput(m)) => m,
            other => panic!("{payload}: {other:?}"),
        }
    }

    #[test]
    fn an_unknown_or_missing_action_lists_every_known_one() {
        for payload in [json!({}), json!({"action": "reboot"}), json!({"action": 5})] {
            let m = message(payload);
            for id in ACTIONS {
                assert!(m.contains(id), "{id} in {m}");
            }
        }
    }

    #[test]
    fn confirm_must_be_a_json_boolean() {
        for bad in [json!("true"), json!(1), json!("yes"), json!([true])] {
            let m = message(json!({"action": "snapshot-status", "confirm": bad}));
            assert!(m.contains("`confirm`"), "{m}");
        }
        assert!(
            parse(json!({"action": "snapshot-status", "confirm": true}))
                .unwrap()
                .confirm
        );
        assert!(!parse(json!({"action": "snapshot-status"})).unwrap().confirm);
    }

    #[test]
    fn fields_are_typed_and_named_when_wrong() {
        for (payload, field) in [
            (json!({"action": "set-lambda-concurrency"}), "reserved"),
            (
                json!({"action": "set-lambda-concurrency", "reserved": -1}),
                "reserved",
            ),
            (
                json!({"action": "set-lambda-concurrency", "reserved": 10.5}),
                "reserved",
            ),
            (
                json!({"action": "set-lambda-concurrency", "reserved": "10"}),
                "reserved",
            ),
            (
                json!({"action": "set-lambda-concurrency", "reserved": 10, "function": "bad name!"}),
                "function",
            ),
            (
                json!({"action": "set-provisioned-concurrency", "count": 2}),
                "qualifier",
            ),
            (
                json!({"action": "set-provisioned-concurrency", "qualifier": "$LATEST", "count": 2}),
                "qualifier",
            ),
            (
                json!({"action": "set-provisioned-concurrency", "qualifier": "live"}),
                "count",
            ),
            (json!({"action": "set-db-capacity"}), "min"),
            (json!({"action": "set-db-capacity", "max": "4"}), "max"),
            (json!({"action": "restore-db-snapshot"}), "snapshot"),
            (
                json!({"action": "s3-backup-sync", "direction": "sideways"}),
                "direction",
            ),
            (
                json!({"action": "s3-backup-sync", "delete": "true"}),
                "delete",
            ),
            (
                json!({"action": "restore-s3-object-version", "key": "index.html"}),
                "version_id",
            ),
            (json!({"action": "cloudfront-invalidate"}), "distribution"),
            (
                json!({"action": "cloudfront-invalidate", "distribution": "E123", "paths": "/*"}),
                "paths",
            ),
            (
                json!({"action": "cloudfront-invalidate", "distribution": "E123", "paths": ["index.html"]}),
                "paths",
            ),
            (
                json!({"action": "cloudfront-invalidate", "distribution": "E123", "paths": []}),
                "paths",
            ),
            (
                json!({"action": "set-cloudfront-ttl", "cache_policy": "p"}),
                "default_ttl",
            ),
            (
                json!({"action": "set-cloudfront-ttl", "cache_policy": "p", "default_ttl": 31_536_001}),
                "default_ttl",
            ),
            (
                json!({"action": "set-cloudfront-ttl", "cache_policy": "p", "default_ttl": -1}),
                "default_ttl",
            ),
        ] {
            let m = message(payload.clone());
            assert!(m.contains(&format!("`{field}`")), "{payload}: {m}");
        }
    }

    #[test]
    fn restore_target_names_leave_room_for_the_instance() {
        assert!(valid_restore_target("goal-mandala-production-restored"));
        assert!(valid_restore_target(&format!("a{}", "b".repeat(51))));
        for bad in [
            format!("a{}", "b".repeat(52)),
            "1restored".to_owned(),
            "a--b".to_owned(),
            "restored-".to_owned(),
            "a_b".to_owned(),
            String::new(),
        ] {
            assert!(!valid_restore_target(&bad), "{bad}");
        }
        let r = parse(json!({"action": "restore-db-snapshot", "snapshot": "s1"})).unwrap();
        assert_eq!(
            r.action,
            Action::RestoreDbSnapshot {
                snapshot: "s1".into(),
                target: "goal-mandala-production-restored".into()
            }
        );
    }

    #[test]
    fn defaults_fill_the_function_the_paths_and_the_direction() {
        let r = parse(json!({"action": "set-lambda-concurrency", "reserved": 20})).unwrap();
        assert_eq!(
            r.action,
            Action::LambdaConcurrency {
                function: "goal-mandala-production-api".into(),
                reserved: 20
            }
        );
        let r = parse(json!({"action": "cloudfront-invalidate", "distribution": "E2QWRUHAPOMQZL"}))
            .unwrap();
        assert_eq!(
            r.action,
            Action::CloudfrontInvalidate {
                distribution: "E2QWRUHAPOMQZL".into(),
                paths: vec!["/*".into()]
            }
        );
        let r = parse(json!({"action": "s3-backup-sync"})).unwrap();
        assert_eq!(
            r.action,
            Action::S3BackupSync {
                direction: Direction::Backup,
                delete: false
            }
        );
        assert!(!r.may_change());
        let r =
            parse(json!({"action": "s3-backup-sync", "confirm": true, "dry_run": true})).unwrap();
        assert!(
            !r.may_change(),
            "a dry run changes nothing even when confirmed"
        );
    }
}
