//! CloudFront: an invalidation that a retry does not repeat
//! (`aws cloudfront create-invalidation`), and a cache policy's default TTL.

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use shared::{ActionResult, Error};

use crate::bounds::check_ttl;
use crate::request::OpsRequest;
use crate::text::Texts;
use crate::{OpsAction, Outcome};

/// The invalidation's caller reference: the payload and the event's time
/// when it has one, else the invocation's request id (Lambda keeps it across
/// its own retries of an async event) — so a retry does not invalidate twice
/// and a new invocation does.
pub fn caller_reference(request: &OpsRequest, distribution: &str, paths: &[String]) -> String {
    let mut hash = Sha256::new();
    hash.update(distribution.as_bytes());
    for path in paths {
        hash.update(b"\0");
        hash.update(path.as_bytes());
    }
    hash.update(b"\0");
    if request.timed {
        hash.update(request.now.timestamp().to_string().as_bytes());
    } else {
        hash.update(request.request_id.as_bytes());
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("ops-action-{hex}")
}

/// `cloudfront-invalidate`.
pub(crate) async fn invalidate(
    state: &OpsAction,
    texts: &Texts,
    request: &OpsRequest,
    distribution: &str,
    paths: &[String],
) -> Result<Outcome, Error> {
    let cf = &state.cloudfront;
    let answer = cf.get_distribution().id(distribution).send().await;
    shared::aws::found("GetDistribution", answer, |e| e.is_no_such_distribution())?.ok_or_else(
        || {
            Error::InvalidInput(format!(
                "`distribution`: no such distribution `{distribution}`"
            ))
        },
    )?;
    let reference = caller_reference(request, distribution, paths);
    let mut outcome = Outcome::new(distribution, json!({}), json!({"paths": paths}));
    outcome.extra("caller_reference", json!(reference));
    // A retry is recognised by CloudFront's own record of this caller
    // reference, looked up before creating: no write call, and a verdict that
    // does not depend on how soon the retry comes.
    let made_before = if request.may_change() {
        find_invalidation(state, distribution, &reference, earliest_creation(request)).await?
    } else {
        None
    };
    let result = if let Some((id, status)) = made_before {
        outcome.extra("invalidation_id", json!(id));
        outcome.extra("invalidation_status", json!(status));
        ActionResult::Skipped
    } else if request.may_change() {
        let batch = InvalidationBatch::builder()
            .caller_reference(&reference)
            .paths(
                Paths::builder()
                    .quantity(i32::try_from(paths.len()).unwrap_or(i32::MAX))
                    .set_items(Some(paths.to_vec()))
                    .build()
                    .map_err(|e| Error::Unexpected(format!("invalidation paths: {e}")))?,
            )
            .build()
            .map_err(|e| Error::Unexpected(format!("invalidation batch: {e}")))?;
        let out = cf
            .create_invalidation()
            .distribution_id(distribution)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| Error::aws("CreateInvalidation", e))?;
        let invalidation = out.invalidation();
        outcome.extra("invalidation_id", json!(invalidation.map(|i| i.id())));
        outcome.extra(
            "invalidation_status",
            json!(invalidation.map(|i| i.status())),
        );
        outcome.changed = true;
        ActionResult::Done
    } else {
        ActionResult::Planned
    };
    outcome.action(texts.invalidation_action(distribution, paths, result));
    outcome.headline = texts.invalidation_headline(paths);
    Ok(outcome)
}

/// The earliest time an invalidation of this request can have been made: an
/// event's own time (less a clock skew), else the oldest age at which Lambda
/// still retries an asynchronous invocation (6 hours).
fn earliest_creation(request: &OpsRequest) -> DateTime<Utc> {
    if request.timed {
        request.now - TimeDelta::minutes(5)
    } else {
        request.now - TimeDelta::hours(6)
    }
}

/// The invalidation of `distribution` made with `reference`, if any (id and
/// status): every ListInvalidations page, and GetInvalidation for each one
/// made since `since` (only GetInvalidation tells its caller reference).
async fn find_invalidation(
    state: &OpsAction,
    distribution: &str,
    reference: &str,
    since: DateTime<Utc>,
) -> Result<Option<(String, String)>, Error> {
    let cf = &state.cloudfront;
    let mut pages = cf
        .list_invalidations()
        .distribution_id(distribution)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("ListInvalidations", e))?;
        let items = page
            .invalidation_list()
            .map(|l| l.items())
            .unwrap_or_default();
        for summary in items {
            if shared::time::from_aws(summary.create_time()).is_some_and(|t| t < since) {
                continue;
            }
            let found = cf
                .get_invalidation()
                .distribution_id(distribution)
                .id(summary.id())
                .send()
                .await
                .map_err(|e| Error::aws("GetInvalidation", e))?;
            let same = found
                .invalidation()
                .and_then(|i| i.invalidation_batch())
                .is_some_and(|b| b.caller_reference() == reference);
            if same {
                return Ok(Some((summary.id().to_owned(), summary.status().to_owned())));
            }
        }
    }
    Ok(None)
}

/// `set-cloudfront-ttl`.
pub(crate) async fn set_ttl(
    state: &OpsAction,
    texts: &Texts,
    cache_policy: &str,
    default_ttl: i64,
    may_change: bool,
) -> Result<Outcome, Error> {
    let cf = &state.cloudfront;
    let answer = cf.get_cache_policy().id(cache_policy).send().await;
    let found = shared::aws::found("GetCachePolicy", answer, |e| e.is_no_such_cache_policy())?
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "`cache_policy`: no such cache_policy `{cache_policy}`"
            ))
        })?;
    let etag = found.e_tag().unwrap_or_default().to_owned();
    let config = found
        .cache_policy()
        .and_then(|p| p.cache_policy_config())
        .cloned()
        .ok_or_else(|| {
            Error::Unexpected(format!("cache policy {cache_policy} has no configuration"))
        })?;
    let current = config.default_ttl().unwrap_or(0);
    let (min_ttl, max_ttl) = (config.min_ttl(), config.max_ttl().unwrap_or(i64::MAX));
    check_ttl(default_ttl, min_ttl, max_ttl)?;
    let mut outcome = Outcome::new(
        cache_policy,
        json!({"default_ttl": current, "min_ttl": min_ttl, "max_ttl": config.max_ttl()}),
        json!({"default_ttl": default_ttl}),
    );
    let result = if current == default_ttl {
        ActionResult::Skipped
    } else if may_change {
        let mut updated = config.clone();
        updated.default_ttl = Some(default_ttl);
        cf.update_cache_policy()
            .id(cache_policy)
            .if_match(etag)
            .cache_policy_config(updated)
            .send()
            .await
            .map_err(|e| Error::aws("UpdateCachePolicy", e))?;
        outcome.changed = true;
        ActionResult::Done
    } else {
        ActionResult::Planned
    };
    outcome.action(texts.ttl_action(cache_policy, current, default_ttl, result));
    let runbook = &state.config.common.runbook;
    outcome.finding(texts.runbook_value(
        "default_ttl",
        &default_ttl.to_string(),
        &runbook.cloudfront_ttl.as_secs().to_string(),
        runbook.judge_cloudfront_ttl(default_ttl) == shared::FindingStatus::Ok,
    ));
    outcome.headline = texts.change_headline(&current.to_string(), &default_ttl.to_string(), " s");
    Ok(outcome)
}
