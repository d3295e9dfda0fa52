//! A small Lambda Runtime API of our own: spawn a function's bootstrap as
//! Lambda would, hand it one event through `/next`, and take its answer —
//! with the time from spawn to its first `/next` (the init phase), the time
//! of the invocation, and its peak memory (`VmHWM`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::BedError;

/// What one cold start of a bootstrap gave.
#[derive(Debug, Clone)]
pub struct ColdStart {
    /// Spawn → first `GET /next` (what Lambda bills as init).
    pub init: Duration,
    /// Event handed over → the function's response or error.
    pub invoke: Duration,
    /// Peak resident memory when it answered, bytes (`VmHWM`).
    pub peak_rss: u64,
    /// The answer: `Ok(response)` or `Err(error JSON)` (`errorType`, `errorMessage`).
    pub outcome: Result<Value, Value>,
    /// The answer's body, byte for byte.
    pub raw: Vec<u8>,
}

/// An HTTP request as the runtime client (or an SDK) sends it.
#[derive(Debug)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The body (chunked bodies joined).
    pub body: Vec<u8>,
}

/// Runs `bootstrap` with `env` (plus the Runtime API variables) for one
/// `event` and stops it. `timeout` bounds the whole cold start.
pub fn cold_start(
    bootstrap: &Path,
    env: &[(String, String)],
    event: &[u8],
    timeout: Duration,
) -> Result<ColdStart, BedError> {
    cold_start_as("bench", bootstrap, env, event, timeout)
}

/// Like [`cold_start`], as the function `name` (its `AWS_LAMBDA_FUNCTION_NAME`
/// and invoked ARN).
pub fn cold_start_as(
    name: &str,
    bootstrap: &Path,
    env: &[(String, String)],
    event: &[u8],
    timeout: Duration,
) -> Result<ColdStart, BedError> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| BedError(format!("runtime API: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| BedError(format!("runtime API: {e}")))?;
    let mut command = Command::new(bootstrap);
    command
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", name)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let child = command
        .spawn()
        .map_err(|e| BedError(format!("spawning {}: {e}", bootstrap.display())))?;
    let mut guard = Running(child);
    let pid = guard.0.id();
    let event = event.to_vec();
    let arn = format!("arn:aws:lambda:ap-northeast-1:123456789012:function:{name}");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(serve_one(&listener, &event, &arn, pid, started));
    });
    let result = rx.recv_timeout(timeout).map_err(|_| {
        BedError(format!(
            "{} did not answer within {timeout:?}",
            bootstrap.display()
        ))
    })?;
    let _ = guard.0.kill();
    result
}

/// Kills the bootstrap however the run ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_one(
    listener: &TcpListener,
    event: &[u8],
    arn: &str,
    pid: u32,
    started: Instant,
) -> Result<ColdStart, BedError> {
    let mut init = None;
    let mut handed_over = None;
    loop {
        let (stream, _) = listener
            .accept()
            .map_err(|e| BedError(format!("runtime API accept: {e}")))?;
        let mut reader = BufReader::new(
            stream
                .try_clone()
                .map_err(|e| BedError(format!("runtime API: {e}")))?,
        );
        let mut writer = stream;
        // The runtime keeps its connection alive: serve requests on it in turn.
        while let Some(request) = read_request(&mut reader)? {
            if request.method == "GET" && request.path.ends_with("/runtime/invocation/next") {
                if handed_over.is_some() {
                    // A second `/next`: the one event is done; never answered.
                    return Err(BedError("asked for a second event before answering".into()));
                }
                let now = Instant::now();
                init.get_or_insert(now - started);
                handed_over = Some(now);
                let deadline = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() + 60_000)
                    .unwrap_or_default();
                let headers = [
                    ("Lambda-Runtime-Aws-Request-Id", "8476a536-e9f4-11e8-9739-2dfe598c3fcd".to_owned()),
                    ("Lambda-Runtime-Deadline-Ms", deadline.to_string()),
                    ("Lambda-Runtime-Invoked-Function-Arn", arn.to_owned()),
                    ("Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1".to_owned()),
                ];
                respond(&mut writer, "200 OK", &headers, event)?;
                continue;
            }
            let answered = request.path.ends_with("/response") || request.path.ends_with("/error");
            if request.method == "POST" && answered && request.path.contains("/invocation/") {
                let invoke = handed_over.map(|t| t.elapsed()).unwrap_or_default();
                let peak_rss = peak_rss(pid).unwrap_or(0);
                respond(&mut writer, "202 Accepted", &[], b"{}")?;
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                let outcome = if request.path.ends_with("/error") {
                    Err(body)
                } else {
                    Ok(body)
                };
                return Ok(ColdStart {
                    init: init.unwrap_or_default(),
                    invoke,
                    peak_rss,
                    outcome,
                    raw: request.body,
                });
            }
            if request.path.ends_with("/init/error") {
                respond(&mut writer, "202 Accepted", &[], b"{}")?;
                return Err(BedError(format!(
                    "init failed: {}",
                    String::from_utf8_lossy(&request.body)
                )));
            }
            respond(&mut writer, "404 Not Found", &[], b"{}")?;
        }
    }
}

