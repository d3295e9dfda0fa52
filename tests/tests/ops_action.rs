//! ops-action's handler against the bed: the API function with an alias,
//! the Aurora cluster and its snapshots, the frontend and backup buckets, a
//! CloudFront distribution and cache policy; every action planned (nothing
//! changes, read back), confirmed (changed, read back), retried (no-op,
//! silent), dry-run with confirm (nothing), and refused before any write.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_cloudfront::types::{
    DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig, ViewerProtocolPolicy,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use bed::{Bed, Inbox};
use lambda_runtime::{Context, LambdaEvent};
use ops_action::{OpsAction, OpsConfig};
use serde_json::{Value, json};
use shared::entry::handle;
use shared::{ActionResult, Error, ErrorType, FindingStatus, Report};

const FUNCTION: &str = "goal-mandala-production-api";
const CLUSTER: &str = "goal-mandala-production";
const SNAPSHOT: &str = "goal-mandala-production-manual-20261201-043000";
const FRONTEND: &str = "goal-mandala-production-frontend";
const BACKUP: &str = "goal-mandala-production-backup";
const POLICY: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// Never in a report: the cluster's master password and an object's content.
const MASTER_PASSWORD: &str = "not-a-real-password-1";
const OBJECT_SECRET: &str = "S3CR3T-OBJECT-CONTENT-9f2";

struct Production {
    bed: Bed,
    inbox: Inbox,
    lambda: aws_sdk_lambda::Client,
    rds: aws_sdk_rds::Client,
    s3: aws_sdk_s3::Client,
    cloudfront: aws_sdk_cloudfront::Client,
    distribution: String,
}

impl Production {
    async fn start() -> Production {
        let bed = Bed::start().unwrap();
        let sdk = bed.sdk_config();
        let inbox = Inbox::ops(&sdk).await.unwrap();
        let lambda = aws_sdk_lambda::Client::new(&sdk);
        bed::production::create_api_function(&sdk, FUNCTION)
            .await
            .unwrap();
        let rds = aws_sdk_rds::Client::new(&sdk);
        bed::production::create_cluster(&rds, CLUSTER)
            .await
            .unwrap();
        rds.create_db_cluster_snapshot()
            .db_cluster_identifier(CLUSTER)
            .db_cluster_snapshot_identifier(SNAPSHOT)
            .send()
            .await
            .unwrap();
        let s3 = aws_sdk_s3::Client::new(&sdk);
        for bucket in [FRONTEND, BACKUP] {
            bed::production::create_bucket(&s3, bucket).await.unwrap();
        }
        s3.put_bucket_versioning()
            .bucket(FRONTEND)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let cloudfront = aws_sdk_cloudfront::Client::new(&sdk);
        let origin = Origin::builder()
            .id("frontend")
            .domain_name(format!("{FRONTEND}.s3.ap-northeast-1.amazonaws.com"))
            .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
            .build()
            .unwrap();
        let config = DistributionConfig::builder()
            .caller_reference("goal-mandala-production")
            .origins(
                Origins::builder()
                    .quantity(1)
                    .items(origin)
                    .build()
                    .unwrap(),
            )
            .default_cache_behavior(
                DefaultCacheBehavior::builder()
                    .target_origin_id("frontend")
                    .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                    .cache_policy_id(POLICY)
                    .build()
                    .unwrap(),
            )
            .comment("goal-mandala-production")
            .enabled(true)
            .build()
            .unwrap();
        let distribution = cloudfront
            .create_distribution()
            .distribution_config(config)
            .send()
            .await
            .unwrap()
            .distribution
            .unwrap()
            .id()
            .to_owned();
        bed.seed_cache_policy(&json!({"id": POLICY, "name": "goal-mandala-frontend", "min_ttl": 1, "default_ttl": 86400, "max_ttl": 31536000}))
            .unwrap();
        Production {
            bed,
            inbox,
            lambda,
            rds,
            s3,
            cloudfront,
            distribution,
        }
    }

