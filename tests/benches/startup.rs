//! `make bench`: what every function costs to start and to ship, measured on
//! its release bootstrap (x86-64, this machine), plus alarm-triage's
//! classifier throughput and a full DB secret rotation on the bed.
//!
//! Per function: 9 cold starts through our Lambda Runtime API (spawn → first
//! `/next` = init; the unreadable event → its `InvalidInput` answer = first
//! invoke; `VmHWM` = peak RSS), the bootstrap's size and its zip's (what
//! Lambda stores). Medians with min..max. Benchmarks report; nothing here
//! asserts a time.

// A bench binary: a failed set-up step is a failed bench, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bed::runtime_api::{ColdStart, base_env, cold_start, unreadable_event};
use bed::{Bed, Inbox, Postgres, PostgresOptions};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::json;
use shared::Env;
use shared::entry::handle;

const COLD_STARTS: usize = 9;

fn main() {
    let root = bed::workspace_root();
    let release = root.join("target/release");
    println!("goal-mandala-ops bench — {}", machine());
    println!();
    println!(
        "{:<20} {:>22} {:>22} {:>20} {:>10} {:>8}",
        "function", "init ms", "first invoke ms", "peak RSS MB", "binary MB", "zip MB"
    );
    for function in functions(&root) {
        let bootstrap = release.join(&function);
        if !bootstrap.exists() {
            println!(
                "{function:<20} not built: run `make bench` (cargo build --release -p {function})"
            );
            continue;
        }
        let starts: Vec<ColdStart> = (0..COLD_STARTS)
            .map(|_| {
                cold_start(
                    &bootstrap,
                    &base_env(),
                    &unreadable_event(),
                    Duration::from_secs(30),
                )
                .unwrap_or_else(|e| panic!("{function}: {e}"))
            })
            .collect();
        let refused = starts.iter().all(|s| {
            s.outcome
                .as_ref()
                .is_err_and(|e| e["errorType"] == "InvalidInput")
        });
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let init: Vec<f64> = starts.iter().map(|s| ms(s.init)).collect();
        let invoke: Vec<f64> = starts.iter().map(|s| ms(s.invoke)).collect();
        let rss: Vec<f64> = starts.iter().map(|s| s.peak_rss as f64 / 1e6).collect();
        let size = std::fs::metadata(&bootstrap).map(|m| m.len()).unwrap_or(0);
        println!(
            "{function:<20} {:>22} {:>22} {:>20} {:>10.2} {:>8.2}{}",
            spread(&init, 1),
            spread(&invoke, 2),
            spread(&rss, 1),
            size as f64 / 1e6,
            zip_size(&bootstrap) as f64 / 1e6,
            if refused {
                ""
            } else {
                "  (!) the unreadable event was not answered InvalidInput"
            }
        );
    }
    println!();
    gmops(&release.join("gmops"));
    println!();
    classifier_throughput(&root);
    println!();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(rotation());
}

/// The command line: its release binary's size, its start (`--version`:
/// spawn → exit) and a whole `gmops health` against a local invoke endpoint
/// that answers at once (start, SDK set-up, one Invoke, the report printed).
fn gmops(binary: &Path) {
    if !binary.exists() {
        println!("gmops: not built: run `make bench` (cargo build --release -p gmops)");
        return;
    }
    let endpoint = canned_invoke_endpoint();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let time = |args: &[&str]| -> Vec<f64> {
        (0..COLD_STARTS)
            .map(|_| {
                let started = Instant::now();
                let out = Command::new(binary)
                    .args(args)
                    .env("AWS_ENDPOINT_URL_LAMBDA", &endpoint)
                    .env("AWS_REGION", "ap-northeast-1")
                    .env("AWS_ACCESS_KEY_ID", "bench")
                    .env("AWS_SECRET_ACCESS_KEY", "bench")
                    .env("AWS_CONFIG_FILE", "/dev/null")
                    .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
                    .output()
                    .unwrap();
                assert!(out.status.success(), "gmops {args:?}: {out:?}");
                ms(started.elapsed())
            })
            .collect()
    };
    let start = time(&["--version"]);
    let health = time(&["health"]);
    let size = std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0);
    println!(
        "gmops: start (--version) {} ms, `gmops health` against an endpoint that answers at once {} ms, binary {:.2} MB",
        spread(&start, 1),
        spread(&health, 1),
        size as f64 / 1e6
    );
}

/// A Lambda invoke endpoint whose every function answers one info report.
fn canned_invoke_endpoint() -> String {
    use bed::runtime_api::{read_request, respond};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let report = json!({
        "schema": "goal-mandala-ops/report/v1", "function": "daily-health", "severity": "info",
        "title": "bench", "summary": "", "at": "2026-12-01T00:00:00Z", "dry_run": false,
        "findings": [], "actions": []
    })
    .to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            while let Ok(Some(_)) = read_request(&mut reader) {
                let _ = respond(&mut writer, "200 OK", &[], report.as_bytes());
            }
        }
    });
    endpoint
}

