//! Secrets Manager: the one place a new key's secret half is kept.

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::Tag;
use serde::Deserialize;
use serde_json::json;
use shared::Error;

use crate::iam::NewKey;

/// Only the key id is read back; the secret half is never deserialized.
#[derive(Deserialize)]
struct StoredKeyId {
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
}

/// The `AccessKeyId` stored in `secret` (its `AWSCURRENT` version); `None`
/// when the secret does not exist yet.
pub async fn stored_key_id(client: &Client, secret: &str) -> Result<Option<String>, Error> {
    let out = client
        .get_secret_value()
        .secret_id(secret)
        .version_stage("AWSCURRENT")
        .send()
        .await;
    let Some(out) = shared::aws::found("GetSecretValue", out, |e| {
        e.is_resource_not_found_exception()
    })?
    else {
        return Ok(None);
    };
    let text = out.secret_string().unwrap_or_default();
    // Never quote the value: it holds a secret access key.
    serde_json::from_str::<StoredKeyId>(text)
        .map(|s| Some(s.access_key_id))
        .map_err(|_| {
            Error::Unexpected(format!(
                "secret `{secret}` is not JSON with an `AccessKeyId`; fix or delete it before the next rotation"
            ))
        })
}

/// Stores `key` as the new `AWSCURRENT` of `secret`, creating the secret on
/// first use. The request token derives from the key id, so a retried store
/// of the same key is the same version.
pub async fn store_key(
    client: &Client,
    secret: &str,
    user: &str,
    key: &NewKey,
) -> Result<(), Error> {
    let value = json!({
        "AccessKeyId": key.id,
        "SecretAccessKey": key.secret(),
        "UserName": user,
        "CreateDate": shared::time::rfc3339(key.created),
    })
    .to_string();
    let token = format!("rotate-access-keys-{}", key.id);
    let put = client
        .put_secret_value()
        .secret_id(secret)
        .secret_string(&value)
        .client_request_token(&token)
        .send()
        .await;
    match put {
        Ok(_) => Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            client
                .create_secret()
                .name(secret)
                .description(format!(
                    "IAM access key of {user}, rotated by rotate-access-keys"
                ))
                .secret_string(&value)
                .client_request_token(&token)
                .tags(
                    Tag::builder()
                        .key("created-by")
                        .value("rotate-access-keys")
                        .build(),
                )
                .send()
                .await
                .map_err(|e| Error::aws("CreateSecret", e))?;
            Ok(())
        }
        Err(err) => Err(Error::aws("PutSecretValue", err)),
    }
}