    fn state(&self, extra: &[(&str, &str)]) -> OpsAction {
        let mut env = self
            .inbox
            .env(&[("FRONTEND_BUCKET", FRONTEND), ("BACKUP_BUCKET", BACKUP)]);
        for (k, v) in extra {
            env.set(*k, *v);
        }
        OpsAction::new(
            OpsConfig::from_env(&env).unwrap(),
            &self.bed.function_sdk_config("ops-action"),
        )
        .unwrap()
    }

    async fn act(&self, state: &OpsAction, payload: Value) -> Result<Report, Error> {
        self.bed.forget_requests().unwrap();
        let mut context = Context::default();
        context.request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd".into();
        handle(state, LambdaEvent::new(payload.into(), context)).await
    }

    fn writes(&self) -> Vec<String> {
        self.bed
            .writes()
            .unwrap()
            .iter()
            .map(|r| r.name())
            .collect()
    }

    fn calls(&self, operation: &str) -> usize {
        self.bed
            .requests()
            .unwrap()
            .iter()
            .filter(|r| r.operation.as_deref() == Some(operation))
            .count()
    }

    async fn notifications(&self) -> usize {
        self.inbox.take().await.unwrap().len()
    }

    async fn reserved(&self) -> Option<i32> {
        self.lambda
            .get_function_concurrency()
            .function_name(FUNCTION)
            .send()
            .await
            .unwrap()
            .reserved_concurrent_executions()
    }

    async fn capacity(&self) -> (f64, f64) {
        bed::production::capacity(&self.rds, CLUSTER).await.unwrap()
    }

    async fn put(&self, bucket: &str, key: &str, body: &str) -> String {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body.as_bytes().to_vec()))
            .send()
            .await
            .unwrap()
            .version_id()
            .unwrap_or_default()
            .to_owned()
    }

    async fn keys(&self, bucket: &str) -> usize {
        let mut n = 0;
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            n += page.unwrap().contents().len();
        }
        n
    }
}

fn runbook_value(report: &Report) -> FindingStatus {
    report
        .findings
        .iter()
        .find(|f| f.check == "runbook-value")
        .unwrap()
        .status
}

fn result(report: &Report) -> ActionResult {
    report.actions[0].result
}

