//! OpsCenter OpsItems (`TRIAGE_OPSITEMS=true`, ARCHITECTURE §4
//! alarm-triage): an ALARM triage opens one per episode — deduplicated by
//! `/aws/dedup` on `<alarm ARN>#<episode start>`, so a retry or a reminder
//! never opens a second — and the OK that ends the episode resolves it.

use std::collections::HashMap;

use aws_sdk_ssm::Client;
use aws_sdk_ssm::operation::create_ops_item::CreateOpsItemError;
use aws_sdk_ssm::types::{
    OpsItemDataType, OpsItemDataValue, OpsItemFilter, OpsItemFilterKey, OpsItemFilterOperator,
    OpsItemStatus,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::json;
use shared::{Error, Severity};

/// The OpsItem's `Source`.
pub const SOURCE: &str = "goal-mandala-ops";
/// The operational data key our own lookups filter on (the episode's key).
pub const EPISODE_KEY: &str = "/goal-mandala-ops/episode";
/// AWS's limit on an OpsItem's description.
pub const DESCRIPTION_MAX: usize = 1024;
/// AWS's limit on an OpsItem's title.
pub const TITLE_MAX: usize = 1024;

/// The episode's key: `<alarm ARN>#<episode start, RFC 3339 seconds>`.
pub fn episode_key(alarm_arn: &str, started_at: DateTime<Utc>) -> String {
    format!(
        "{alarm_arn}#{}",
        started_at.to_rfc3339_opts(SecondsFormat::Secs, true)
    )
}

/// What an OpsItem call came to, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpsItemOutcome {
    /// `oi-…`, when there is one.
    pub id: Option<String>,
    /// `created`, `exists`, `resolved`, `none-open` or `planned`.
    pub status: &'static str,
}

/// An OpsItem to open.
#[derive(Debug, Clone)]
pub struct NewOpsItem<'a> {
    /// The report's title.
    pub title: &'a str,
    /// The report's summary (cut to AWS's limit).
    pub description: &'a str,
    /// `Availability` or `Performance`.
    pub category: &'static str,
    /// The report's severity.
    pub severity: Severity,
    /// The alarm's ARN (the related resource and the dedup key).
    pub alarm_arn: &'a str,
    /// The episode's start.
    pub started_at: DateTime<Utc>,
}

/// OpsCenter's severity, 1 (critical) to 4 (low).
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "1",
        Severity::Warning => "2",
        Severity::Info => "3",
    }
}

fn data(value: impl Into<String>, searchable: bool) -> OpsItemDataValue {
    OpsItemDataValue::builder()
        .value(value)
        .r#type(if searchable {
            OpsItemDataType::SearchableString
        } else {
            OpsItemDataType::String
        })
        .build()
}

/// Opens the episode's OpsItem, or finds the one already open (dedup).
pub async fn open(client: &Client, item: &NewOpsItem<'_>) -> Result<OpsItemOutcome, Error> {
    let key = episode_key(item.alarm_arn, item.started_at);
    let operational = HashMap::from([
        (
            "/aws/dedup".to_owned(),
            data(json!({ "dedupString": key }).to_string(), false),
        ),
        (
            "/aws/resources".to_owned(),
            data(json!([{ "arn": item.alarm_arn }]).to_string(), true),
        ),
        (EPISODE_KEY.to_owned(), data(key.clone(), true)),
    ]);
    let created = client
        .create_ops_item()
        .title(shared::report::one_line(item.title, TITLE_MAX))
        .description(shared::report::cut(item.description, DESCRIPTION_MAX))
        .source(SOURCE)
        .category(item.category)
        .severity(severity(item.severity))
        .set_operational_data(Some(operational))
        .send()
        .await;
    match created {
        Ok(out) => Ok(OpsItemOutcome {
            id: out.ops_item_id().map(str::to_owned),
            status: "created",
        }),
        Err(err) => match err.as_service_error() {
            Some(CreateOpsItemError::OpsItemAlreadyExistsException(e)) => Ok(OpsItemOutcome {
                id: e.ops_item_id().map(str::to_owned),
                status: "exists",
            }),
            _ => Err(Error::aws("CreateOpsItem", err)),
        },
    }
}

/// Resolves the open OpsItem of the episode, noting how long it lasted.
pub async fn resolve(
    client: &Client,
    alarm_arn: &str,
    started_at: DateTime<Utc>,
    minutes: i64,
) -> Result<OpsItemOutcome, Error> {
    let key = episode_key(alarm_arn, started_at);
    let filter = |k: OpsItemFilterKey, v: String| {
        OpsItemFilter::builder()
            .key(k)
            .values(v)
            .operator(OpsItemFilterOperator::Equal)
            .build()
            .map_err(|e| Error::Unexpected(format!("OpsItem filter: {e}")))
    };
    let mut open = Vec::new();
    let mut pages = client
        .describe_ops_items()
        .ops_item_filters(filter(
            OpsItemFilterKey::OperationalData,
            json!({"key": EPISODE_KEY, "value": key}).to_string(),
        )?)
        .ops_item_filters(filter(OpsItemFilterKey::Status, "Open".to_owned())?)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("DescribeOpsItems", e))?;
        open.extend(
            page.ops_item_summaries()
                .iter()
                .filter(|s| s.status() != Some(&OpsItemStatus::Resolved))
                .filter_map(|s| s.ops_item_id().map(str::to_owned)),
        );
    }
    let Some(id) = open.first().cloned() else {
        return Ok(OpsItemOutcome {
            id: None,
            status: "none-open",
        });
    };
    for id in &open {
        client
            .update_ops_item()
            .ops_item_id(id)
            .status(OpsItemStatus::Resolved)
            .operational_data(
                "/goal-mandala-ops/duration-minutes",
                data(minutes.to_string(), false),
            )
            .send()
            .await
            .map_err(|e| Error::aws("UpdateOpsItem", e))?;
    }
    Ok(OpsItemOutcome {
        id: Some(id),
        status: "resolved",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_episode_key_is_the_alarm_and_its_start_to_the_second() {
        let start = DateTime::parse_from_rfc3339("2026-11-28T01:05:00.123Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            episode_key("arn:aws:cloudwatch:ap-northeast-1:1:alarm:a", start),
            "arn:aws:cloudwatch:ap-northeast-1:1:alarm:a#2026-11-28T01:05:00Z"
        );
        assert_eq!(
            shared::report::cut(&"あ".repeat(2000), DESCRIPTION_MAX)
                .chars()
                .count(),
            1024
        );
        assert_eq!(shared::report::cut("short", DESCRIPTION_MAX), "short");
        assert_eq!(
            (
                severity(Severity::Critical),
                severity(Severity::Warning),
                severity(Severity::Info)
            ),
            ("1", "2", "3")
        );
    }
}
