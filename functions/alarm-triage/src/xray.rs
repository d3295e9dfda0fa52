//! X-Ray: the slowest traces of the window, as segment documents.

use aws_sdk_xray::Client;
use aws_sdk_xray::primitives::DateTime as AwsTime;
use chrono::{DateTime, Utc};
use shared::Error;

/// Traces broken down per triage: the slowest ones carry the signal.
pub const SLOWEST: usize = 5;
/// Summaries read at most (pages of up to 100).
const MAX_SUMMARIES: usize = 1_000;

/// A trace's segment documents (JSON strings) and its response time.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Trace id.
    pub id: String,
    /// Seconds, from the summary.
    pub response_time: f64,
    /// Segment documents.
    pub documents: Vec<String>,
}

/// The [`SLOWEST`] traces between `start` and `end` (whole seconds; no
/// filter expression — filtering, if any, is done here).
pub async fn slowest_traces(
    client: &Client,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Trace>, Error> {
    let mut summaries: Vec<(String, f64)> = Vec::new();
    let mut pages = client
        .get_trace_summaries()
        .start_time(AwsTime::from_secs(start.timestamp()))
        .end_time(AwsTime::from_secs(end.timestamp()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("GetTraceSummaries", e))?;
        for s in page.trace_summaries() {
            if let Some(id) = s.id() {
                summaries.push((
                    id.to_owned(),
                    s.response_time().or(s.duration()).unwrap_or(0.0),
                ));
            }
        }
        if summaries.len() >= MAX_SUMMARIES {
            break;
        }
    }
    summaries.sort_by(|a, b| b.1.total_cmp(&a.1));
    summaries.truncate(SLOWEST);
    if summaries.is_empty() {
        return Ok(Vec::new());
    }
    let out = client
        .batch_get_traces()
        .set_trace_ids(Some(summaries.iter().map(|(id, _)| id.clone()).collect()))
        .send()
        .await
        .map_err(|e| Error::aws("BatchGetTraces", e))?;
    Ok(summaries
        .into_iter()
        .map(|(id, response_time)| {
            let documents = out
                .traces()
                .iter()
                .find(|t| t.id() == Some(id.as_str()))
                .map(|t| {
                    t.segments()
                        .iter()
                        .filter_map(|s| s.document().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            Trace {
                id,
                response_time,
                documents,
            }
        })
        .collect())
}
