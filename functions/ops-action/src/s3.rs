//! The frontend bucket: synced to the backup bucket and back (`aws s3 sync`,
//! every page, ETag and size; never deleting unless asked), and one object
//! put back to an older version.

use std::collections::HashMap;

use aws_sdk_s3::Client;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use serde_json::json;
use shared::runbook::limits;
use shared::{ActionResult, ConfigError, Error};

use crate::request::Direction;
use crate::text::Texts;
use crate::{OpsAction, Outcome};

/// Copies in flight at once.
const COPY_CONCURRENCY: usize = 16;
/// Keys a report lists as examples at most (the report must stay small).
pub const EXAMPLE_KEYS: usize = 20;

/// An object as the sync compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Its size in bytes.
    pub size: i64,
    /// Its ETag.
    pub etag: String,
}

/// What a sync would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncPlan {
    /// Source keys the destination lacks or holds in another size or ETag.
    pub copy: Vec<String>,
    /// Keys only the destination has.
    pub only_in_destination: Vec<String>,
}

/// Compares the listings (pure): a key is copied when the destination lacks
/// it or differs in size or ETag; keys only in the destination are listed.
pub fn plan_sync(
    source: &HashMap<String, Object>,
    destination: &HashMap<String, Object>,
) -> SyncPlan {
    let mut copy: Vec<String> = source
        .iter()
        .filter(|(key, object)| destination.get(*key) != Some(object))
        .map(|(key, _)| key.clone())
        .collect();
    let mut only: Vec<String> = destination
        .keys()
        .filter(|key| !source.contains_key(*key))
        .cloned()
        .collect();
    copy.sort();
    only.sort();
    SyncPlan {
        copy,
        only_in_destination: only,
    }
}

/// Every object of `bucket` (every ListObjectsV2 page).
pub async fn list(client: &Client, bucket: &str) -> Result<HashMap<String, Object>, Error> {
    let mut out = HashMap::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("ListObjectsV2", e))?;
        for o in page.contents() {
            if let Some(key) = o.key() {
                out.insert(
                    key.to_owned(),
                    Object {
                        size: o.size().unwrap_or(0),
                        etag: o.e_tag().unwrap_or_default().to_owned(),
                    },
                );
            }
        }
    }
    Ok(out)
}

/// `bucket` of `variable`, which must be set and exist.
async fn bucket<'a>(
    client: &Client,
    variable: &str,
    name: Option<&'a str>,
) -> Result<&'a str, Error> {
    let name = name
        .ok_or_else(|| ConfigError::new(variable, "required for this action: the bucket's name"))?;
    match client.head_bucket().bucket(name).send().await {
        Ok(_) => Ok(name),
        Err(e)
            if e.as_service_error().is_some_and(|s| s.is_not_found())
                || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
        {
            Err(ConfigError::new(variable, format!("bucket `{name}` does not exist")).into())
        }
        Err(e) => Err(Error::aws("HeadBucket", e)),
    }
}

/// What stays as it is in a `CopySource` key: RFC 3986's unreserved characters and `/`.
const KEY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// The bucket and the key, percent-encoded as `CopySource` wants it.
fn copy_source(bucket: &str, key: &str, version: Option<&str>) -> String {
    let key = percent_encoding::utf8_percent_encode(key, KEY).to_string();
    match version {
        Some(v) => format!("{bucket}/{key}?versionId={v}"),
        None => format!("{bucket}/{key}"),
    }
}

/// Copies `keys` from `source` to `destination`, latest versions, metadata
/// kept; returns the keys that failed with their error code.
async fn copy(
    client: &Client,
    source: &str,
    destination: &str,
    keys: &[String],
) -> Vec<(String, String)> {
    let mut failed = Vec::new();
    for batch in keys.chunks(COPY_CONCURRENCY) {
        let mut tasks = tokio::task::JoinSet::new();
        for key in batch {
            let (client, source, destination, key) = (
                client.clone(),
                source.to_owned(),
                destination.to_owned(),
                key.clone(),
            );
            tasks.spawn(async move {
                let result = client
                    .copy_object()
                    .bucket(&destination)
                    .key(&key)
                    .copy_source(copy_source(&source, &key, None))
                    .send()
                    .await
                    .map_err(|e| Error::aws("CopyObject", e).code());
                (key, result)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((_, Ok(_))) => {}
                Ok((key, Err(code))) => failed.push((key, code)),
                Err(e) => failed.push(("?".to_owned(), format!("task: {e}"))),
            }
        }
    }
    failed
}

/// Deletes `keys` from `bucket`, at most 1,000 a request; returns how many went.
async fn delete(client: &Client, bucket: &str, keys: &[String]) -> Result<usize, Error> {
    let mut deleted = 0;
    for batch in keys.chunks(limits::S3_DELETE_BATCH) {
        let objects: Vec<ObjectIdentifier> = batch
            .iter()
            .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
            .collect();
        let request = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| Error::Unexpected(format!("DeleteObjects request: {e}")))?;
        let out = client
            .delete_objects()
            .bucket(bucket)
            .delete(request)
            .send()
            .await
            .map_err(|e| Error::aws("DeleteObjects", e))?;
        deleted += batch.len() - out.errors().len();
    }
    Ok(deleted)
}

