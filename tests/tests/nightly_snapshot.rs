//! nightly-snapshot's handler against the emulated production: real RDS,
//! SNS and SQS calls to the bed, the notification read back through SQS.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_rds::types::Tag;
use bed::{Bed, Inbox};
use chrono::{TimeDelta, Utc};
use lambda_runtime::{Context, LambdaEvent};
use nightly_snapshot::{NightlySnapshot, SnapshotConfig};
use serde_json::{Value, json};
use shared::entry::handle;
use shared::{Error, Report};

const CLUSTER: &str = "goal-mandala-production";
const PREFIX: &str = "goal-mandala-production-manual-";

/// The emulated production plus a queue subscribed to the report topic.
struct Production {
    bed: Bed,
    rds: aws_sdk_rds::Client,
    inbox: Inbox,
}

impl Production {
    async fn start(with_cluster: bool) -> Production {
        let bed = Bed::start().unwrap();
        let sdk = bed.sdk_config();
        let rds = aws_sdk_rds::Client::new(&sdk);
        if with_cluster {
            create_cluster(&rds, CLUSTER).await;
        }
        let inbox = Inbox::ops(&sdk).await.unwrap();
        Production { bed, rds, inbox }
    }

    fn state(&self, extra: &[(&str, &str)]) -> NightlySnapshot {
        let env = self.inbox.env(extra);
        NightlySnapshot::new(
            SnapshotConfig::from_env(&env).unwrap(),
            &self.bed.function_sdk_config("nightly-snapshot"),
        )
        .unwrap()
    }

    async fn snapshot(&self, id: &str, cluster: &str, tags: &[(&str, &str)]) {
        let mut request = self
            .rds
            .create_db_cluster_snapshot()
            .db_cluster_identifier(cluster)
            .db_cluster_snapshot_identifier(id);
        for (k, v) in tags {
            request = request.tags(Tag::builder().key(*k).value(*v).build());
        }
        request.send().await.unwrap();
        // Creation times order the snapshots; keep them distinct.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    async fn snapshot_ids(&self) -> BTreeSet<String> {
        self.rds
            .describe_db_cluster_snapshots()
            .snapshot_type("manual")
            .send()
            .await
            .unwrap()
            .db_cluster_snapshots()
            .iter()
            .filter_map(|s| s.db_cluster_snapshot_identifier().map(str::to_owned))
            .collect()
    }

    async fn tags_of(&self, id: &str) -> Vec<(String, String)> {
        let out = self
            .rds
            .describe_db_cluster_snapshots()
            .db_cluster_snapshot_identifier(id)
            .send()
            .await
            .unwrap();
        out.db_cluster_snapshots()[0]
            .tag_list()
            .iter()
            .map(|t| (t.key().unwrap().to_owned(), t.value().unwrap().to_owned()))
            .collect()
    }

    /// Every notification published so far, as the reports the SQS subscriber got.
    async fn notifications(&self) -> Vec<Value> {
        self.inbox.take().await.unwrap()
    }
}

async fn create_cluster(rds: &aws_sdk_rds::Client, id: &str) {
    bed::production::create_cluster(rds, id).await.unwrap();
}

fn sample(name: &str) -> Value {
    let path = bed::workspace_root()
        .join("events/nightly-snapshot")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn invoke(state: &NightlySnapshot, payload: Value) -> Result<Report, Error> {
    handle(state, LambdaEvent::new(payload.into(), Context::default())).await
}

fn own_tags() -> [(&'static str, &'static str); 1] {
    [("created-by", "nightly-snapshot")]
}

#[tokio::test]
async fn scheduled_run_creates_the_runbook_named_snapshot_with_tags_and_notifies() {
    let prod = Production::start(true).await;
    let state = prod.state(&[]);

    let report = invoke(&state, sample("scheduled-event.json"))
        .await
        .unwrap();

    // 2026-11-28T19:30:00Z is 04:30 JST on the 29th.
    let id = "goal-mandala-production-manual-20261129-043000";
    assert_eq!(report.extra["snapshot_id"], id);
    assert_eq!(report.extra["created"], true);
    assert_eq!(report.extra["pruned"], json!([]));
    assert_eq!(report.extra["quota_used"], 1);
    assert_eq!(report.at.to_rfc3339(), "2026-11-28T19:30:00+00:00");
    assert_eq!(report.severity, shared::Severity::Info);
    assert!(report.title.contains(id), "{}", report.title);
    assert!(
        report.summary.contains("作成しました"),
        "{}",
        report.summary
    );
    assert_eq!(prod.snapshot_ids().await, BTreeSet::from([id.to_owned()]));
    let tags = prod.tags_of(id).await;
    for expected in [
        ("created-by", "nightly-snapshot"),
        ("trigger", "schedule"),
        ("reason", "nightly"),
    ] {
        assert!(
            tags.contains(&(expected.0.into(), expected.1.into())),
            "{tags:?}"
        );
    }

    let notifications = prod.notifications().await;
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0], serde_json::to_value(&report).unwrap());
}