#[tokio::test]
async fn reserved_concurrency_plan_confirm_retry_and_refusals() {
    let p = Production::start().await;
    let state = p.state(&[]);
    let ask = json!({"action": "set-lambda-concurrency", "reserved": 20});

    // The plan: nothing changes.
    let plan = p.act(&state, ask.clone()).await.unwrap();
    assert_eq!(
        (
            plan.extra["changed"].as_bool(),
            plan.extra["confirmed"].as_bool()
        ),
        (Some(false), Some(false))
    );
    assert_eq!(plan.extra["current"], json!({"reserved": null}));
    assert_eq!(plan.extra["proposed"], json!({"reserved": 20}));
    assert_eq!(result(&plan), ActionResult::Planned);
    assert!(p.writes().is_empty(), "{:?}", p.writes());
    assert_eq!(p.reserved().await, None);
    assert!(
        plan.next_steps
            .iter()
            .any(|s| s.contains("\"confirm\": true"))
    );
    assert!(
        plan.title.starts_with("[計画] set-lambda-concurrency"),
        "{}",
        plan.title
    );

    // A dry run, confirmed: still nothing.
    let dry = p.state(&[("DRY_RUN", "true")]);
    let report = p
        .act(
            &dry,
            json!({"action": "set-lambda-concurrency", "reserved": 20, "confirm": true}),
        )
        .await
        .unwrap();
    assert_eq!(result(&report), ActionResult::Planned);
    assert!(report.dry_run);
    assert!(p.writes().is_empty());

    // Confirmed: changed, read back, notified once; not the runbook's 10.
    let mut confirm = ask.clone();
    confirm["confirm"] = json!(true);
    let done = p.act(&state, confirm.clone()).await.unwrap();
    assert_eq!(
        (result(&done), done.extra["changed"].as_bool()),
        (ActionResult::Done, Some(true))
    );
    assert_eq!(p.reserved().await, Some(20));
    assert_eq!(runbook_value(&done), FindingStatus::Warning);
    assert_eq!(p.writes(), ["lambda:PutFunctionConcurrency", "sns:Publish"]);

    // The retry: nothing changes, nothing is notified.
    let retry = p.act(&state, confirm).await.unwrap();
    assert_eq!(
        (result(&retry), retry.extra["changed"].as_bool()),
        (ActionResult::Skipped, Some(false))
    );
    assert!(p.writes().is_empty(), "{:?}", p.writes());
    assert_eq!(p.notifications().await, 1);

    // Back to the runbook's value.
    let back = p
        .act(
            &state,
            json!({"action": "set-lambda-concurrency", "reserved": 10, "confirm": true}),
        )
        .await
        .unwrap();
    assert_eq!(runbook_value(&back), FindingStatus::Ok);

    // Refused before any write: above the account (1,000, 100 kept), an unknown function.
    for (payload, field) in [
        (
            json!({"action": "set-lambda-concurrency", "reserved": 905, "confirm": true}),
            "at most 900",
        ),
        (
            json!({"action": "set-lambda-concurrency", "function": "no-such-fn", "reserved": 5, "confirm": true}),
            "`function`",
        ),
        (
            json!({"action": "set-lambda-concurrency", "reserved": "20", "confirm": true}),
            "`reserved`",
        ),
    ] {
        let err = p.act(&state, payload.clone()).await.unwrap_err();
        assert_eq!(
            err.error_type(),
            ErrorType::InvalidInput,
            "{payload}: {err}"
        );
        assert!(err.to_string().contains(field), "{field} in {err}");
        assert!(p.writes().is_empty(), "{payload}: {:?}", p.writes());
    }
    assert_eq!(p.reserved().await, Some(10));
}

#[tokio::test]
async fn provisioned_concurrency_fits_the_reserved_and_never_latest() {
    let p = Production::start().await;
    let state = p.state(&[]);
    p.act(
        &state,
        json!({"action": "set-lambda-concurrency", "reserved": 10, "confirm": true}),
    )
    .await
    .unwrap();
    p.notifications().await;

    let plan = p
        .act(
            &state,
            json!({"action": "set-provisioned-concurrency", "qualifier": "live", "count": 4}),
        )
        .await
        .unwrap();
    assert_eq!(plan.extra["target"], "goal-mandala-production-api:live");
    assert_eq!(plan.extra["current"], json!({"count": 0}));
    assert!(p.writes().is_empty());

    let done = p.act(&state, json!({"action": "set-provisioned-concurrency", "qualifier": "live", "count": 4, "confirm": true})).await.unwrap();
    assert_eq!(result(&done), ActionResult::Done);
    assert_eq!(done.extra["status"], "IN_PROGRESS");
    assert!(done.actions[0].detail.contains("IN_PROGRESS"));
    assert_eq!(runbook_value(&done), FindingStatus::Warning);
    let retry = p.act(&state, json!({"action": "set-provisioned-concurrency", "qualifier": "live", "count": 4, "confirm": true})).await.unwrap();
    assert_eq!(retry.extra["changed"], false);

    for (payload, part) in [
        (
            json!({"action": "set-provisioned-concurrency", "qualifier": "live", "count": 11, "confirm": true}),
            "at most 10",
        ),
        (
            json!({"action": "set-provisioned-concurrency", "qualifier": "$LATEST", "count": 1, "confirm": true}),
            "$LATEST",
        ),
        (
            json!({"action": "set-provisioned-concurrency", "qualifier": "canary", "count": 1, "confirm": true}),
            "`qualifier`",
        ),
        // Reserved concurrency may not drop below the provisioned 4.
        (
            json!({"action": "set-lambda-concurrency", "reserved": 3, "confirm": true}),
            "at least 4",
        ),
    ] {
        let err = p.act(&state, payload.clone()).await.unwrap_err();
        assert_eq!(
            err.error_type(),
            ErrorType::InvalidInput,
            "{payload}: {err}"
        );
        assert!(err.to_string().contains(part), "{part} in {err}");
        assert!(p.writes().is_empty(), "{payload}");
    }

    // 0 removes the configuration.
    let removed = p.act(&state, json!({"action": "set-provisioned-concurrency", "qualifier": "live", "count": 0, "confirm": true})).await.unwrap();
    assert_eq!(removed.actions[0].action, "delete-provisioned-concurrency");
    assert_eq!(runbook_value(&removed), FindingStatus::Ok);
    assert_eq!(p.calls("DeleteProvisionedConcurrencyConfig"), 1);
    assert_eq!(p.calls("PutProvisionedConcurrencyConfig"), 0);
}