/// Every function crate, by directory (= package = binary) name.
fn functions(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("functions"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `median (min..max)` with `digits` decimals.
fn spread(values: &[f64], digits: usize) -> String {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    format!(
        "{median:.digits$} ({:.digits$}..{:.digits$})",
        sorted[0],
        sorted[sorted.len() - 1]
    )
}

/// The zip Lambda stores: the bootstrap alone, deflated (as `sam build` packs it).
fn zip_size(bootstrap: &Path) -> u64 {
    let out = std::env::temp_dir().join(format!(
        "bench-{}.zip",
        bootstrap.file_name().unwrap().to_string_lossy()
    ));
    let script = "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z:\n    z.write(sys.argv[1], 'bootstrap')\n";
    let status = Command::new("python3")
        .args(["-c", script])
        .arg(bootstrap)
        .arg(&out)
        .status();
    let size = match status {
        Ok(s) if s.success() => std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0),
        _ => 0,
    };
    let _ = std::fs::remove_file(&out);
    size
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("{date}, {cpu}, {cores} cores, x86-64 release builds")
}

/// alarm-triage's classifier over its corpus, repeated (the rules compiled
/// once, as in a warm Lambda process).
fn classifier_throughput(root: &Path) {
    let corpus =
        std::fs::read_to_string(root.join("functions/alarm-triage/corpus/error-lines.tsv"))
            .unwrap();
    let lines: Vec<&str> = corpus
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.splitn(3, '\t').nth(2))
        .collect();
    let compile = Instant::now();
    let classifier = alarm_triage::classify::Classifier::defaults();
    for line in &lines {
        std::hint::black_box(classifier.classify(line));
    }
    let first = compile.elapsed();
    let rounds = 2_000;
    let started = Instant::now();
    for _ in 0..rounds {
        for line in &lines {
            std::hint::black_box(classifier.classify(std::hint::black_box(line)));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = lines.len() * rounds;
    println!(
        "alarm-triage classifier: {:.0} lines/s on one core ({total} lines in {elapsed:.2} s); rules compiled and first pass over {} lines in {:.1} ms",
        total as f64 / elapsed,
        lines.len(),
        first.as_secs_f64() * 1000.0
    );
}

const SECRET: &str = "goal-mandala/production/database";
const USER: &str = "goal_mandala_user";

/// A full four-step rotation on the bed (TLS PostgreSQL, verified): the AWS
/// calls and database logins of each step.
async fn rotation() {
    let pg = Postgres::start(PostgresOptions {
        tls: true,
        log_connections: true,
        ..PostgresOptions::default()
    })
    .unwrap();
    pg.psql_unlogged(&format!(
        "CREATE ROLE {USER} LOGIN PASSWORD 'Bench-Initial-Pass-01'"
    ))
    .unwrap();
    pg.psql(&format!("CREATE DATABASE goal_mandala OWNER {USER}"))
        .unwrap();
    let bed = Bed::start().unwrap();
    let sdk = bed.sdk_config();
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    let inbox = Inbox::ops(&sdk).await.unwrap();
    let secret = json!({
        "username": USER, "password": "Bench-Initial-Pass-01", "host": "127.0.0.1",
        "port": pg.port(), "database": "goal_mandala"
    });
    sm.create_secret()
        .name(SECRET)
        .secret_string(secret.to_string())
        .send()
        .await
        .unwrap();
    let mut env = Env::from_pairs([("NOTIFY_TOPIC_ARN", inbox.topic_arn.as_str())]);
    env.set("DB_CA_BUNDLE", pg.ca_file().display().to_string());
    let state = rotate_db_secret::RotateDbSecret::new(
        rotate_db_secret::RotationConfig::from_env(&env).unwrap(),
        &sdk,
    )
    .unwrap();
    let token = bed::rotation::begin(&sm, SECRET).await.unwrap();
    println!("rotate-db-secret, one rotation on the bed (TLS PostgreSQL, verify-full):");
    println!("{:<14} {:>8} {:>6}  AWS calls", "step", "ms", "logins");
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        bed.forget_requests().unwrap();
        let logins_before = logins(&pg.server_log());
        let started = Instant::now();
        let event = json!({"SecretId": SECRET, "ClientRequestToken": token, "Step": step});
        handle(&state, LambdaEvent::new(event.into(), Context::default()))
            .await
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        let elapsed = started.elapsed();
        let mut calls: Vec<(String, usize)> = Vec::new();
        for request in bed.requests().unwrap() {
            let name = request.operation.clone().unwrap_or_else(|| request.name());
            match calls.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => calls.push((name, 1)),
            }
        }
        let total: usize = calls.iter().map(|(_, c)| c).sum();
        let listed: Vec<String> = calls
            .iter()
            .map(|(n, c)| {
                if *c > 1 {
                    format!("{n}×{c}")
                } else {
                    n.clone()
                }
            })
            .collect();
        println!(
            "{step:<14} {:>8.1} {:>6}  {total}: {}",
            elapsed.as_secs_f64() * 1000.0,
            logins(&pg.server_log()) - logins_before,
            listed.join(", ")
        );
    }
}

/// Login attempts of the app's user in the server log (authorized or refused).
fn logins(log: &PathBuf) -> usize {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| {
            l.contains(&format!("connection authorized: user={USER}"))
                || l.contains(&format!(
                    "password authentication failed for user \"{USER}\""
                ))
        })
        .count()
}
