//! One way to build the AWS SDK configuration for every function.

use std::error::Error as StdError;
use std::fmt;

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};

use crate::error::Error;

/// Attempts per SDK call (the first try plus retries) in standard retry mode:
/// rides out throttling of the control-plane APIs these functions call.
pub const MAX_ATTEMPTS: u32 = 5;

/// The SDK configuration of a function, from what Lambda gives every one:
/// the role's credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN`, the region in `AWS_REGION`, and `AWS_ENDPOINT_URL`
/// when set; standard retries. There is no custom endpoint plumbing: a local
/// emulator is reached through `AWS_ENDPOINT_URL` like any other endpoint.
///
/// Lambda always sets these, so the SDK's default provider chains (profile
/// files, SSO, web identity and STS, ECS and instance metadata) are neither
/// probed on a cold start nor linked into the bootstrap: about 0.4 MB less
/// to ship and load per function. gmops, run by people, keeps the full chain.
pub async fn load_sdk_config() -> SdkConfig {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"));
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region.map(aws_config::Region::new))
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    if let Some(endpoint) = var("AWS_ENDPOINT_URL") {
        builder = builder.endpoint_url(endpoint);
    }
    builder.build()
}

/// The region of `sdk` (`AWS_REGION`), for console links; Lambda always sets it.
pub fn region_of(sdk: &SdkConfig) -> String {
    sdk.region()
        .map_or_else(|| "ap-northeast-1".to_owned(), ToString::to_string)
}

/// The answer of `operation`, or `None` when the service says that what was
/// asked for does not exist (`is_missing` of its modeled error: a
/// `DBClusterNotFoundFault`, a `ResourceNotFoundException`, …); every other
/// failure is an [`Error::Aws`] that keeps the SDK error.
pub fn found<T, E, R>(
    operation: &'static str,
    answer: Result<T, SdkError<E, R>>,
    is_missing: impl FnOnce(&E) -> bool,
) -> Result<Option<T>, Error>
where
    E: StdError + ProvideErrorMetadata + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    match answer {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.as_service_error().is_some_and(is_missing) => Ok(None),
        Err(err) => Err(Error::aws(operation, err)),
    }
}