#[tokio::test]
async fn db_capacity_plan_confirm_retry_and_aws_refusal() {
    let p = Production::start().await;
    let state = p.state(&[]);

    let plan = p
        .act(
            &state,
            json!({"action": "set-db-capacity", "min": 1, "max": 4}),
        )
        .await
        .unwrap();
    assert_eq!(plan.extra["current"], json!({"min": 0.5, "max": 2.0}));
    assert_eq!(plan.extra["proposed"], json!({"min": 1.0, "max": 4.0}));
    assert!(p.writes().is_empty());
    assert_eq!(p.capacity().await, (0.5, 2.0));

    let done = p
        .act(
            &state,
            json!({"action": "set-db-capacity", "min": 1, "max": 4, "confirm": true}),
        )
        .await
        .unwrap();
    assert_eq!(result(&done), ActionResult::Done);
    assert_eq!(p.capacity().await, (1.0, 4.0));
    assert_eq!(runbook_value(&done), FindingStatus::Warning);
    assert!(done.findings[0].detail.contains("revert") || done.findings[0].detail.contains("戻す"));
    // One side given: the other keeps its value.
    let max_only = p
        .act(&state, json!({"action": "set-db-capacity", "max": 8}))
        .await
        .unwrap();
    assert_eq!(max_only.extra["proposed"], json!({"min": 1.0, "max": 8.0}));

    let retry = p
        .act(
            &state,
            json!({"action": "set-db-capacity", "min": 1, "max": 4, "confirm": true}),
        )
        .await
        .unwrap();
    assert_eq!(
        (result(&retry), retry.extra["changed"].as_bool()),
        (ActionResult::Skipped, Some(false))
    );
    assert_eq!(p.notifications().await, 1);

    for payload in [
        json!({"action": "set-db-capacity", "min": 0.25, "confirm": true}),
        json!({"action": "set-db-capacity", "max": 300, "confirm": true}),
        json!({"action": "set-db-capacity", "min": 1.2, "confirm": true}),
        json!({"action": "set-db-capacity", "min": 8, "max": 4, "confirm": true}),
        json!({"action": "set-db-capacity", "min": 0, "confirm": true}),
    ] {
        let err = p.act(&state, payload.clone()).await.unwrap_err();
        assert_eq!(
            err.error_type(),
            ErrorType::InvalidInput,
            "{payload}: {err}"
        );
        assert!(p.writes().is_empty());
    }
    // 200 ACU is within the service's 256, but engine 15.4 caps at 128: AWS's refusal.
    let err = p
        .act(
            &state,
            json!({"action": "set-db-capacity", "max": 200, "confirm": true}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), ErrorType::Aws, "{err}");
    assert!(err.to_string().contains("128"), "{err}");
    assert_eq!(p.capacity().await, (1.0, 4.0));
    let failure = p.inbox.take().await.unwrap();
    assert_eq!(
        failure.len(),
        1,
        "a confirmed change that failed is notified"
    );
    assert_eq!(failure[0]["severity"], "critical");
}

