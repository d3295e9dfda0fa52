//! Each command as the function it runs and the payload DESIGN §4 documents
//! for a by-hand run of that function.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::args::{Command, Direction, Global, OpsAction};

/// The functions of the stack, by their own names.
pub const FUNCTIONS: [&str; 9] = [
    "alarm-triage",
    "nightly-snapshot",
    "rotate-db-secret",
    "rotate-access-keys",
    "budget-alert",
    "daily-health",
    "security-audit",
    "ops-action",
    "restore-drill",
];

/// What to invoke.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The function: one of [`FUNCTIONS`], or a name or ARN given to `invoke`.
    pub function: String,
    /// The payload.
    pub payload: Value,
}

/// A command line that names something gmops cannot send (a payload file
/// that cannot be read, JSON that is not JSON).
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A payload's fields, each written only when the command line gave it.
#[derive(Debug, Default)]
struct Fields(Map<String, Value>);

impl Fields {
    fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.0.insert(key.to_owned(), value.into());
    }

    fn some(&mut self, key: &str, value: Option<impl Into<Value>>) {
        if let Some(value) = value {
            self.set(key, value);
        }
    }

    fn flag(&mut self, key: &str, on: bool) {
        if on {
            self.set(key, true);
        }
    }

    fn list(&mut self, key: &str, items: &[String]) {
        if !items.is_empty() {
            self.set(key, items.to_vec());
        }
    }
}

/// The request of `command`; `None` for a command that invokes nothing.
pub fn request(command: &Command, global: &Global) -> Result<Option<Request>, UsageError> {
    let mut fields = Fields::default();
    let function = match command {
        Command::Snapshot { reason } => {
            fields.some("reason", reason.clone());
            "nightly-snapshot"
        }
        Command::Health { date } => {
            fields.some("date", date.map(|d| d.format("%Y-%m-%d").to_string()));
            "daily-health"
        }
        Command::Audit { lookback_hours } => {
            fields.some("lookback_hours", *lookback_hours);
            "security-audit"
        }
        Command::Budget { month } => {
            fields.some("month", month.clone());
            "budget-alert"
        }
        Command::Keys { users, force } => {
            fields.list("users", users);
            fields.flag("force_rotate", *force);
            "rotate-access-keys"
        }
        Command::Triage { replay } => {
            let event = read_object(&json_file(replay)?, &replay.display().to_string())?;
            return Ok(Some(Request {
                function: "alarm-triage".into(),
                payload: with_common(event, global),
            }));
        }
        Command::Drill { snapshot } => {
            fields.some("snapshot", snapshot.clone());
            "restore-drill"
        }
        Command::Ops { action, .. } => {
            fields = ops_fields(action);
            "ops-action"
        }
        Command::Invoke { function, payload } => {
            let payload = match payload.as_deref() {
                None => Value::Object(Map::new()),
                Some(raw) => match raw.strip_prefix('@') {
                    Some(file) => json_file(Path::new(file))?,
                    None => serde_json::from_str(raw)
                        .map_err(|e| UsageError(format!("--payload is not JSON ({e}): {raw}")))?,
                },
            };
            // A non-object payload goes as given: the function answers it.
            let payload = match payload {
                Value::Object(fields) => with_common(fields, global),
                other => other,
            };
            return Ok(Some(Request {
                function: function.clone(),
                payload,
            }));
        }
        Command::Completions { .. } => return Ok(None),
    };
    Ok(Some(Request {
        function: function.into(),
        payload: with_common(fields.0, global),
    }))
}

/// `dry_run` and `at`, which every event may carry (DESIGN §3), when asked for.
fn with_common(mut fields: Map<String, Value>, global: &Global) -> Value {
    if global.dry_run {
        fields.insert("dry_run".into(), json!(true));
    }
    if let Some(at) = global.at {
        fields.insert("at".into(), json!(at.to_rfc3339()));
    }
    Value::Object(fields)
}

/// The ops-action payload's `action` and fields, in the function's names.
fn ops_fields(action: &OpsAction) -> Fields {
    let mut fields = Fields::default();
    let id = match action {
        OpsAction::SetLambdaConcurrency { function, reserved } => {
            fields.some("function", function.clone());
            fields.set("reserved", *reserved);
            "set-lambda-concurrency"
        }
        OpsAction::SetProvisionedConcurrency {
            function,
            qualifier,
            count,
        } => {
            fields.some("function", function.clone());
            fields.set("qualifier", qualifier.clone());
            fields.set("count", *count);
            "set-provisioned-concurrency"
        }
        OpsAction::SetDbCapacity { min, max } => {
            fields.some("min", *min);
            fields.some("max", *max);
            "set-db-capacity"
        }
        OpsAction::RestoreDbSnapshot { snapshot, target } => {
            fields.set("snapshot", snapshot.clone());
            fields.some("target", target.clone());
            "restore-db-snapshot"
        }
        OpsAction::S3BackupSync { direction, delete } => {
            fields.some(
                "direction",
                direction.map(|d| match d {
                    Direction::Backup => "backup",
                    Direction::Restore => "restore",
                }),
            );
            fields.flag("delete", *delete);
            "s3-backup-sync"
        }
        OpsAction::SnapshotStatus => "snapshot-status",
        OpsAction::RestoreS3ObjectVersion { key, version_id } => {
            fields.set("key", key.clone());
            fields.set("version_id", version_id.clone());
            "restore-s3-object-version"
        }
        OpsAction::CloudfrontInvalidate {
            distribution,
            paths,
        } => {
            fields.set("distribution", distribution.clone());
            fields.list("paths", paths);
            "cloudfront-invalidate"
        }
        OpsAction::SetCloudfrontTtl {
            cache_policy,
            default_ttl,
        } => {
            fields.set("cache_policy", cache_policy.clone());
            fields.set("default_ttl", *default_ttl);
            "set-cloudfront-ttl"
        }
    };
    fields.set("action", id);
    fields
}

