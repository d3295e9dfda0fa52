//! The Lambda `Invoke` call: the deployed stack (`<system>-<function>`, the
//! SDK's usual region and credentials) or a local invoke endpoint, where a
//! function answers to its own name.

use aws_config::BehaviorVersion;
use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::primitives::Blob;
use serde_json::Value;

use crate::args::Global;
use crate::payload::FUNCTIONS;

/// Where functions are invoked.
#[derive(Debug)]
pub struct Lambda {
    client: aws_sdk_lambda::Client,
    /// The stack's prefix; `None` on a local endpoint.
    system: Option<String>,
}

/// What a function answered.
#[derive(Debug)]
pub enum Outcome {
    /// Its response, byte for byte.
    Response(Vec<u8>),
    /// It failed: its error as Lambda returned it.
    FunctionError {
        /// `errorType` (e.g. `InvalidInput`).
        error_type: String,
        /// `errorMessage`.
        message: String,
        /// The error payload, byte for byte.
        raw: Vec<u8>,
    },
}

/// The function could not be invoked: credentials, no such function, network.
#[derive(Debug)]
pub struct NotInvoked(pub String);

impl Lambda {
    /// The client for `global`'s target.
    pub async fn connect(global: &Global) -> Lambda {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &global.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &global.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        let sdk = loader.load().await;
        let mut config = aws_sdk_lambda::config::Builder::from(&sdk);
        if let Some(endpoint) = &global.endpoint {
            config = config.endpoint_url(endpoint);
        }
        Lambda {
            client: aws_sdk_lambda::Client::from_conf(config.build()),
            system: global.endpoint.is_none().then(|| global.system.clone()),
        }
    }

    /// The name `function` is invoked by: `<system>-<function>` for the
    /// stack's own functions when deployed; anything else as given.
    pub fn name(&self, function: &str) -> String {
        match &self.system {
            Some(system) if FUNCTIONS.contains(&function) => format!("{system}-{function}"),
            _ => function.to_owned(),
        }
    }

    /// Invokes `function` with `payload` and waits for its answer.
    pub async fn invoke(&self, function: &str, payload: &Value) -> Result<Outcome, NotInvoked> {
        let name = self.name(function);
        let body = serde_json::to_vec(payload).map_err(|e| NotInvoked(e.to_string()))?;
        let sent = self
            .client
            .invoke()
            .function_name(&name)
            .payload(Blob::new(body))
            .send()
            .await;
        let out = match sent {
            Ok(out) => out,
            // `cargo lambda watch` answers a function's error with HTTP 500
            // and the error document itself (Lambda: 200 and
            // `X-Amz-Function-Error`); Lambda's own failures never carry an
            // `errorType`.
            Err(SdkError::ServiceError(service)) => {
                let raw = service.raw().body().bytes().unwrap_or_default().to_vec();
                return match function_error(raw) {
                    Some(outcome) => Ok(outcome),
                    None => Err(not_invoked(&name, &SdkError::ServiceError(service))),
                };
            }
            Err(err) => return Err(not_invoked(&name, &err)),
        };
        let raw = out.payload.map(Blob::into_inner).unwrap_or_default();
        if out.function_error.is_none() {
            return Ok(Outcome::Response(raw));
        }
        Ok(
            function_error(raw.clone()).unwrap_or(Outcome::FunctionError {
                error_type: "Unhandled".into(),
                message: String::from_utf8_lossy(&raw).into_owned(),
                raw,
            }),
        )
    }
}

/// A function's error document (`errorType`, `errorMessage`), if `raw` is one.
fn function_error(raw: Vec<u8>) -> Option<Outcome> {
    let error: Value = serde_json::from_slice(&raw).ok()?;
    let error_type = error["errorType"].as_str()?.to_owned();
    let message = error["errorMessage"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Some(Outcome::FunctionError {
        error_type,
        message,
        raw,
    })
}

fn not_invoked<E, R>(name: &str, err: &SdkError<E, R>) -> NotInvoked
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("error");
            let message = service.err().message().unwrap_or_default();
            let hint = match code {
                "ResourceNotFoundException" => {
                    " — is the stack deployed in this Region, or --system / --endpoint right?"
                }
                "AccessDeniedException" | "UnrecognizedClientException" => {
                    " — check the profile's credentials and lambda:InvokeFunction"
                }
                _ => "",
            };
            NotInvoked(format!("{name}: {code}: {message}{hint}"))
        }
        other => NotInvoked(format!("{name}: {}", causes(other))),
    }
}

/// The error and its causes, one line, without the SDK's debug dump
/// (`DisplayErrorContext` appends one, pages long for a credentials failure).
fn causes(err: &dyn std::error::Error) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}