#[tokio::test]
async fn a_restore_makes_the_cluster_and_its_instance_once_and_never_overwrites() {
    let p = Production::start().await;
    let state = p.state(&[]);
    let ask = json!({"action": "restore-db-snapshot", "snapshot": SNAPSHOT});

    let plan = p.act(&state, ask.clone()).await.unwrap();
    assert_eq!(plan.extra["target"], "goal-mandala-production-restored");
    assert_eq!(plan.extra["current"], json!({"exists": false}));
    assert_eq!(plan.extra["proposed"]["instance_class"], "db.serverless");
    assert_eq!(plan.extra["proposed"]["engine_version"], "15.4");
    assert_eq!(plan.extra["endpoint"], Value::Null);
    assert!(p.writes().is_empty());

    let mut confirm = ask.clone();
    confirm["confirm"] = json!(true);
    let done = p.act(&state, confirm.clone()).await.unwrap();
    assert_eq!(
        done.actions.iter().map(|a| a.result).collect::<Vec<_>>(),
        [ActionResult::Done, ActionResult::Done]
    );
    assert!(
        done.extra["endpoint"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{}",
        done.extra["endpoint"]
    );
    assert_eq!(
        done.extra["instance"],
        "goal-mandala-production-restored-instance-1"
    );
    let restored = p
        .rds
        .describe_db_clusters()
        .db_cluster_identifier("goal-mandala-production-restored")
        .send()
        .await
        .unwrap();
    let cluster = &restored.db_clusters()[0];
    let tags: Vec<(&str, &str)> = cluster
        .tag_list()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert!(
        tags.contains(&("restored-from", SNAPSHOT)) && tags.contains(&("created-by", "ops-action")),
        "{tags:?}"
    );
    assert_eq!(
        cluster.db_subnet_group(),
        Some(bed::production::SUBNET_GROUP)
    );
    assert!(
        cluster
            .db_cluster_members()
            .iter()
            .any(|m| m.db_instance_identifier()
                == Some("goal-mandala-production-restored-instance-1"))
    );
    assert_eq!(p.notifications().await, 1);

    // The same payload again: no second restore, nothing notified.
    let again = p.act(&state, confirm).await.unwrap();
    assert_eq!(again.extra["changed"], false);
    assert_eq!(again.extra["current"], json!({"exists": true}));
    assert!(p.writes().is_empty(), "{:?}", p.writes());
    assert_eq!(p.notifications().await, 0);

    // A target that exists and is not this restore: refused, never overwritten.
    let err = p
        .act(&state, json!({"action": "restore-db-snapshot", "snapshot": SNAPSHOT, "target": CLUSTER, "confirm": true}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), ErrorType::InvalidInput);
    assert!(err.to_string().contains("never overwritten"), "{err}");
    assert!(p.writes().is_empty());
    for payload in [
        json!({"action": "restore-db-snapshot", "snapshot": "no-such-snapshot", "confirm": true}),
        json!({"action": "restore-db-snapshot", "snapshot": SNAPSHOT, "target": "bad--name", "confirm": true}),
    ] {
        let err = p.act(&state, payload.clone()).await.unwrap_err();
        assert_eq!(err.error_type(), ErrorType::InvalidInput, "{payload}");
        assert!(p.writes().is_empty());
    }
}

#[tokio::test]
async fn a_backup_sync_reads_every_page_copies_what_differs_and_deletes_only_when_asked() {
    let p = Production::start().await;
    let state = p.state(&[]);
    // 1,050 objects in the frontend (two ListObjectsV2 pages), one with a
    // secret in its content; the backup has 3 of them stale and 2 of its own.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1_050 {
        let s3 = p.s3.clone();
        tasks.spawn(async move {
            let body = if i == 7 {
                OBJECT_SECRET.to_owned()
            } else {
                format!("asset {i}")
            };
            s3.put_object()
                .bucket(FRONTEND)
                .key(format!("assets/{i:04}.js"))
                .body(ByteStream::from(body.into_bytes()))
                .send()
                .await
                .unwrap();
        });
        if tasks.len() >= 16 {
            tasks.join_next().await;
        }
    }
    while tasks.join_next().await.is_some() {}
    for i in 0..3 {
        p.put(BACKUP, &format!("assets/{i:04}.js"), "stale").await;
    }
    p.put(BACKUP, "old/a.js", "a").await;
    p.put(BACKUP, "old/b.js", "b").await;

    let plan = p
        .act(&state, json!({"action": "s3-backup-sync"}))
        .await
        .unwrap();
    assert_eq!(
        plan.extra["current"],
        json!({"source_objects": 1050, "destination_objects": 5, "only_in_destination": 2})
    );
    assert_eq!(plan.extra["proposed"], json!({"copy": 1050, "delete": 0}));
    // Every page: 1,050 keys are two pages of the frontend, one of the backup.
    assert_eq!(p.calls("ListObjectsV2"), 3);
    assert!(p.writes().is_empty());
    assert_eq!(plan.actions[1].result, ActionResult::Skipped);
    assert!(
        plan.actions[1].detail.contains("\"delete\": true"),
        "{}",
        plan.actions[1].detail
    );

    let done = p
        .act(&state, json!({"action": "s3-backup-sync", "confirm": true}))
        .await
        .unwrap();
    assert_eq!(
        (
            done.extra["copied"].as_u64(),
            done.extra["deleted"].as_u64()
        ),
        (Some(1050), Some(0))
    );
    assert_eq!(p.calls("CopyObject"), 1050);
    assert_eq!(p.calls("DeleteObjects"), 0);
    assert_eq!(p.keys(BACKUP).await, 1052, "nothing deleted without asking");
    // Small enough for SNS: counts and at most 20 example keys.
    let size = serde_json::to_string(&done).unwrap().len();
    assert!(size < 64 * 1024, "{size} bytes");
    assert_eq!(p.notifications().await, 1);

    let retry = p
        .act(&state, json!({"action": "s3-backup-sync", "confirm": true}))
        .await
        .unwrap();
    assert_eq!(
        (
            retry.extra["changed"].as_bool(),
            retry.extra["copied"].as_u64()
        ),
        (Some(false), Some(0))
    );
    assert!(p.writes().is_empty(), "{:?}", p.writes());

    let delete = p
        .act(
            &state,
            json!({"action": "s3-backup-sync", "delete": true, "confirm": true}),
        )
        .await
        .unwrap();
    assert_eq!(delete.extra["deleted"], 2);
    assert_eq!(p.keys(BACKUP).await, 1050);
    assert_eq!(p.calls("DeleteObjects"), 1);
    assert_eq!(p.calls("CopyObject"), 0);

    // Back: restore direction copies nothing now that both agree.
    let back = p
        .act(
            &state,
            json!({"action": "s3-backup-sync", "direction": "restore"}),
        )
        .await
        .unwrap();
    assert_eq!(back.extra["source"], BACKUP);
    assert_eq!(back.extra["proposed"]["copy"], 0);
    for text in [
        serde_json::to_string(&done).unwrap(),
        serde_json::to_string(&delete).unwrap(),
    ] {
        assert!(!text.contains(OBJECT_SECRET) && !text.contains(MASTER_PASSWORD));
    }
}