fn json_file(path: &Path) -> Result<Value, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| UsageError(format!("{} is not JSON: {e}", path.display())))
}

fn read_object(value: &Value, what: &str) -> Result<Map<String, Value>, UsageError> {
    match value {
        Value::Object(fields) => Ok(fields.clone()),
        _ => Err(UsageError(format!(
            "{what} must hold one JSON object (the alarm event)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::Cli;

    fn payload_of(line: &[&str]) -> Request {
        let cli = Cli::try_parse_from(std::iter::once("gmops").chain(line.iter().copied()))
            .unwrap_or_else(|e| panic!("{e}"));
        request(&cli.command, &cli.global).unwrap().unwrap()
    }

    #[test]
    fn each_command_builds_its_documented_payload() {
        let cases: [(&[&str], &str, Value); 10] = [
            (
                &[
                    "drill",
                    "--snapshot",
                    "goal-mandala-production-manual-20261206-043000",
                ],
                "restore-drill",
                json!({"snapshot": "goal-mandala-production-manual-20261206-043000"}),
            ),
            (
                &["drill", "--dry-run"],
                "restore-drill",
                json!({"dry_run": true}),
            ),
            (
                &["snapshot", "--reason", "pre-deploy"],
                "nightly-snapshot",
                json!({"reason": "pre-deploy"}),
            ),
            (
                &["health", "--date", "2026-12-01"],
                "daily-health",
                json!({"date": "2026-12-01"}),
            ),
            (
                &["audit", "--lookback-hours", "72"],
                "security-audit",
                json!({"lookback_hours": 72}),
            ),
            (
                &["budget", "--month", "2026-11"],
                "budget-alert",
                json!({"month": "2026-11"}),
            ),
            (
                &[
                    "keys",
                    "--user",
                    "github-actions-deploy",
                    "--user",
                    "ops-bot",
                    "--force",
                ],
                "rotate-access-keys",
                json!({"users": ["github-actions-deploy", "ops-bot"], "force_rotate": true}),
            ),
            (&["keys"], "rotate-access-keys", json!({})),
            (
                &["ops", "set-db-capacity", "--min", "1", "--max", "4"],
                "ops-action",
                json!({"action": "set-db-capacity", "min": 1.0, "max": 4.0}),
            ),
            (
                &[
                    "ops",
                    "cloudfront-invalidate",
                    "--distribution",
                    "E2QWRUHAPOMQZL",
                    "--path",
                    "/index.html",
                    "--path",
                    "/assets/*",
                ],
                "ops-action",
                json!({"action": "cloudfront-invalidate", "distribution": "E2QWRUHAPOMQZL", "paths": ["/index.html", "/assets/*"]}),
            ),
        ];
        for (line, function, payload) in cases {
            let request = payload_of(line);
            assert_eq!(request.function, function, "{line:?}");
            assert_eq!(request.payload, payload, "{line:?}");
        }
    }

    #[test]
    fn dry_run_and_at_go_into_every_payload_wherever_they_are_written() {
        let request = payload_of(&["--dry-run", "health", "--at", "2026-12-01T09:00:00+09:00"]);
        assert_eq!(
            request.payload,
            json!({"dry_run": true, "at": "2026-12-01T09:00:00+09:00"})
        );
        let request = payload_of(&[
            "invoke",
            "daily-health",
            "--payload",
            r#"{"date":"2026-11-30"}"#,
            "--dry-run",
        ]);
        assert_eq!(
            request.payload,
            json!({"date": "2026-11-30", "dry_run": true})
        );
    }

    #[test]
    fn typed_flags_refuse_what_the_function_would_refuse_before_sending() {
        for line in [
            &["ops", "set-db-capacity"][..],
            &["ops", "set-db-capacity", "--min", "one"],
            &["ops", "set-db-capacity", "--mni", "1"],
            &["ops", "set-lambda-concurrency", "--reserved", "-1"],
            &["audit", "--lookback-hours", "0"],
            &["budget", "--month", "2026-13"],
            &["keys", "--user", "has space"],
            &["health", "--at", "yesterday"],
            &["--lang", "fr", "health"],
        ] {
            let parsed = Cli::try_parse_from(std::iter::once("gmops").chain(line.iter().copied()));
            assert!(parsed.is_err(), "{line:?} was accepted");
        }
    }

    #[test]
    fn a_payload_that_is_not_json_is_a_usage_error() {
        let cli = Cli::try_parse_from(["gmops", "invoke", "daily-health", "--payload", "{date:"])
            .unwrap();
        assert!(request(&cli.command, &cli.global).is_err());
        let cli = Cli::try_parse_from(["gmops", "triage", "--replay", "/nonexistent/event.json"])
            .unwrap();
        let err = request(&cli.command, &cli.global).unwrap_err();
        assert!(err.0.contains("/nonexistent/event.json"), "{err}");
    }
}
