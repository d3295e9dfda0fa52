//! The Lambda `Invoke` API in front of our Runtime API: a local endpoint
//! (like `cargo lambda watch`) where each invocation cold-starts the named
//! function's real bootstrap on the bed and answers as Lambda does — the
//! response as the body, a function error with `X-Amz-Function-Error`, an
//! unknown name `404 ResourceNotFoundException`.

use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::BedError;
use crate::runtime_api::{cold_start_as, read_request, respond};

/// A function the endpoint serves: its name, bootstrap and environment.
#[derive(Debug, Clone)]
pub struct LocalFunction {
    /// The name it is invoked by.
    pub name: String,
    /// Its bootstrap binary.
    pub bootstrap: PathBuf,
    /// The environment it starts with (besides the Runtime API's own).
    pub env: Vec<(String, String)>,
}

/// How the endpoint answers a function's error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorAnswer {
    /// As Lambda does: `200` with `X-Amz-Function-Error: Unhandled`.
    Lambda,
    /// As `cargo lambda watch` does: `500` with the error document.
    CargoLambdaWatch,
}

/// One invocation the endpoint received.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The function name in the request path.
    pub function: String,
    /// The payload, as JSON (`Null` when it was not JSON).
    pub payload: Value,
    /// What the function answered, byte for byte (empty when none ran).
    pub answer: Vec<u8>,
}

/// The endpoint; it stops serving when dropped (its port is then unused).
#[derive(Debug)]
pub struct LambdaApi {
    endpoint: String,
    invocations: Arc<Mutex<Vec<Invocation>>>,
}

impl LambdaApi {
    /// Serves `functions` on a free loopback port, answering as Lambda does.
    pub fn start(functions: Vec<LocalFunction>) -> Result<LambdaApi, BedError> {
        LambdaApi::start_answering(functions, ErrorAnswer::Lambda)
    }

    /// Like [`LambdaApi::start`], answering a function's error as `errors` says.
    pub fn start_answering(
        functions: Vec<LocalFunction>,
        errors: ErrorAnswer,
    ) -> Result<LambdaApi, BedError> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| BedError(format!("invoke API: {e}")))?;
        let address = listener
            .local_addr()
            .map_err(|e| BedError(format!("invoke API: {e}")))?;
        let invocations = Arc::new(Mutex::new(Vec::new()));
        let log = invocations.clone();
        let functions = Arc::new(functions);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (functions, log) = (functions.clone(), log.clone());
                std::thread::spawn(move || serve(stream, &functions, errors, &log));
            }
        });
        Ok(LambdaApi {
            endpoint: format!("http://{address}"),
            invocations,
        })
    }

    /// The URL clients are pointed at (`AWS_ENDPOINT_URL_LAMBDA`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Every invocation so far, oldest first.
    pub fn invocations(&self) -> Vec<Invocation> {
        self.invocations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

fn serve(
    stream: TcpStream,
    functions: &[LocalFunction],
    errors: ErrorAnswer,
    log: &Mutex<Vec<Invocation>>,
) {
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let mut writer = stream;
    while let Ok(Some(request)) = read_request(&mut reader) {
        // POST /2015-03-31/functions/{name}/invocations
        let name = request
            .path
            .split('?')
            .next()
            .and_then(|p| p.strip_prefix("/2015-03-31/functions/"))
            .and_then(|p| p.strip_suffix("/invocations"))
            .map(|n| n.replace("%3A", ":"));
        let (Some(name), "POST") = (name, request.method.as_str()) else {
            let _ = respond(&mut writer, "404 Not Found", &[], b"{}");
            continue;
        };
        let mut invocation = Invocation {
            function: name.clone(),
            payload: serde_json::from_slice(&request.body).unwrap_or(Value::Null),
            answer: Vec::new(),
        };
        let Some(function) = functions.iter().find(|f| f.name == name) else {
            let body = json!({
                "Type": "User",
                "message": format!("Function not found: arn:aws:lambda:ap-northeast-1:123456789012:function:{name}"),
            });
            log.lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(invocation);
            let _ = respond(
                &mut writer,
                "404 Not Found",
                &[("X-Amzn-ErrorType", "ResourceNotFoundException".to_owned())],
                body.to_string().as_bytes(),
            );
            continue;
        };
        let started = cold_start_as(
            &function.name,
            &function.bootstrap,
            &function.env,
            &request.body,
            Duration::from_secs(120),
        );
        let (answer, failed) = match started {
            Ok(start) => (start.raw, start.outcome.is_err()),
            // The bootstrap did not start or answer: what Lambda reports as a
            // runtime failure of the invocation.
            Err(err) => (
                json!({"errorType": "Runtime.ExitError", "errorMessage": err.to_string()})
                    .to_string()
                    .into_bytes(),
                true,
            ),
        };
        let mut headers = vec![("X-Amz-Executed-Version", "$LATEST".to_owned())];
        let mut status = "200 OK";
        match (failed, errors) {
            (false, _) => {}
            (true, ErrorAnswer::Lambda) => {
                headers.push(("X-Amz-Function-Error", "Unhandled".to_owned()));
            }
            (true, ErrorAnswer::CargoLambdaWatch) => status = "500 Internal Server Error",
        }
        // Logged before answering: a client that got its answer finds it logged.
        invocation.answer = answer.clone();
        log.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(invocation);
        let _ = respond(&mut writer, status, &headers, &answer);
    }
}