/// The next request on a kept-alive connection; `None` when it closed.
pub fn read_request(reader: &mut BufReader<TcpStream>) -> Result<Option<Request>, BedError> {
    let io = |e: std::io::Error| BedError(format!("runtime API read: {e}"));
    let mut line = String::new();
    if reader.read_line(&mut line).map_err(io)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let (mut length, mut chunked) = (0usize, false);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).map_err(io)? == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).map_err(io)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0u8; size + 2];
            reader.read_exact(&mut chunk).map_err(io)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).map_err(io)?;
    }
    Ok(Some(Request { method, path, body }))
}

/// Writes one JSON response with `headers`.
pub fn respond(
    writer: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<(), BedError> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    writer
        .write_all(head.as_bytes())
        .and_then(|()| writer.write_all(body))
        .and_then(|()| writer.flush())
        .map_err(|e| BedError(format!("runtime API write: {e}")))
}

/// `VmHWM` of `pid`, in bytes.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The payload no JSON reader takes: an object nested 200 deep. A function
/// must still answer it with `InvalidInput` (ARCHITECTURE §3).
pub fn unreadable_event() -> Vec<u8> {
    format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200)).into_bytes()
}

/// The environment every bootstrap needs to start against nothing: a
/// well-formed topic, a region and dummy credentials (the invalid event
/// calls no AWS API).
pub fn base_env() -> Vec<(String, String)> {
    [
        (
            "NOTIFY_TOPIC_ARN",
            "arn:aws:sns:ap-northeast-1:123456789012:goal-mandala-production-ops",
        ),
        // The stack's schedule group and Scheduler role, as the template
        // sets them (restore-drill cannot start without them).
        ("SCHEDULE_GROUP", "goal-mandala-production-ops"),
        (
            "SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/SchedulerRole",
        ),
        ("AWS_REGION", "ap-northeast-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// What a function's integration test checks of its real bootstrap: started
/// as Lambda starts it, the unreadable payload comes back `InvalidInput`
/// with a message saying what was expected.
pub fn check_refuses_unreadable_payload(bootstrap: &Path) -> Result<(), BedError> {
    let start = cold_start(
        bootstrap,
        &base_env(),
        &unreadable_event(),
        Duration::from_secs(60),
    )?;
    let error = match start.outcome {
        Err(error) => error,
        Ok(response) => return Err(BedError(format!("answered {response}"))),
    };
    let message = error["errorMessage"].as_str().unwrap_or_default();
    if error["errorType"] != "InvalidInput" || !message.contains("expected a JSON object") {
        return Err(BedError(format!("answered {error}")));
    }
    Ok(())
}

/// What a bootstrap with bad configuration must do: end before it asks for
/// an event, with one log line naming `variable` (ARCHITECTURE §3).
pub fn check_refuses_configuration(
    bootstrap: &Path,
    variable: &str,
    value: &str,
) -> Result<(), BedError> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| BedError(format!("runtime API: {e}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| BedError(format!("runtime API: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| BedError(format!("runtime API: {e}")))?;
    let mut env = base_env();
    env.push((variable.to_owned(), value.to_owned()));
    let mut child = Command::new(bootstrap)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| BedError(format!("spawning {}: {e}", bootstrap.display())))?;
    let started = Instant::now();
    let status = loop {
        if listener.accept().is_ok() {
            let _ = child.kill();
            return Err(BedError(
                "it asked for an event despite the bad configuration".into(),
            ));
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {
                let _ = child.kill();
                return Err(BedError("it did not end".into()));
            }
        }
    };
    let mut output = String::new();
    for stream in [
        child.stdout.take().map(|s| Box::new(s) as Box<dyn Read>),
        child.stderr.take().map(|s| Box::new(s) as Box<dyn Read>),
    ]
    .into_iter()
    .flatten()
    {
        let mut stream = stream;
        let _ = stream.read_to_string(&mut output);
    }
    let lines: Vec<&str> = output.lines().filter(|l| l.contains(variable)).collect();
    if status.success() || lines.len() != 1 {
        return Err(BedError(format!("ended with {status}, output: {output}")));
    }
    Ok(())
}
