//! The AWS emulator (moto + the CloudWatch bridge) as a child process.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use serde_json::{Value, json};
use shared::Env;

use crate::{BedError, run, workspace_root};

/// The region the emulated production lives in.
pub const REGION: &str = "ap-northeast-1";

static INSTALL: Mutex<()> = Mutex::new(());

/// One emulated AWS account, empty at start, stopped on drop.
#[derive(Debug)]
pub struct Bed {
    child: Child,
    endpoint: String,
}

impl Bed {
    /// Starts a fresh emulator on a free port (installing it first if needed).
    pub fn start() -> Result<Bed, BedError> {
        let python = python()?;
        let script = workspace_root().join("tests/bed/moto_bed.py");
        let mut child = Command::new(&python)
            .arg(&script)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("BED_AUDIT_DIR", audit_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| BedError(format!("starting {}: {e}", script.display())))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| BedError("emulator has no stdout".into()))?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| BedError(format!("reading emulator start-up: {e}")))?;
        let port = line
            .strip_prefix("ready ")
            .and_then(|p| p.trim().parse::<u16>().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(BedError(format!("emulator did not start: {line:?}")));
        };
        Ok(Bed {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        })
    }

    /// The emulator's URL, what `AWS_ENDPOINT_URL` is set to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// SDK configuration pointing at the emulator: dummy credentials, the
    /// production region, no retries (so an unimplemented call fails at once).
    pub fn sdk_config(&self) -> SdkConfig {
        self.sdk_config_with_retries(RetryConfig::disabled())
    }

    /// Like [`Bed::sdk_config`], with the given retry configuration.
    pub fn sdk_config_with_retries(&self, retry: RetryConfig) -> SdkConfig {
        self.signed_as("testing", retry)
    }

    /// The SDK configuration a function under test runs with: like
    /// [`Bed::sdk_config`], signed with the access key `fn-<function>`, so the
    /// bed records its requests as that function's for the permission test
    /// (`tests/permissions.py`; the test's own seeding is not recorded).
    pub fn function_sdk_config(&self, function: &str) -> SdkConfig {
        self.signed_as(
            &format!("{FUNCTION_KEY_PREFIX}{function}"),
            RetryConfig::disabled(),
        )
    }

    /// Like [`Bed::function_sdk_config`] for a test that sends what no
    /// deployed function receives (arbitrary payloads): its requests are not
    /// the function's production calls and are not recorded.
    pub fn probe_sdk_config(&self, function: &str) -> SdkConfig {
        self.signed_as(&format!("probe-{function}"), RetryConfig::disabled())
    }

    fn signed_as(&self, access_key: &str, retry: RetryConfig) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                access_key, "testing", None, None, "test-bed",
            )))
            .retry_config(retry)
            .build()
    }

    /// The environment a function would see when deployed against the bed.
    pub fn env(&self) -> Env {
        Env::from_pairs([
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_REGION", REGION),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ])
    }
}

/// Access keys of functions under test start with this (`request_log.py`).
pub const FUNCTION_KEY_PREFIX: &str = "fn-";

/// Where every bed appends the requests functions made (one file per bed),
/// for `tests/permissions.py`: `BED_AUDIT_DIR`, else `target/bed-audit`.
pub fn audit_dir() -> PathBuf {
    std::env::var_os("BED_AUDIT_DIR")
        .map_or_else(|| workspace_root().join("target/bed-audit"), PathBuf::from)
}

impl Drop for Bed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bed's Python: `BED_PYTHON`, else the project's `.venv`, created and
/// filled from `tests/bed/requirements.txt` when missing.
fn python() -> Result<PathBuf, BedError> {
    if let Some(explicit) = std::env::var_os("BED_PYTHON") {
        return Ok(PathBuf::from(explicit));
    }
    let root = workspace_root();
    let python = root.join(".venv/bin/python");
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let ready = Command::new(&python)
        .args(["-c", "import moto, cbor2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        run(Command::new("python3")
            .args(["-m", "venv"])
            .arg(root.join(".venv")))?;
        run(Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "-r"])
            .arg(root.join("tests/bed/requirements.txt")))?;
    }
    Ok(python)
}

/// The bed's Cost Explorer (`tests/bed/cost_explorer.py`): seeded line items,
/// the forecast rate, and the requests it served.
impl Bed {
    /// Replaces the line items Cost Explorer answers from:
    /// `[{"date", "service", "record_type", "amount"}]`.
    pub fn seed_costs(&self, items: &Value) -> Result<(), BedError> {
        self.control("POST", "/_bed/ce/items", Some(items))
            .map(|_| ())
    }

    /// Sets the forecast to `per_day` USD a day, or `None` for an account
    /// without enough history (`DataUnavailableException`).
    pub fn seed_forecast(&self, per_day: Option<&str>) -> Result<(), BedError> {
        let body = per_day.map_or_else(|| json!({}), |rate| json!({"per_day": rate}));
        self.control("POST", "/_bed/ce/forecast", Some(&body))
            .map(|_| ())
    }