#[tokio::test]
async fn a_sync_without_its_buckets_is_a_configuration_error_naming_the_variable() {
    let p = Production::start().await;
    let state = p.state(&[("BACKUP_BUCKET", "no-such-bucket")]);
    let err = p
        .act(&state, json!({"action": "s3-backup-sync", "confirm": true}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), ErrorType::Config);
    assert!(err.to_string().contains("BACKUP_BUCKET"), "{err}");
    assert!(
        p.writes().iter().all(|w| w == "sns:Publish"),
        "{:?}",
        p.writes()
    );
}

#[tokio::test]
async fn snapshot_status_lists_manual_and_automated_newest_first_and_changes_nothing() {
    let p = Production::start().await;
    let state = p.state(&[]);
    let report = p
        .act(
            &state,
            json!({"action": "snapshot-status", "confirm": true}),
        )
        .await
        .unwrap();
    let snapshots = report.extra["snapshots"].as_array().unwrap();
    assert!(
        snapshots
            .iter()
            .any(|s| s["id"] == SNAPSHOT && s["type"] == "manual")
    );
    assert!(
        snapshots.iter().any(|s| s["type"] == "automated"),
        "{snapshots:?}"
    );
    assert_eq!(report.extra["current"]["manual"], 1);
    assert_eq!(report.extra["proposed"], Value::Null);
    assert_eq!(report.extra["quota_used"], 1);
    assert_eq!(report.extra["changed"], false);
    assert!(p.writes().is_empty());
    assert_eq!(p.notifications().await, 0);
}