/// `s3-backup-sync`.
pub(crate) async fn sync(
    state: &OpsAction,
    texts: &Texts,
    direction: Direction,
    delete_extra: bool,
    may_change: bool,
) -> Result<Outcome, Error> {
    let common = &state.config.common;
    let s3 = &state.s3;
    let frontend = bucket(s3, "FRONTEND_BUCKET", common.frontend_bucket.as_deref()).await?;
    let backup = bucket(s3, "BACKUP_BUCKET", common.backup_bucket.as_deref()).await?;
    let (source, destination) = match direction {
        Direction::Backup => (frontend, backup),
        Direction::Restore => (backup, frontend),
    };
    let (from, to) = (list(s3, source).await?, list(s3, destination).await?);
    let plan = plan_sync(&from, &to);
    let deleting = if delete_extra {
        plan.only_in_destination.len()
    } else {
        0
    };
    let mut outcome = Outcome::new(
        destination,
        json!({"source_objects": from.len(), "destination_objects": to.len(),
               "only_in_destination": plan.only_in_destination.len()}),
        json!({"copy": plan.copy.len(), "delete": deleting}),
    );
    let (mut copied, mut deleted) = (0usize, 0usize);
    // Copies.
    let (result, failed) = if plan.copy.is_empty() {
        (ActionResult::Skipped, Vec::new())
    } else if may_change {
        let failed = copy(s3, source, destination, &plan.copy).await;
        copied = plan.copy.len() - failed.len();
        outcome.changed |= copied > 0;
        (
            if failed.is_empty() {
                ActionResult::Done
            } else {
                ActionResult::Failed
            },
            failed,
        )
    } else {
        (ActionResult::Planned, Vec::new())
    };
    outcome.action(texts.copy_action(destination, &plan.copy, copied, &failed, result));
    // Deletes: only when asked.
    let result = if plan.only_in_destination.is_empty() || !delete_extra {
        ActionResult::Skipped
    } else if may_change {
        deleted = delete(s3, destination, &plan.only_in_destination).await?;
        outcome.changed |= deleted > 0;
        if deleted == plan.only_in_destination.len() {
            ActionResult::Done
        } else {
            ActionResult::Failed
        }
    } else {
        ActionResult::Planned
    };
    outcome.action(texts.delete_action(
        destination,
        &plan.only_in_destination,
        delete_extra,
        deleted,
        result,
    ));
    outcome.extra("source", json!(source));
    outcome.extra("destination", json!(destination));
    outcome.extra("copied", json!(copied));
    outcome.extra("deleted", json!(deleted));
    outcome.headline = texts.sync_headline(source, destination, plan.copy.len(), deleting);
    Ok(outcome)
}

/// `restore-s3-object-version`.
pub(crate) async fn restore_version(
    state: &OpsAction,
    texts: &Texts,
    key: &str,
    version_id: &str,
    may_change: bool,
) -> Result<Outcome, Error> {
    let s3 = &state.s3;
    let frontend = bucket(
        s3,
        "FRONTEND_BUCKET",
        state.config.common.frontend_bucket.as_deref(),
    )
    .await?;
    let wanted = s3
        .head_object()
        .bucket(frontend)
        .key(key)
        .version_id(version_id)
        .send()
        .await
        .map_err(|_| {
            Error::InvalidInput(format!(
                "`version_id`: {key} has no version `{version_id}` in {frontend}"
            ))
        })?;
    let latest = s3
        .head_object()
        .bucket(frontend)
        .key(key)
        .send()
        .await
        .map_err(|e| Error::aws("HeadObject", e))?;
    let (latest_id, latest_etag) = (
        latest.version_id().unwrap_or_default().to_owned(),
        latest.e_tag().unwrap_or_default().to_owned(),
    );
    let mut outcome = Outcome::new(
        &format!("{frontend}/{key}"),
        json!({"version_id": latest_id, "etag": latest_etag}),
        json!({"version_id": version_id, "etag": wanted.e_tag()}),
    );
    // Already restored when the latest version is that version, or a copy
    // of it (a restore makes a new version with the same content).
    let wanted_etag = wanted.e_tag().unwrap_or_default();
    let result =
        if latest_id == version_id || (!wanted_etag.is_empty() && latest_etag == wanted_etag) {
            ActionResult::Skipped
        } else if may_change {
            let out = s3
                .copy_object()
                .bucket(frontend)
                .key(key)
                .copy_source(copy_source(frontend, key, Some(version_id)))
                .send()
                .await
                .map_err(|e| Error::aws("CopyObject", e))?;
            outcome.changed = true;
            outcome.extra("new_version_id", json!(out.version_id()));
            ActionResult::Done
        } else {
            ActionResult::Planned
        };
    outcome.action(texts.version_action(frontend, key, version_id, &latest_id, result));
    outcome.extra("bucket", json!(frontend));
    outcome.extra("key", json!(key));
    outcome.headline = texts.change_headline(&latest_id, version_id, "");
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(items: &[(&str, i64, &str)]) -> HashMap<String, Object> {
        items
            .iter()
            .map(|(k, s, e)| {
                (
                    (*k).to_owned(),
                    Object {
                        size: *s,
                        etag: (*e).to_owned(),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn a_key_is_copied_when_missing_or_different_in_size_or_etag() {
        let source = objects(&[
            ("a", 1, "e1"),
            ("b", 2, "e2"),
            ("c", 3, "e3"),
            ("d", 4, "e4"),
        ]);
        let destination = objects(&[
            ("a", 1, "e1"),
            ("b", 2, "other"),
            ("c", 30, "e3"),
            ("z", 9, "e9"),
        ]);
        let plan = plan_sync(&source, &destination);
        assert_eq!(plan.copy, ["b", "c", "d"]);
        assert_eq!(plan.only_in_destination, ["z"]);
        assert_eq!(plan_sync(&source, &source), SyncPlan::default());
    }

    #[test]
    fn copy_sources_are_encoded_but_keep_their_slashes() {
        assert_eq!(
            copy_source("front", "assets/app 1.js", None),
            "front/assets/app%201.js"
        );
        assert_eq!(
            copy_source("front", "index.html", Some("v1")),
            "front/index.html?versionId=v1"
        );
    }
}