#[tokio::test]
async fn retried_event_does_not_create_a_second_snapshot() {
    let prod = Production::start(true).await;
    let state = prod.state(&[]);
    let event = sample("scheduler-input.json");

    let first = invoke(&state, event.clone()).await.unwrap();
    let retry = invoke(&state, event).await.unwrap();

    assert_eq!(first.extra["created"], true);
    assert_eq!(retry.extra["created"], false);
    assert_eq!(retry.extra["snapshot_id"], first.extra["snapshot_id"]);
    assert_eq!(retry.actions[0].result, shared::ActionResult::Skipped);
    assert_eq!(retry.severity, shared::Severity::Info);
    assert_eq!(prod.snapshot_ids().await.len(), 1);
    assert_eq!(prod.notifications().await.len(), 2);
}

#[tokio::test]
async fn a_manual_run_tags_its_reason_and_sees_the_previous_snapshot() {
    let prod = Production::start(true).await;
    let state = prod.state(&[]);
    let nightly = invoke(&state, sample("scheduler-input.json"))
        .await
        .unwrap();

    let manual = invoke(&state, sample("manual.json")).await.unwrap();

    let id = manual.extra["snapshot_id"].as_str().unwrap().to_owned();
    assert_ne!(json!(id), nightly.extra["snapshot_id"]);
    assert!(id.starts_with(PREFIX));
    let tags = prod.tags_of(&id).await;
    assert!(tags.contains(&("trigger".into(), "manual".into())));
    assert!(tags.contains(&("reason".into(), "pre-deploy".into())));
    let previous = manual
        .findings
        .iter()
        .find(|f| f.check == "previous-snapshot")
        .unwrap();
    assert_eq!(previous.status, shared::FindingStatus::Ok);
    assert!(
        previous
            .detail
            .contains(nightly.extra["snapshot_id"].as_str().unwrap())
    );
}

/// Own snapshots made "now" by the emulator, judged by an event 40 days later.
async fn seed_for_pruning(prod: &Production) -> (Vec<String>, Vec<String>) {
    create_cluster(&prod.rds, "goal-mandala-staging").await;
    let kept = format!("{PREFIX}kept");
    prod.snapshot(
        &kept,
        CLUSTER,
        &[("created-by", "nightly-snapshot"), ("keep", "true")],
    )
    .await;
    let mut own = Vec::new();
    for i in 1..=5 {
        let id = format!("{PREFIX}2026100{i}-043000");
        prod.snapshot(&id, CLUSTER, &own_tags()).await;
        own.push(id);
    }
    let foreign = vec![
        format!("{PREFIX}untagged"),
        "before-migration".to_owned(),
        "goal-mandala-staging-manual-20261001-043000".to_owned(),
    ];
    prod.snapshot(&foreign[0], CLUSTER, &[]).await;
    prod.snapshot(&foreign[1], CLUSTER, &own_tags()).await;
    prod.snapshot(&foreign[2], "goal-mandala-staging", &own_tags())
        .await;
    let mut untouchable = foreign;
    untouchable.push(kept);
    (own, untouchable)
}

fn forty_days_on() -> Value {
    json!({"scheduled_time": (Utc::now() + TimeDelta::days(40)).to_rfc3339()})
}

#[tokio::test]
async fn old_own_snapshots_are_pruned_but_keep_min_foreign_and_kept_ones_stay() {
    let prod = Production::start(true).await;
    let (own, untouchable) = seed_for_pruning(&prod).await;
    let state = prod.state(&[("SNAPSHOT_KEEP_MIN", "3")]);

    let report = invoke(&state, forty_days_on()).await.unwrap();

    // Newest three own snapshots by creation time: this run's, own[4], own[3].
    let expected: BTreeSet<String> = own[..3].iter().cloned().collect();
    let pruned: BTreeSet<String> = serde_json::from_value(report.extra["pruned"].clone()).unwrap();
    assert_eq!(pruned, expected);
    let remaining = prod.snapshot_ids().await;
    for id in &untouchable {
        assert!(remaining.contains(id), "{id} must never be pruned");
    }
    for id in &own[3..] {
        assert!(remaining.contains(id), "{id} is within keep-min");
    }
    for id in &expected {
        assert!(!remaining.contains(id), "{id} should be gone");
    }
    assert_eq!(report.extra["quota_used"], json!(remaining.len()));
    let deletes = report
        .actions
        .iter()
        .filter(|a| a.action == "delete-snapshot")
        .count();
    assert_eq!(deletes, 3);
}