#[tokio::test]
async fn an_object_version_is_restored_once() {
    let p = Production::start().await;
    let state = p.state(&[]);
    let first = p.put(FRONTEND, "index.html", "<h1>v1</h1>").await;
    p.put(FRONTEND, "index.html", "<h1>v2 broken</h1>").await;
    let ask =
        json!({"action": "restore-s3-object-version", "key": "index.html", "version_id": first});

    let plan = p.act(&state, ask.clone()).await.unwrap();
    assert_eq!(result(&plan), ActionResult::Planned);
    assert!(p.writes().is_empty());
    let mut confirm = ask.clone();
    confirm["confirm"] = json!(true);
    let done = p.act(&state, confirm.clone()).await.unwrap();
    assert_eq!(result(&done), ActionResult::Done);
    let body =
        p.s3.get_object()
            .bucket(FRONTEND)
            .key("index.html")
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
    assert_eq!(&body[..], b"<h1>v1</h1>");
    let versions =
        p.s3.list_object_versions()
            .bucket(FRONTEND)
            .prefix("index.html")
            .send()
            .await
            .unwrap();
    assert_eq!(versions.versions().len(), 3, "older versions are kept");
    let retry = p.act(&state, confirm).await.unwrap();
    assert_eq!(retry.extra["changed"], false);
    assert!(p.writes().is_empty());
    let err = p.act(&state, json!({"action": "restore-s3-object-version", "key": "index.html", "version_id": "nope", "confirm": true})).await.unwrap_err();
    assert!(err.to_string().contains("`version_id`"), "{err}");
}

