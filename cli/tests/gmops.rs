//! The real `gmops` binary against a local Lambda invoke endpoint
//! (`bed::lambda_api`) that runs the real function bootstraps on the bed:
//! each command's payload, `--json`, the exit statuses, the ops prompt on a
//! real terminal (a pty, by util-linux `script`), `--yes`, no terminal, and
//! usage errors.
//!
//! The bootstraps are the workspace's debug builds beside `gmops`; `cargo
//! test --workspace` (`make test`) builds them, since every function has an
//! integration test of its own bootstrap.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_rds::types::ServerlessV2ScalingConfiguration;
use bed::lambda_api::{ErrorAnswer, Invocation, LambdaApi, LocalFunction};
use bed::runtime_api::base_env;
use bed::{Bed, Inbox};
use serde_json::{Value, json};

const CLUSTER: &str = "goal-mandala-production";
const FUNCTIONS: [&str; 8] = [
    "nightly-snapshot",
    "daily-health",
    "security-audit",
    "budget-alert",
    "rotate-access-keys",
    "alarm-triage",
    "ops-action",
    "restore-drill",
];

fn gmops_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gmops"))
}

/// A function's bootstrap, built beside gmops.
fn bootstrap(function: &str) -> PathBuf {
    let path = gmops_binary().with_file_name(function);
    assert!(
        path.exists(),
        "{} is not built: run `cargo test --workspace` (or `cargo build -p {function}` first)",
        path.display()
    );
    path
}

/// The emulated production (the cluster at the runbook's 0.5–2 ACU) and the
/// functions behind a local invoke endpoint.
struct Stack {
    bed: Bed,
    api: LambdaApi,
    rds: aws_sdk_rds::Client,
    _inbox: Inbox,
}

impl Stack {
    async fn start() -> Stack {
        Stack::start_answering(ErrorAnswer::Lambda).await
    }

    async fn start_answering(errors: ErrorAnswer) -> Stack {
        let bed = Bed::start().unwrap();
        let sdk = bed.sdk_config();
        let inbox = Inbox::ops(&sdk).await.unwrap();
        let rds = aws_sdk_rds::Client::new(&sdk);
        bed::production::create_cluster(&rds, CLUSTER)
            .await
            .unwrap();
        let functions = FUNCTIONS
            .iter()
            .map(|name| {
                let mut env = base_env();
                env.retain(|(k, _)| k != "AWS_ACCESS_KEY_ID" && k != "NOTIFY_TOPIC_ARN");
                env.extend(
                    [
                        ("AWS_ENDPOINT_URL", bed.endpoint()),
                        ("NOTIFY_TOPIC_ARN", inbox.topic_arn.as_str()),
                        // Signed as the function: the permission test checks its calls.
                        ("AWS_ACCESS_KEY_ID", &format!("fn-{name}")),
                    ]
                    .map(|(k, v)| (k.to_owned(), v.to_owned())),
                );
                LocalFunction {
                    name: (*name).to_owned(),
                    bootstrap: bootstrap(name),
                    env,
                }
            })
            .collect();
        let api = LambdaApi::start_answering(functions, errors).unwrap();
        Stack {
            bed,
            api,
            rds,
            _inbox: inbox,
        }
    }

