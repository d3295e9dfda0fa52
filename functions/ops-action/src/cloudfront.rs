//! CloudFront: an invalidation that a retry does not repeat
//! (`aws cloudfront create-invalidation`), and a cache policy's default TTL.

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use shared::{ActionResult, Error};

use crate::bounds::check_ttl;
use crate::request::OpsRequest;
use crate::text::Texts;
use crate::{Outcome, State};

fn not_found_is_invalid(field: &str, id: &str, err: Error) -> Error {
    match &err {
        Error::Aws { code, .. } if code.starts_with("NoSuch") => {
            Error::InvalidInput(format!("`{field}`: no such {field} `{id}`"))
        }
        _ => err,
    }
}

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
    state: &State,
    texts: &Texts,
    request: &OpsRequest,
    distribution: &str,
    paths: &[String],
) -> Result<Outcome, Error> {
    let cf = &state.cloudfront;
    cf.get_distribution()
        .id(distribution)
        .send()
        .await
        .map_err(|e| {
            not_found_is_invalid(
                "distribution",
                distribution,
                Error::aws("GetDistribution", e),
            )
        })?;
    let reference = caller_reference(request, distribution, paths);
    let mut outcome = Outcome::new(distribution, json!({}), json!({"paths": paths}));
    outcome.extra("caller_reference", json!(reference));
    let result = if request.may_change() {
        let started: DateTime<Utc> = Utc::now();
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
        // The same caller reference returns the invalidation made before
        // (a retry): only one made in this run is a change.
        let created = invalidation
            .map(|i| i.create_time())
            .and_then(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos()));
        let new = created.is_none_or(|t| t >= started - chrono::TimeDelta::seconds(1));
        outcome.extra("invalidation_id", json!(invalidation.map(|i| i.id())));
        outcome.extra(
            "invalidation_status",
            json!(invalidation.map(|i| i.status())),
        );
        outcome.changed = new;
        if new {
            ActionResult::Done
        } else {
            ActionResult::Skipped
        }
    } else {
        ActionResult::Planned
    };
    outcome.action(texts.invalidation_action(distribution, paths, result));
    outcome.headline = texts.invalidation_headline(paths);
    Ok(outcome)
}

/// `set-cloudfront-ttl`.
pub(crate) async fn set_ttl(
    state: &State,
    texts: &Texts,
    cache_policy: &str,
    default_ttl: i64,
    may_change: bool,
) -> Result<Outcome, Error> {
    let cf = &state.cloudfront;
    let found = cf
        .get_cache_policy()
        .id(cache_policy)
        .send()
        .await
        .map_err(|e| {
            not_found_is_invalid(
                "cache_policy",
                cache_policy,
                Error::aws("GetCachePolicy", e),
            )
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
    let runbook = state.config.common.runbook.cloudfront_ttl.as_secs();
    let runbook = i64::try_from(runbook).unwrap_or(i64::MAX);
    outcome.finding(texts.runbook_value(
        "default_ttl",
        &default_ttl.to_string(),
        &runbook.to_string(),
        default_ttl == runbook,
    ));
    outcome.headline = texts.change_headline(&current.to_string(), &default_ttl.to_string(), " s");
    Ok(outcome)
}