#[tokio::test]
async fn an_invalidation_is_made_once_per_event() {
    let p = Production::start().await;
    let state = p.state(&[]);
    let ask = json!({"action": "cloudfront-invalidate", "distribution": p.distribution, "paths": ["/index.html", "/assets/*"], "at": "2026-12-01T01:00:00Z"});

    p.act(&state, ask.clone()).await.unwrap();
    assert!(p.writes().is_empty());
    let mut confirm = ask.clone();
    confirm["confirm"] = json!(true);
    let done = p.act(&state, confirm.clone()).await.unwrap();
    assert_eq!(result(&done), ActionResult::Done);
    assert!(done.extra["invalidation_id"].is_string());
    // The retry comes at once (no clock can tell it from a new run): CloudFront's
    // record of the caller reference does, and nothing is sent again.
    let retry = p.act(&state, confirm).await.unwrap();
    assert!(p.writes().is_empty(), "a retry creates no invalidation");
    assert_eq!(
        p.calls("GetInvalidation"),
        1,
        "the one made before is found by its reference"
    );
    assert_eq!(
        (retry.extra["changed"].as_bool(), result(&retry)),
        (Some(false), ActionResult::Skipped)
    );
    assert_eq!(
        retry.extra["invalidation_id"],
        done.extra["invalidation_id"]
    );
    let list = p
        .cloudfront
        .list_invalidations()
        .distribution_id(&p.distribution)
        .send()
        .await
        .unwrap();
    assert_eq!(list.invalidation_list().unwrap().quantity(), 1);
    assert_eq!(p.notifications().await, 1);
    // A new invocation (another time) invalidates again.
    let mut later = ask;
    later["at"] = json!("2026-12-01T02:00:00Z");
    later["confirm"] = json!(true);
    assert_eq!(p.act(&state, later).await.unwrap().extra["changed"], true);
    let err = p
        .act(
            &state,
            json!({"action": "cloudfront-invalidate", "distribution": "ENOSUCH", "confirm": true}),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`distribution`"), "{err}");
}

#[tokio::test]
async fn the_cache_policy_ttl_is_set_within_its_range() {
    let p = Production::start().await;
    let state = p.state(&[("REPORT_LANG", "en")]);
    let plan = p
        .act(
            &state,
            json!({"action": "set-cloudfront-ttl", "cache_policy": POLICY, "default_ttl": 3600}),
        )
        .await
        .unwrap();
    assert_eq!(plan.extra["current"]["default_ttl"], 86400);
    assert!(p.writes().is_empty());
    let done = p.act(&state, json!({"action": "set-cloudfront-ttl", "cache_policy": POLICY, "default_ttl": 3600, "confirm": true})).await.unwrap();
    assert_eq!(result(&done), ActionResult::Done);
    assert_eq!(runbook_value(&done), FindingStatus::Warning);
    assert!(
        done.findings[0]
            .detail
            .contains("revert after the incident"),
        "{}",
        done.findings[0].detail
    );
    let policy = p
        .cloudfront
        .get_cache_policy()
        .id(POLICY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        policy
            .cache_policy()
            .unwrap()
            .cache_policy_config()
            .unwrap()
            .default_ttl(),
        Some(3600)
    );
    let retry = p.act(&state, json!({"action": "set-cloudfront-ttl", "cache_policy": POLICY, "default_ttl": 3600, "confirm": true})).await.unwrap();
    assert_eq!(retry.extra["changed"], false);
    let err = p.act(&state, json!({"action": "set-cloudfront-ttl", "cache_policy": POLICY, "default_ttl": 0, "confirm": true})).await.unwrap_err();
    assert!(err.to_string().contains("1–31536000"), "{err}");
    let back = p.act(&state, json!({"action": "set-cloudfront-ttl", "cache_policy": POLICY, "default_ttl": 86400, "confirm": true})).await.unwrap();
    assert_eq!(runbook_value(&back), FindingStatus::Ok);
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_read_or_changed() {
    let p = Production::start().await;
    let state = p.state(&[]);
    for payload in [
        json!({}),
        json!({"action": "scale-everything"}),
        json!({"action": "set-db-capacity", "max": 4, "confirm": "true"}),
        json!({"action": "set-db-capacity", "max": 4, "confirm": 1}),
        json!({"action": "set-provisioned-concurrency", "qualifier": "$LATEST", "count": 1}),
        json!({"action": "set-cloudfront-ttl", "cache_policy": POLICY, "default_ttl": 40_000_000}),
        json!(["set-db-capacity"]),
    ] {
        let result = p.act(&state, payload.clone()).await;
        p.bed.assert_refused_untouched(&payload, result);
    }
    let err = p
        .act(&state, json!({"action": "scale-everything"}))
        .await
        .unwrap_err();
    for id in ops_action::ACTIONS {
        assert!(err.to_string().contains(id), "{id} in {err}");
    }
    assert_eq!(p.notifications().await, 0);
}

#[tokio::test]
async fn no_output_carries_a_password_or_credentials() {
    let p = Production::start().await;
    let state = p.state(&[]);
    let (logs, guard) = bed::capture_logs_at(tracing::Level::INFO);
    let mut reports = Vec::new();
    for payload in [
        json!({"action": "set-db-capacity", "max": 4, "confirm": true}),
        json!({"action": "restore-db-snapshot", "snapshot": SNAPSHOT, "confirm": true}),
        json!({"action": "snapshot-status"}),
    ] {
        reports.push(serde_json::to_string(&p.act(&state, payload).await.unwrap()).unwrap());
    }
    drop(guard);
    let published: Vec<String> = p
        .inbox
        .take()
        .await
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect();
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    for text in reports.iter().chain(published.iter()).chain([logs].iter()) {
        assert!(
            !text.contains(MASTER_PASSWORD),
            "the master password reached an output"
        );
        assert!(!text.contains("aws_secret_access_key") && !text.contains("SecretAccessKey"));
    }
}