    /// gmops's environment: the local endpoint, dummy credentials, no colour.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PATH", std::env::var("PATH").unwrap_or_default()),
            ("AWS_ENDPOINT_URL_LAMBDA", self.api.endpoint().to_owned()),
            ("AWS_REGION", "ap-northeast-1".into()),
            ("AWS_ACCESS_KEY_ID", "operator".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
            ("NO_COLOR", "1".into()),
        ]
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(gmops_binary());
        command.args(args).env_clear().envs(self.env());
        command
    }

    /// Runs gmops without a terminal (stdin empty).
    fn run(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Runs gmops on a terminal of its own (stdin, stdout and stderr a pty).
    fn on_terminal(&self, args: &[&str]) -> Terminal {
        self.on_terminal_with(args, &[])
    }

    /// Like [`Stack::on_terminal`], with `unset` removed from gmops's environment.
    fn on_terminal_with(&self, args: &[&str], unset: &[&str]) -> Terminal {
        let line = std::iter::once(gmops_binary().display().to_string())
            .chain(args.iter().map(|a| (*a).to_owned()))
            .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
            .collect::<Vec<_>>()
            .join(" ");
        // util-linux `script` runs the line on a new pty and relays our pipes to it.
        let mut child = Command::new("script")
            .args(["-q", "-e", "-f", "-c", &line, "/dev/null"])
            .env_clear()
            .envs(self.env().into_iter().filter(|(k, _)| !unset.contains(k)))
            .env("SHELL", "/bin/sh")
            .env("TERM", "dumb")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("util-linux `script`");
        let output = Arc::new(Mutex::new(String::new()));
        let mut stdout = child.stdout.take().unwrap();
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Terminal { child, output }
    }

    fn invocations(&self) -> Vec<Invocation> {
        self.api.invocations()
    }

    async fn capacity(&self) -> (f64, f64) {
        bed::production::capacity(&self.rds, CLUSTER).await.unwrap()
    }
}

/// gmops running on a pty.
struct Terminal {
    child: std::process::Child,
    output: Arc<Mutex<String>>,
}