    /// Every Cost Explorer request served so far: `[{"operation", "body"}]`.
    pub fn cost_explorer_requests(&self) -> Result<Vec<Value>, BedError> {
        let reply = self.control("GET", "/_bed/ce/requests", None)?;
        Ok(reply["requests"].as_array().cloned().unwrap_or_default())
    }

    fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, BedError> {
        control(&self.endpoint, method, path, body)
    }
}

/// One request the bed served (`tests/bed/request_log.py`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BedRequest {
    /// The SigV4 signing name: `rds`, `sns`, `s3`, …
    pub service: String,
    /// The API operation, when the protocol names it (`Publish`,
    /// `DescribeDBClusters`); REST calls (S3, Lambda) have only method and path.
    pub operation: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
}

/// X-Ray's reads are POSTs to these REST paths.
const REST_READS: &[&str] = &["/TraceSummaries", "/Traces", "/TraceGraph", "/ServiceGraph"];

impl BedRequest {
    /// Whether the request only reads: a `Describe*`/`Get*`/`List*`/… operation,
    /// or a REST `GET`/`HEAD` (or one of X-Ray's read paths).
    pub fn is_read(&self) -> bool {
        const READS: &[&str] = &[
            "Describe", "Get", "List", "Lookup", "Filter", "Search", "BatchGet", "Receive", "Head",
            "Select", "Query", "Scan", "Simulate", "Generate",
        ];
        match &self.operation {
            Some(op) => READS.iter().any(|p| op.starts_with(p)),
            None => {
                matches!(self.method.as_str(), "GET" | "HEAD")
                    || (self.method == "POST" && REST_READS.contains(&self.path.as_str()))
            }
        }
    }

    /// `service:Operation`, or `service:METHOD path` for REST calls.
    pub fn name(&self) -> String {
        match &self.operation {
            Some(op) => format!("{}:{op}", self.service),
            None => format!("{}:{} {}", self.service, self.method, self.path),
        }
    }
}

impl Bed {
    /// Every request served since the bed started or [`Bed::forget_requests`].
    pub fn requests(&self) -> Result<Vec<BedRequest>, BedError> {
        let reply = self.control("GET", "/_bed/requests", None)?;
        let field = |r: &Value, k: &str| r[k].as_str().unwrap_or_default().to_owned();
        Ok(reply["requests"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|r| BedRequest {
                service: field(r, "service"),
                operation: r["operation"].as_str().map(str::to_owned),
                method: field(r, "method"),
                path: field(r, "path"),
            })
            .collect())
    }

    /// Asserts that `result` is `payload` refused as `InvalidInput` before
    /// anything was read, written or published on this bed.
    pub fn assert_refused_untouched<T: std::fmt::Debug>(
        &self,
        payload: &Value,
        result: Result<T, shared::Error>,
    ) {
        assert!(result.is_err(), "{payload} was accepted: {result:?}");
        if let Err(err) = result {
            assert_eq!(
                err.error_type(),
                shared::ErrorType::InvalidInput,
                "{payload}: {err}"
            );
        }
        assert!(
            self.requests().unwrap_or_default().is_empty(),
            "{payload}: something was read"
        );
    }

    /// The requests that were not reads (writes, and the SNS `Publish`).
    pub fn writes(&self) -> Result<Vec<BedRequest>, BedError> {
        Ok(self
            .requests()?
            .into_iter()
            .filter(|r| !r.is_read())
            .collect())
    }

    /// Replaces the CloudTrail records `LookupEvents` answers from
    /// (`tests/bed/cloudtrail.py`): CloudTrail records, each with an optional
    /// `resources` list of `{"ResourceType", "ResourceName"}`.
    pub fn seed_trail(&self, records: &Value) -> Result<(), BedError> {
        self.seed_trail_in(REGION, records)
    }

    /// Like [`Bed::seed_trail`], the history of `region` (e.g. us-east-1,
    /// where the global services' events live): requests signed for that
    /// Region are answered from it.
    pub fn seed_trail_in(&self, region: &str, records: &Value) -> Result<(), BedError> {
        self.control(
            "POST",
            "/_bed/cloudtrail/events",
            Some(&json!({"events": records, "region": region})),
        )
        .map(|_| ())
    }

    /// Replaces `alarm`'s state history that DescribeAlarmHistory answers
    /// (`tests/bed/incident_bed.py`; moto has none): `[{"at", "from", "to"}]`.
    pub fn seed_alarm_history(&self, alarm: &str, transitions: &Value) -> Result<(), BedError> {
        self.control(
            "POST",
            "/_bed/cloudwatch/alarm-history",
            Some(&json!({"alarm": alarm, "transitions": transitions})),
        )
        .map(|_| ())
    }