#[tokio::test]
async fn dry_run_changes_nothing_and_reports_the_plan() {
    let prod = Production::start(true).await;
    let (own, _) = seed_for_pruning(&prod).await;
    let before = prod.snapshot_ids().await;
    let state = prod.state(&[("SNAPSHOT_KEEP_MIN", "3")]);
    let mut event = forty_days_on();
    event["dry_run"] = json!(true);

    let report = invoke(&state, event).await.unwrap();

    assert_eq!(prod.snapshot_ids().await, before);
    assert!(report.dry_run);
    assert_eq!(report.extra["created"], false);
    assert_eq!(report.extra["pruned"], json!([]));
    assert!(
        report
            .actions
            .iter()
            .all(|a| a.result == shared::ActionResult::Planned)
    );
    let planned: BTreeSet<&str> = report
        .actions
        .iter()
        .filter(|a| a.action == "delete-snapshot")
        .map(|a| a.target.as_str())
        .collect();
    assert_eq!(planned, own[..3].iter().map(String::as_str).collect());
    assert!(report.title.contains("ドライラン"));
    assert_eq!(prod.notifications().await.len(), 1);
}

#[tokio::test]
async fn the_dry_run_variable_applies_when_the_event_says_nothing() {
    let prod = Production::start(true).await;
    let state = prod.state(&[("DRY_RUN", "true")]);
    let report = invoke(&state, sample("manual.json")).await.unwrap();
    assert!(report.dry_run);
    assert!(prod.snapshot_ids().await.is_empty());
}

#[tokio::test]
async fn bad_input_is_rejected_changes_nothing_and_is_not_notified() {
    let prod = Production::start(true).await;
    let state = prod.state(&[]);
    for payload in [
        sample("invalid.json"),
        json!([1, 2]),
        json!("snapshot"),
        json!({"time": "soon"}),
    ] {
        let err = invoke(&state, payload.clone()).await.unwrap_err();
        assert_eq!(
            err.error_type(),
            shared::ErrorType::InvalidInput,
            "{payload}: {err}"
        );
    }
    assert!(prod.snapshot_ids().await.is_empty());
    assert!(prod.notifications().await.is_empty());
}

#[tokio::test]
async fn a_missing_cluster_is_a_config_error_that_is_notified() {
    let prod = Production::start(false).await;
    let state = prod.state(&[]);

    let err = invoke(&state, sample("scheduler-input.json"))
        .await
        .unwrap_err();

    assert_eq!(err.error_type(), shared::ErrorType::Config);
    assert!(err.to_string().contains("DB_CLUSTER_ID"), "{err}");
    assert!(prod.snapshot_ids().await.is_empty());
    let notifications = prod.notifications().await;
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0]["severity"], "critical");
    assert_eq!(notifications[0]["function"], "nightly-snapshot");
}

#[tokio::test]
async fn quota_use_at_eighty_percent_is_a_warning() {
    let prod = Production::start(true).await;
    for i in 0..3 {
        prod.snapshot(&format!("other-tool-{i}"), CLUSTER, &[])
            .await;
    }
    let state = prod.state(&[("SNAPSHOT_QUOTA", "5"), ("REPORT_LANG", "en")]);

    let report = invoke(&state, sample("scheduler-input.json"))
        .await
        .unwrap();

    let quota = report
        .findings
        .iter()
        .find(|f| f.check == "snapshot-quota")
        .unwrap();
    assert_eq!(quota.status, shared::FindingStatus::Warning);
    assert_eq!(quota.value, Some(4.0));
    assert_eq!(quota.threshold, Some(4.0));
    assert_eq!(report.severity, shared::Severity::Warning);
    assert!(
        report
            .next_steps
            .iter()
            .any(|s| s.contains("SNAPSHOT_RETENTION_DAYS"))
    );
    assert!(
        report.summary.starts_with("Created manual snapshot"),
        "{}",
        report.summary
    );
}