impl Terminal {
    /// Waits until the terminal shows `text`.
    fn wait_for(&self, text: &str) {
        let started = Instant::now();
        while !self.output.lock().unwrap().contains(text) {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the terminal never showed {text:?}: {}",
                self.output.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `line` and Enter.
    fn type_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\r").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for gmops to end: its exit status and everything the terminal showed.
    fn finish(mut self) -> (i32, String) {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "gmops did not end: {}",
                self.output.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(100));
        let shown = self.output.lock().unwrap().clone();
        (status.code().unwrap_or(-1), shown)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn modify_calls(stack: &Stack) -> usize {
    stack
        .bed
        .writes()
        .unwrap()
        .iter()
        .filter(|r| r.name() == "ModifyDBCluster")
        .count()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_command_sends_its_documented_payload_to_its_function() {
    let stack = Stack::start().await;
    let replay = root().join("events/alarm-triage/eventbridge-high-error-rate.json");
    let replayed: Value = serde_json::from_str(&std::fs::read_to_string(&replay).unwrap()).unwrap();
    let cases: Vec<(Vec<&str>, &str, Value)> = vec![
        (
            vec!["snapshot", "--reason", "pre-deploy", "--dry-run"],
            "nightly-snapshot",
            json!({"reason": "pre-deploy", "dry_run": true}),
        ),
        (
            vec!["health", "--date", "2026-11-30"],
            "daily-health",
            json!({"date": "2026-11-30"}),
        ),
        (
            vec![
                "audit",
                "--lookback-hours",
                "2",
                "--at",
                "2026-12-01T08:00:00+09:00",
            ],
            "security-audit",
            json!({"lookback_hours": 2, "at": "2026-12-01T08:00:00+09:00"}),
        ),
        (
            vec!["budget", "--month", "2026-11"],
            "budget-alert",
            json!({"month": "2026-11"}),
        ),
        (
            vec![
                "keys",
                "--user",
                "github-actions-deploy",
                "--force",
                "--dry-run",
            ],
            "rotate-access-keys",
            json!({"users": ["github-actions-deploy"], "force_rotate": true, "dry_run": true}),
        ),
        (
            vec!["triage", "--replay", replay.to_str().unwrap()],
            "alarm-triage",
            replayed,
        ),
        (
            vec!["ops", "snapshot-status"],
            "ops-action",
            json!({"action": "snapshot-status"}),
        ),
        (
            vec!["drill", "--dry-run"],
            "restore-drill",
            json!({"dry_run": true}),
        ),
        (
            vec![
                "invoke",
                "daily-health",
                "--payload",
                r#"{"date": "2026-11-29"}"#,
            ],
            "daily-health",
            json!({"date": "2026-11-29"}),
        ),
    ];
    for (args, function, payload) in cases {
        let before = stack.invocations().len();
        let output = stack.run(&args);
        let invocations = stack.invocations();
        assert_eq!(
            invocations.len(),
            before + 1,
            "{args:?}: {}",
            text(&output.stderr)
        );
        let sent = invocations.last().unwrap();
        assert_eq!(sent.function, function, "{args:?}");
        assert_eq!(sent.payload, payload, "{args:?}");
        // Whatever the function said, gmops showed it: a report or its error.
        let answer: Value = serde_json::from_slice(&sent.answer).unwrap();
        match answer["errorType"].as_str() {
            Some(error_type) => {
                assert_eq!(code(&output), 3, "{args:?}");
                assert!(text(&output.stderr).contains(error_type), "{args:?}");
            }
            None => {
                let title = answer["title"].as_str().unwrap();
                assert!(
                    text(&output.stdout).contains(title),
                    "{args:?}: {}",
                    text(&output.stdout)
                );
                let expected = match answer["severity"].as_str().unwrap() {
                    "info" => 0,
                    "warning" => 1,
                    _ => 2,
                };
                assert_eq!(
                    code(&output),
                    expected,
                    "{args:?}: {}",
                    text(&output.stdout)
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_prints_the_functions_response_exactly() {
    let stack = Stack::start().await;
    let output = stack.run(&["health", "--date", "2026-11-30", "--json"]);
    let sent = stack.invocations().pop().unwrap();
    assert!(!sent.answer.is_empty());
    let mut expected = sent.answer.clone();
    expected.push(b'\n');
    assert_eq!(text(&output.stdout), text(&expected));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_exit_status_says_info_warning_critical_error_or_not_invoked() {
    let stack = Stack::start().await;
    // info: the cluster's snapshots, read-only.
    let info = stack.run(&["ops", "snapshot-status"]);
    assert_eq!(code(&info), 0, "{}", text(&info.stdout));
    assert!(
        text(&info.stdout).starts_with("[情報] "),
        "{}",
        text(&info.stdout)
    );
    // warning: a dry run of a capacity off the runbook (runbook-value).
    let warning = stack.run(&[
        "ops",
        "set-db-capacity",
        "--min",
        "1",
        "--max",
        "4",
        "--dry-run",
    ]);
    assert_eq!(code(&warning), 1, "{}", text(&warning.stdout));
    assert!(text(&warning.stdout).contains("runbook-value"));
    // critical: a DeleteDBCluster seen in real time.
    let event = root().join("events/security-audit/realtime-delete-db-cluster.json");
    let critical = stack.run(&[
        "invoke",
        "security-audit",
        "--payload",
        &format!("@{}", event.display()),
        "--dry-run",
    ]);
    assert_eq!(
        code(&critical),
        2,
        "{}{}",
        text(&critical.stdout),
        text(&critical.stderr)
    );
    assert!(
        text(&critical.stdout).starts_with("[重大] "),
        "{}",
        text(&critical.stdout)
    );
    // 3: the function's own error, its type and message on stderr.
    let error = stack.run(&[
        "invoke",
        "ops-action",
        "--payload",
        r#"{"action": "reboot-everything"}"#,
    ]);
    assert_eq!(code(&error), 3);
    let stderr = text(&error.stderr);
    assert!(
        stderr.contains("InvalidInput") && stderr.contains("set-db-capacity"),
        "{stderr}"
    );
    // --json with an error: the error payload as Lambda returned it.
    let error_json = stack.run(&[
        "invoke",
        "ops-action",
        "--payload",
        r#"{"action": "reboot-everything"}"#,
        "--json",
    ]);
    let printed: Value = serde_json::from_slice(&error_json.stdout).unwrap();
    assert_eq!(printed["errorType"], "InvalidInput");
    // 4: no such function on the endpoint.
    let unknown = stack.run(&["invoke", "no-such-function"]);
    assert_eq!(code(&unknown), 4);
    assert!(
        text(&unknown.stderr).contains("ResourceNotFoundException"),
        "{}",
        text(&unknown.stderr)
    );
    // 4: nothing listening.
    let nowhere = stack.run(&["--endpoint", "http://127.0.0.1:9", "health"]);
    assert_eq!(code(&nowhere), 4, "{}", text(&nowhere.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_usage_error_is_64_and_sends_nothing() {
    let stack = Stack::start().await;
    for args in [
        &["ops", "set-db-capacity", "--mni", "1"][..],
        &["ops", "set-db-capacity", "--min", "one"],
        &["ops", "set-db-capacity"],
        &["budget", "--month", "2026-13"],
        &["triage", "--replay", "/nonexistent/event.json"],
        &["launch-rockets"],
    ] {
        let output = stack.run(args);
        assert_eq!(code(&output), 64, "{args:?}: {}", text(&output.stderr));
        assert!(!output.stderr.is_empty());
    }
    // clap's suggestion names the flag the operator meant.
    let typo = stack.run(&["ops", "set-db-capacity", "--maax", "4"]);
    assert_eq!(code(&typo), 64);
    assert!(
        text(&typo.stderr).contains("a similar argument exists: '--max'"),
        "{}",
        text(&typo.stderr)
    );
    assert!(stack.invocations().is_empty());
    assert_eq!(code(&stack.run(&["--help"])), 0);
    let completions = stack.run(&["completions", "bash"]);
    assert_eq!(code(&completions), 0);
    assert!(text(&completions.stdout).contains("set-db-capacity"));
}

#[tokio::test(flavor = "multi_thread")]
async fn ops_asks_and_y_sends_the_same_payload_confirmed() {
    let stack = Stack::start().await;
    let mut terminal = stack.on_terminal(&["ops", "set-db-capacity", "--min", "1", "--max", "4"]);
    terminal.wait_for("この変更を実行しますか？ [y/N]");
    // The plan changed nothing, and showed current → proposed.
    assert_eq!(stack.capacity().await, (0.5, 2.0));
    terminal.type_line("y");
    let (status, shown) = terminal.finish();
    assert_eq!(status, 1, "{shown}"); // warning: 1–4 is not the runbook's 0.5–2
    assert!(
        shown.contains("計画: set-db-capacity → goal-mandala-production"),
        "{shown}"
    );
    assert!(shown.contains("  min   0.5   →  1\r\n"), "{shown}"); // the pty writes \r\n
    assert!(shown.contains("runbook-value"), "{shown}");
    assert_eq!(stack.capacity().await, (1.0, 4.0));
    let invocations = stack.invocations();
    assert_eq!(invocations.len(), 2);
    let plan = json!({"action": "set-db-capacity", "min": 1.0, "max": 4.0});
    assert_eq!(invocations[0].payload, plan);
    let mut confirmed = plan.clone();
    confirmed["confirm"] = json!(true);
    assert_eq!(invocations[1].payload, confirmed);
    assert!(!shown.contains("変わっていました"), "{shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ops_answered_n_changes_nothing() {
    let stack = Stack::start().await;
    let mut terminal = stack.on_terminal(&["--lang", "en", "ops", "set-db-capacity", "--max", "4"]);
    terminal.wait_for("Apply this change? [y/N]");
    terminal.type_line("n");
    let (status, shown) = terminal.finish();
    assert_eq!(status, 0, "{shown}");
    assert!(shown.contains("cancelled"), "{shown}");
    assert_eq!(stack.invocations().len(), 1);
    assert_eq!(modify_calls(&stack), 0);
    assert_eq!(stack.capacity().await, (0.5, 2.0));
}

#[tokio::test(flavor = "multi_thread")]
async fn ops_says_when_the_current_values_changed_after_the_plan() {
    let stack = Stack::start().await;
    let mut terminal = stack.on_terminal(&["ops", "set-db-capacity", "--max", "4"]);
    terminal.wait_for("[y/N]");
    // Someone else scales the cluster while the plan is on screen.
    stack
        .rds
        .modify_db_cluster()
        .db_cluster_identifier(CLUSTER)
        .serverless_v2_scaling_configuration(
            ServerlessV2ScalingConfiguration::builder()
                .min_capacity(1.0)
                .max_capacity(2.0)
                .build(),
        )
        .send()
        .await
        .unwrap();
    terminal.type_line("y");
    let (_, shown) = terminal.finish();
    assert!(
        shown.contains("計画の表示後に現在値が変わっていました"),
        "{shown}"
    );
    assert_eq!(stack.capacity().await, (1.0, 4.0));
}

#[tokio::test(flavor = "multi_thread")]
async fn ops_without_a_terminal_shows_the_plan_and_refuses_unless_yes() {
    let stack = Stack::start().await;
    let refused = stack.run(&["ops", "set-db-capacity", "--min", "1", "--max", "4"]);
    assert_eq!(code(&refused), 1);
    assert!(
        text(&refused.stdout).contains("計画: set-db-capacity"),
        "{}",
        text(&refused.stdout)
    );
    assert!(
        text(&refused.stderr).contains("--yes"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(stack.invocations().len(), 1);
    assert_eq!(modify_calls(&stack), 0);

    let confirmed = stack.run(&[
        "ops",
        "set-db-capacity",
        "--min",
        "1",
        "--max",
        "4",
        "--yes",
    ]);
    assert_eq!(code(&confirmed), 1, "{}", text(&confirmed.stderr)); // runbook-value warning
    assert_eq!(stack.capacity().await, (1.0, 4.0));
    let invocations = stack.invocations();
    assert_eq!(invocations.len(), 3);
    assert_eq!(invocations[2].payload["confirm"], json!(true));

    // Already as asked: nothing to confirm, no second invocation.
    let again = stack.run(&["ops", "set-db-capacity", "--min", "1", "--max", "4"]);
    assert_eq!(stack.invocations().len(), 4, "{}", text(&again.stdout));
    assert_eq!(code(&again), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_function_error_from_cargo_lambda_watch_is_still_the_functions_error() {
    // cargo lambda watch answers an error with HTTP 500 and the error document.
    let stack = Stack::start_answering(ErrorAnswer::CargoLambdaWatch).await;
    let error = stack.run(&[
        "invoke",
        "ops-action",
        "--payload",
        r#"{"action": "reboot-everything"}"#,
    ]);
    assert_eq!(code(&error), 3, "{}", text(&error.stderr));
    assert!(
        text(&error.stderr).contains("InvalidInput"),
        "{}",
        text(&error.stderr)
    );
    let unknown = stack.run(&["invoke", "no-such-function"]);
    assert_eq!(code(&unknown), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_the_severity_is_coloured_unless_no_color() {
    let stack = Stack::start().await;
    let (status, shown) = stack
        .on_terminal_with(&["ops", "snapshot-status"], &["NO_COLOR"])
        .finish();
    assert_eq!(status, 0, "{shown}");
    assert!(shown.contains("[\x1b[1;32m情報\x1b[0m] "), "{shown:?}");
    // The spinner ran on the terminal's stderr and cleared its line.
    assert!(shown.contains("ops-action を実行中…"), "{shown:?}");
    let (_, plain) = stack.on_terminal(&["ops", "snapshot-status"]).finish();
    assert!(
        plain.contains("[情報] ") && !plain.contains("\x1b[1;32m"),
        "{plain:?}"
    );
}