    /// Every OpsItem the bed keeps in the home Region (`tests/bed/incident_bed.py`).
    pub fn ops_items(&self) -> Result<Vec<Value>, BedError> {
        let reply = self.control("GET", "/_bed/ssm/ops-items", None)?;
        Ok(reply[REGION].as_array().cloned().unwrap_or_default())
    }

    /// Makes GetTrailStatus of each named trail report its last delivery as
    /// failed (`LatestDeliveryError`; `tests/bed/cloudtrail.py`).
    pub fn fail_trail_delivery(&self, errors: &Value) -> Result<(), BedError> {
        self.control(
            "POST",
            "/_bed/cloudtrail/delivery-errors",
            Some(&json!({"errors": errors})),
        )
        .map(|_| ())
    }

    /// Adds a CloudFront cache policy (`tests/bed/ops_bed.py`; moto has none):
    /// `{"id", "name", "min_ttl", "default_ttl", "max_ttl"}`.
    pub fn seed_cache_policy(&self, policy: &Value) -> Result<(), BedError> {
        self.control("POST", "/_bed/cloudfront/cache-policies", Some(policy))
            .map(|_| ())
    }

    /// Makes the bed answer matching requests with an error, in the
    /// request's protocol (`tests/bed/bed_state.py`): `[{"service",
    /// "operation", "code", "status", "message", "times"}]`; `[]` clears.
    pub fn set_faults(&self, faults: &Value) -> Result<(), BedError> {
        self.control("POST", "/_bed/faults", Some(&json!({"faults": faults})))
            .map(|_| ())
    }

    /// Moves a date moto stamped with the real clock into the past:
    /// `{"kind": "secret" | "cluster-snapshot" | "access-key", …}` (see
    /// `tests/bed/bed_state.py`).
    pub fn backdate(&self, change: &Value) -> Result<(), BedError> {
        self.control("POST", "/_bed/backdate", Some(change))
            .map(|_| ())
    }

    /// Replaces RDS's pending maintenance actions (`tests/bed/rds_schedule.py`;
    /// moto has none): `[{"resource": ARN, "action", "description",
    /// "auto_applied_after", "current_apply_date", "forced_apply"}]`.
    pub fn seed_maintenance(&self, actions: &Value) -> Result<(), BedError> {
        self.control(
            "POST",
            "/_bed/rds/maintenance",
            Some(&json!({"actions": actions})),
        )
        .map(|_| ())
    }

    /// Gives DB instances a server certificate (`CertificateDetails`, which
    /// moto leaves out): `{"<instance>": {"ca", "valid_till"}}`.
    pub fn seed_certificates(&self, certificates: &Value) -> Result<(), BedError> {
        self.control(
            "POST",
            "/_bed/rds/certificates",
            Some(&json!({"certificates": certificates})),
        )
        .map(|_| ())
    }

    /// Restores as AWS does them (`tests/bed/drill_bed.py`), for clusters
    /// named `…-drill…`: a restored cluster and its instances `creating` for the next `creating`
    /// describes, `deleting` for `deleting` describes after a delete, their
    /// endpoint `host:port` (the local PostgreSQL).
    pub fn drill_rds(
        &self,
        host: &str,
        port: u16,
        creating: u32,
        deleting: u32,
    ) -> Result<(), BedError> {
        self.control(
            "POST",
            "/_bed/rds/drill",
            Some(&json!({"host": host, "port": port, "creating": creating,
                "deleting": deleting, "match": "-drill"})),
        )
        .map(|_| ())
    }

    /// Starts a new request record.
    pub fn forget_requests(&self) -> Result<(), BedError> {
        self.control("POST", "/_bed/requests/reset", Some(&json!({})))
            .map(|_| ())
    }
}

fn control(
    endpoint: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, BedError> {
    let address = endpoint.trim_start_matches("http://");
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream =
        TcpStream::connect(address).map_err(|e| BedError(format!("connecting to the bed: {e}")))?;
    write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .map_err(|e| BedError(format!("{method} {path}: {e}")))?;
    // Read exactly the reply (its Content-Length), not up to EOF: the bed's
    // server may keep the connection open, and a read to EOF would then wait forever.
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .map_err(|e| BedError(format!("{method} {path}: {e}")))?;
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        let read = reader
            .read_line(&mut line)
            .map_err(|e| BedError(format!("{method} {path}: {e}")))?;
        if read == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
    }
    let mut payload = vec![0u8; length];
    reader
        .read_exact(&mut payload)
        .map_err(|e| BedError(format!("{method} {path}: {e}")))?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(BedError(format!("{method} {path}: {head}")));
    }
    let payload = String::from_utf8_lossy(&payload);
    serde_json::from_str(&payload).map_err(|e| BedError(format!("{method} {path}: {e}")))
}
