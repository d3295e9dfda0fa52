//! CloudTrail's event history, read once per review: one paged
//! `LookupEvents` scan of the window (no lookup attribute, 50 a page), every
//! rule then runs over the events in memory. AWS allows 2 lookups a second
//! per account and Region; one scan per run and the SDK's retries keep to it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_cloudtrail::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_cloudtrail::error::BoxError;
use aws_sdk_cloudtrail::primitives::DateTime as AwsTime;
use chrono::{DateTime, Utc};
use serde_json::Value;
use shared::Error;

use crate::trail::{Principal, TrailEvent};

/// Events a `LookupEvents` page holds at most.
pub const PAGE_SIZE: i32 = 50;

/// Counts every request the CloudTrail client sends, retries included.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter(Arc<AtomicU32>);

impl RequestCounter {
    /// Requests sent so far.
    pub fn count(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// One Region's event history: its client, its requests counted on their own.
#[derive(Debug, Clone)]
pub struct RegionTrail {
    /// The Region.
    pub region: String,
    /// A CloudTrail client of that Region.
    pub client: Client,
    /// Its requests, retries included.
    pub requests: RequestCounter,
}

impl RegionTrail {
    /// The trail of `region` (the SDK configuration's own when `None`).
    pub fn new(sdk: &aws_config::SdkConfig, region: Option<&str>) -> RegionTrail {
        let requests = RequestCounter::default();
        let mut config =
            aws_sdk_cloudtrail::config::Builder::from(sdk).interceptor(requests.clone());
        if let Some(region) = region {
            config = config.region(aws_config::Region::new(region.to_owned()));
        }
        RegionTrail {
            region: region.map_or_else(|| shared::aws::region_of(sdk), str::to_owned),
            client: Client::from_conf(config.build()),
            requests,
        }
    }
}

/// What one Region's scan gave.
#[derive(Debug)]
pub struct RegionScan {
    /// The Region.
    pub region: String,
    /// LookupEvents requests it took, retries included.
    pub requests: u32,
    /// Its events, or why they could not be read.
    pub result: Result<Scan, Error>,
}

/// Every trail's window (the home Region and the global one scanned
/// concurrently), each its own paged scan: ⌈N/50⌉ requests for its N events.
pub async fn scan_all(
    trails: &[RegionTrail],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<RegionScan> {
    let one = |trail: &RegionTrail| {
        let trail = trail.clone();
        async move {
            let before = trail.requests.count();
            let result = scan(&trail.client, &trail.region, start, end).await;
            RegionScan {
                requests: trail.requests.count() - before,
                region: trail.region,
                result,
            }
        }
    };
    match trails {
        [home, global] => {
            let (home, global) = tokio::join!(one(home), one(global));
            vec![home, global]
        }
        _ => {
            let mut out = Vec::with_capacity(trails.len());
            for trail in trails {
                out.push(one(trail).await);
            }
            out
        }
    }
}

/// The events of every Region that could be read, merged: one event seen in
/// both Regions (same `EventId`) counts once — the first Region's copy —
/// newest first.
pub fn merge(scans: &[RegionScan]) -> Vec<TrailEvent> {
    let mut seen = std::collections::HashSet::new();
    let mut events: Vec<TrailEvent> = scans
        .iter()
        .filter_map(|s| s.result.as_ref().ok())
        .flat_map(|scan| scan.events.iter())
        .filter(|e| e.id.is_empty() || seen.insert(e.id.clone()))
        .cloned()
        .collect();
    events.sort_by_key(|e| std::cmp::Reverse(e.time));
    events
}

/// What a scan read.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// The window's events, newest first (as CloudTrail returns them).
    pub events: Vec<TrailEvent>,
    /// Events read (including any whose record could not be read).
    pub scanned: usize,
}

/// Every management event of `region`'s history with `start ≤ eventTime ≤
/// end`, all pages, each tagged with the Region.
pub async fn scan(
    client: &Client,
    region: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Scan, Error> {
    let mut pages = client
        .lookup_events()
        .start_time(AwsTime::from_secs(start.timestamp()))
        .end_time(AwsTime::from_secs(end.timestamp()))
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut out = Scan::default();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("LookupEvents", e))?;
        for event in page.events() {
            out.scanned += 1;
            let at = event.event_time().and_then(shared::time::from_aws);
            let resources: Vec<String> = event
                .resources()
                .iter()
                .filter_map(|r| r.resource_name().map(str::to_owned))
                .collect();
            let record: Value = event
                .cloud_trail_event()
                .and_then(|raw| serde_json::from_str(raw).ok())
                .unwrap_or(Value::Null);
            let parsed = TrailEvent::from_record(&record, resources.clone(), event.event_id(), at);
            match (parsed, event.event_name(), at) {
                (Some(e), _, _) => out.events.push(TrailEvent {
                    region: Some(region.to_owned()),
                    ..e
                }),
                // No readable record: what the listing itself says.
                (None, Some(name), Some(time)) => out.events.push(TrailEvent {
                    id: event.event_id().unwrap_or_default().to_owned(),
                    name: name.to_owned(),
                    time,
                    principal: Principal::Other(event.username().unwrap_or("unknown").to_owned()),
                    source_ip: None,
                    resources,
                    error_code: None,
                    region: Some(region.to_owned()),
                    facts: Default::default(),
                }),
                _ => tracing::warn!(
                    event_id = event.event_id().unwrap_or_default(),
                    "unreadable CloudTrail event"
                ),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
    use aws_sdk_cloudtrail::types::Event;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        shared::time::parse_event_time("at", rfc3339).unwrap()
    }

    #[tokio::test]
    async fn one_scan_asks_for_the_window_fifty_at_a_time_and_follows_every_token() {
        let (start, end) = (at("2026-11-30T00:00:00Z"), at("2026-12-01T00:00:00Z"));
        let record = |name: &str| {
            Event::builder()
                .event_id(name)
                .event_name("ListBuckets")
                .event_time(AwsTime::from_secs(at("2026-11-30T03:00:00Z").timestamp()))
                .cloud_trail_event(
                    serde_json::json!({"eventName": "ListBuckets", "eventTime": "2026-11-30T03:00:00Z",
                        "userIdentity": {"type": "IAMUser", "userName": "dave"}})
                    .to_string(),
                )
                .build()
        };
        let asks_the_window =
            move |r: &aws_sdk_cloudtrail::operation::lookup_events::LookupEventsInput| {
                r.start_time().map(|t| t.secs()) == Some(start.timestamp())
                    && r.end_time().map(|t| t.secs()) == Some(end.timestamp())
                    && r.max_results() == Some(PAGE_SIZE)
                    && r.lookup_attributes().is_empty()
                    && r.event_category().is_none()
            };
        let first = mock!(Client::lookup_events)
            .match_requests(move |r| asks_the_window(r) && r.next_token().is_none())
            .then_output(move || {
                LookupEventsOutput::builder()
                    .events(record("a"))
                    .next_token("page-2")
                    .build()
            });
        let second = mock!(Client::lookup_events)
            .match_requests(move |r| asks_the_window(r) && r.next_token() == Some("page-2"))
            .then_output(move || LookupEventsOutput::builder().events(record("b")).build());
        let client = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&first, &second]);

        let scan = scan(&client, "ap-northeast-1", start, end).await.unwrap();

        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
        assert_eq!(scan.scanned, 2);
        assert_eq!(scan.events[1].id, "b");
        assert_eq!(scan.events[0].principal, Principal::IamUser("dave".into()));
        assert_eq!(scan.events[0].region.as_deref(), Some("ap-northeast-1"));
    }

    fn listed(id: &str, minute: u32, region: &str) -> TrailEvent {
        TrailEvent {
            id: id.into(),
            name: "ConsoleLogin".into(),
            time: at(&format!("2026-11-30T03:{minute:02}:00Z")),
            principal: Principal::IamUser("dave".into()),
            source_ip: None,
            resources: Vec::new(),
            error_code: None,
            region: Some(region.into()),
            facts: Default::default(),
        }
    }

    #[test]
    fn merged_regions_count_an_event_seen_in_both_once_newest_first() {
        let home = RegionScan {
            region: "ap-northeast-1".into(),
            requests: 1,
            result: Ok(Scan {
                events: vec![
                    listed("shared", 5, "ap-northeast-1"),
                    listed("home", 1, "ap-northeast-1"),
                ],
                scanned: 2,
            }),
        };
        let global = RegionScan {
            region: "us-east-1".into(),
            requests: 1,
            result: Ok(Scan {
                events: vec![
                    listed("global", 9, "us-east-1"),
                    listed("shared", 5, "us-east-1"),
                ],
                scanned: 2,
            }),
        };
        let failed = RegionScan {
            region: "eu-west-1".into(),
            requests: 3,
            result: Err(Error::InvalidInput("denied".into())),
        };
        let merged = merge(&[home, global, failed]);
        let ids: Vec<(&str, Option<&str>)> = merged
            .iter()
            .map(|e| (e.id.as_str(), e.region.as_deref()))
            .collect();
        assert_eq!(
            ids,
            [
                ("global", Some("us-east-1")),
                ("shared", Some("ap-northeast-1")),
                ("home", Some("ap-northeast-1"))
            ]
        );
    }
}
