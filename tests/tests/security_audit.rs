//! security-audit's handler against the bed: IAM users, groups and policies
//! in moto (AWS's managed policies loaded), CloudTrail's event history served
//! by the bed from seeded records, keys' dates moved into the past, the
//! report read back through SQS.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_iam::types::StatusType;
use bed::{Bed, Inbox};
use chrono::{DateTime, TimeDelta, Utc};
use lambda_runtime::{Context, LambdaEvent};
use security_audit::{AuditConfig, SecurityAudit};
use serde_json::{Value, json};
use shared::entry::handle;
use shared::{ActionResult, Env, Error, FindingStatus, Report};

/// 09:00 JST on 1 December: the daily review reads the 24 hours before.
const NOW: &str = "2026-12-01T00:00:00Z";
const DEPLOY: &str = "github-actions-deploy";
const CONSOLE_PASSWORD: &str = "Console-Pass-Not-In-Reports-42!";
/// The account's trail and its bucket.
const TRAIL: &str = "goal-mandala-production-trail";
const TRAIL_BUCKET: &str = "goal-mandala-production-cloudtrail";

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

struct Account {
    bed: Bed,
    inbox: Inbox,
    iam: aws_sdk_iam::Client,
    cloudtrail: aws_sdk_cloudtrail::Client,
    /// Every secret access key made, to prove none reaches an output.
    secrets: Vec<String>,
}

impl Account {
    async fn start() -> Account {
        let bed = Bed::start().unwrap();
        let sdk = bed.sdk_config();
        let inbox = Inbox::ops(&sdk).await.unwrap();
        let account = Account {
            iam: aws_sdk_iam::Client::new(&sdk),
            cloudtrail: aws_sdk_cloudtrail::Client::new(&sdk),
            bed,
            inbox,
            secrets: Vec::new(),
        };
        // The account's trail, as the runbook wants it: every Region, the
        // global services' events, logging.
        bed::production::create_bucket(&aws_sdk_s3::Client::new(&sdk), TRAIL_BUCKET)
            .await
            .unwrap();
        account.trail(TRAIL, true, true).await;
        account
    }

    /// A trail writing to the trail bucket; `logging` starts it.
    async fn trail(&self, name: &str, multi_region: bool, logging: bool) {
        self.cloudtrail
            .create_trail()
            .name(name)
            .s3_bucket_name(TRAIL_BUCKET)
            .is_multi_region_trail(multi_region)
            .include_global_service_events(true)
            .send()
            .await
            .unwrap();
        if logging {
            self.cloudtrail
                .start_logging()
                .name(name)
                .send()
                .await
                .unwrap();
        }
    }

    /// A user with one active key made `key_days` ago and used `used_days` ago.
    async fn user(&mut self, name: &str, key_days: i64, used_days: Option<i64>) -> String {
        self.iam.create_user().user_name(name).send().await.unwrap();
        let key = self
            .iam
            .create_access_key()
            .user_name(name)
            .send()
            .await
            .unwrap()
            .access_key
            .unwrap();
        self.secrets.push(key.secret_access_key().to_owned());
        let id = key.access_key_id().to_owned();
        let now = at(NOW);
        let mut change = json!({"kind": "access-key", "user": name, "key_id": id,
            "created": (now - TimeDelta::days(key_days)).timestamp()});
        if let Some(days) = used_days {
            change["last_used"] = json!((now - TimeDelta::days(days)).timestamp());
        }
        self.bed.backdate(&change).unwrap();
        id
    }

    async fn attach(&self, user: &str, policy: &str) {
        self.iam
            .attach_user_policy()
            .user_name(user)
            .policy_arn(format!("arn:aws:iam::aws:policy/{policy}"))
            .send()
            .await
            .unwrap();
    }

    async fn console(&self, user: &str) {
        self.iam
            .create_login_profile()
            .user_name(user)
            .password(CONSOLE_PASSWORD)
            .send()
            .await
            .unwrap();
    }

    /// The seeded account: one clean deploy user, an admin without MFA, an
    /// admin through a group, an inline admin through another group, a
    /// read-only user with an old unused key.
    async fn seeded() -> Account {
        let mut a = Account::start().await;
        a.user(DEPLOY, 20, Some(0)).await;
        let deploy_policy = a
            .iam
            .create_policy()
            .policy_name("goal-mandala-deploy")
            .policy_document(
                json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::goal-mandala-production-frontend", "arn:aws:s3:::goal-mandala-production-frontend/*"]},
                    {"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::goal-mandala-production-frontend/*"}
                ]})
                .to_string(),
            )
            .send()
            .await
            .unwrap()
            .policy
            .unwrap();
        a.iam
            .attach_user_policy()
            .user_name(DEPLOY)
            .policy_arn(deploy_policy.arn().unwrap())
            .send()
            .await
            .unwrap();

        a.user("alice", 30, Some(1)).await;
        a.attach("alice", "AdministratorAccess").await;
        a.console("alice").await;

        a.user("bob", 30, Some(2)).await;
        a.iam
            .create_group()
            .group_name("power")
            .send()
            .await
            .unwrap();
        a.iam
            .attach_group_policy()
            .group_name("power")
            .policy_arn("arn:aws:iam::aws:policy/PowerUserAccess")
            .send()
            .await
            .unwrap();
        a.iam
            .add_user_to_group()
            .group_name("power")
            .user_name("bob")
            .send()
            .await
            .unwrap();
        a.console("bob").await;
        let mfa = a
            .iam
            .create_virtual_mfa_device()
            .virtual_mfa_device_name("bob-phone")
            .send()
            .await
            .unwrap()
            .virtual_mfa_device
            .unwrap();
        a.iam
            .enable_mfa_device()
            .user_name("bob")
            .serial_number(mfa.serial_number())
            .authentication_code1("123456")
            .authentication_code2("654321")
            .send()
            .await
            .unwrap();

        a.user("carol", 10, Some(0)).await;
        a.iam.create_group().group_name("ops").send().await.unwrap();
        a.iam
            .put_group_policy()
            .group_name("ops")
            .policy_name("ops-everything")
            .policy_document(json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}}).to_string())
            .send()
            .await
            .unwrap();
        a.iam
            .add_user_to_group()
            .group_name("ops")
            .user_name("carol")
            .send()
            .await
            .unwrap();

        a.user("dave", 200, None).await;
        a.attach("dave", "ReadOnlyAccess").await;
        a.iam
            .put_user_policy()
            .user_name("dave")
            .policy_name("no-deletes")
            .policy_document(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}).to_string())
            .send()
            .await
            .unwrap();
        a
    }

    fn state(&self, extra: &[(&str, &str)]) -> SecurityAudit {
        let env = self.inbox.env(extra);
        SecurityAudit::new(
            AuditConfig::from_env(&env).unwrap(),
            &self.bed.function_sdk_config("security-audit"),
        )
        .unwrap()
    }

    async fn run(&self, state: &SecurityAudit, payload: Value) -> Result<Report, Error> {
        self.bed.forget_requests().unwrap();
        handle(state, LambdaEvent::new(payload.into(), Context::default())).await
    }

    fn calls(&self, operation: &str) -> usize {
        self.bed
            .requests()
            .unwrap()
            .iter()
            .filter(|r| r.operation.as_deref() == Some(operation))
            .count()
    }

    async fn key_status(&self, user: &str) -> Vec<StatusType> {
        self.iam
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .unwrap()
            .access_key_metadata()
            .iter()
            .filter_map(|k| k.status().cloned())
            .collect()
    }
}

/// A CloudTrail record.
fn record(id: &str, name: &str, t: &str, user: &str, ip: &str) -> Value {
    json!({
        "eventID": id, "eventName": name, "eventTime": t,
        "eventSource": "rds.amazonaws.com", "readOnly": name.starts_with("Describe") || name.starts_with("List"),
        "userIdentity": {"type": "IAMUser", "userName": user, "arn": format!("arn:aws:iam::123456789012:user/{user}"), "accessKeyId": "AKIAEXAMPLE000000000"},
        "sourceIPAddress": ip
    })
}

fn role_record(id: &str, name: &str, t: DateTime<Utc>) -> Value {
    json!({
        "eventID": id, "eventName": name, "eventTime": time(t), "eventSource": "s3.amazonaws.com",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/ops-cleanup/batch",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "ops-cleanup", "arn": "arn:aws:iam::123456789012:role/ops-cleanup"}}},
        "sourceIPAddress": "203.0.113.8"
    })
}

fn finding_statuses(report: &Report, check: &str) -> Vec<FindingStatus> {
    report
        .findings
        .iter()
        .filter(|f| f.check == check)
        .map(|f| f.status)
        .collect()
}

fn details(report: &Report, check: &str) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.check == check)
        .map(|f| f.detail.clone())
        .collect()
}

fn sample(name: &str) -> Value {
    let path = bed::workspace_root()
        .join("events/security-audit")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn a_clean_account_is_all_ok_in_one_lookup() {
    let mut a = Account::start().await;
    a.user(DEPLOY, 20, Some(0)).await;
    a.bed
        .seed_trail(&json!([record(
            "e1",
            "ListBuckets",
            "2026-11-30T03:00:00Z",
            DEPLOY,
            "203.0.113.10"
        )]))
        .unwrap();
    let state = a.state(&[("AUDIT_ALLOWED_CIDRS", "203.0.113.0/24")]);

    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    assert_eq!(
        report.severity,
        shared::Severity::Info,
        "{:#?}",
        report.findings
    );
    let checks: Vec<&str> = report.findings.iter().map(|f| f.check.as_str()).collect();
    assert_eq!(
        checks,
        [
            "iam-admin-access",
            "iam-access-key-unused",
            "iam-console-without-mfa",
            "cloudtrail-trail-health",
            "cloudtrail-destructive-call",
            "cloudtrail-root-activity",
            "cloudtrail-console-login",
            "cloudtrail-iam-change",
            "cloudtrail-night-activity",
            "cloudtrail-delete-burst",
            "cloudtrail-source-ip"
        ]
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.status == FindingStatus::Ok),
        "{:#?}",
        report.findings
    );
    // One request in each Region: ap-northeast-1's own history and
    // us-east-1's, where the global services' events live.
    assert_eq!(report.extra["lookup_requests"], 2);
    assert_eq!(a.calls("LookupEvents"), 2);
    assert_eq!(
        report.extra["regions"],
        json!([
            {"region": "ap-northeast-1", "requests": 1, "events": 1},
            {"region": "us-east-1", "requests": 1, "events": 0}
        ])
    );
    assert_eq!(report.extra["events_scanned"], 1);
    assert!(report.title.ends_with("問題なし"), "{}", report.title);
    assert_eq!(report.extra["events"], json!([]));
    assert_eq!(
        report.extra["window"],
        json!({"start": "2026-11-30T00:00:00Z", "end": "2026-12-01T00:00:00Z"})
    );
    assert!(report.actions.is_empty());
    let writes: Vec<String> = a.bed.writes().unwrap().iter().map(|r| r.name()).collect();
    assert_eq!(writes, ["sns:Publish"], "an audit changes nothing");
    assert_eq!(
        a.inbox.take().await.unwrap().len(),
        1,
        "every run is the audit record"
    );
}

#[tokio::test]
async fn every_finding_of_a_seeded_account_over_several_pages() {
    let a = Account::seeded().await;
    let now = at(NOW);
    let mut trail = vec![
        // 02:03 JST: destructive, at night, from outside the CIDRs.
        record(
            "del-cluster",
            "DeleteDBCluster",
            "2026-11-30T17:03:11Z",
            DEPLOY,
            "198.51.100.23",
        ),
        // A refused StopLogging: a warning.
        {
            let mut r = record(
                "stop",
                "StopLogging",
                "2026-11-30T05:12:39Z",
                "alice",
                "203.0.113.45",
            );
            r["errorCode"] = json!("AccessDenied");
            r["eventSource"] = json!("cloudtrail.amazonaws.com");
            r
        },
        // Before the window (one second too early): not this run's.
        record(
            "old",
            "DeleteDBInstance",
            "2026-11-29T23:59:59Z",
            DEPLOY,
            "198.51.100.23",
        ),
        // From an AWS service: not an address, never flagged.
        record(
            "svc",
            "ListBuckets",
            "2026-11-30T10:00:00Z",
            "dave",
            "rds.amazonaws.com",
        ),
    ];
    // A role deleting 11 objects across 11:00 JST within 50 minutes.
    for i in 0..11 {
        trail.push(role_record(
            &format!("burst-{i:02}"),
            "DeleteObject",
            at("2026-11-30T01:40:00Z") + TimeDelta::minutes(5 * i),
        ));
    }
    // A busy day of reads: the window holds more than two pages.
    for i in 0..120 {
        trail.push(record(
            &format!("read-{i:03}"),
            "DescribeDBClusters",
            &time(at("2026-11-30T03:00:00Z") + TimeDelta::seconds(i)),
            "dave",
            "203.0.113.20",
        ));
    }
    a.bed.seed_trail(&json!(trail)).unwrap();
    let state = a.state(&[("AUDIT_ALLOWED_CIDRS", "203.0.113.0/24, 2001:db8::/32")]);

    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    // 134 events in the window: ⌈134/50⌉ pages, one scan; us-east-1's
    // empty history one more request.
    assert_eq!(report.extra["events_scanned"], 134);
    assert_eq!(report.extra["lookup_requests"], 4);
    assert_eq!(a.calls("LookupEvents"), 4);
    assert_eq!(report.extra["regions"][0]["requests"], 3);

    // IAM: admin by an AWS policy on the user, a group's AWS policy
    // (NotAction counts) and a group's inline `*`; deny and read-only do not.
    let admins = details(&report, "iam-admin-access");
    assert_eq!(admins.len(), 3, "{admins:#?}");
    assert!(
        admins
            .iter()
            .any(|d| d.starts_with("alice") && d.contains("AdministratorAccess"))
    );
    assert!(
        admins
            .iter()
            .any(|d| d.starts_with("bob") && d.contains("PowerUserAccess") && d.contains("power"))
    );
    assert!(
        admins
            .iter()
            .any(|d| d.starts_with("carol") && d.contains("ops-everything"))
    );
    let unused = report
        .findings
        .iter()
        .find(|f| f.check == "iam-access-key-unused")
        .unwrap();
    assert_eq!(
        (unused.status, unused.value, unused.threshold),
        (FindingStatus::Warning, Some(200.0), Some(90.0))
    );
    assert!(
        unused.detail.starts_with("dave") && unused.detail.contains('…'),
        "{}",
        unused.detail
    );
    let no_mfa = details(&report, "iam-console-without-mfa");
    assert_eq!(no_mfa.len(), 1);
    assert!(no_mfa[0].starts_with("alice"));

    // CloudTrail.
    assert_eq!(
        finding_statuses(&report, "cloudtrail-destructive-call"),
        [FindingStatus::Critical, FindingStatus::Warning]
    );
    let destructive = &details(&report, "cloudtrail-destructive-call")[0];
    for part in [
        DEPLOY,
        "198.51.100.23",
        "DeleteDBCluster",
        "2026-12-01 02:03:11 JST",
        "cloudtrailv2",
    ] {
        assert!(destructive.contains(part), "{part} in {destructive}");
    }
    let night = report
        .findings
        .iter()
        .find(|f| f.check == "cloudtrail-night-activity")
        .unwrap();
    assert_eq!(
        (night.status, night.value),
        (FindingStatus::Warning, Some(1.0))
    );
    let burst = report
        .findings
        .iter()
        .find(|f| f.check == "cloudtrail-delete-burst")
        .unwrap();
    assert_eq!(
        (burst.status, burst.value, burst.threshold),
        (FindingStatus::Critical, Some(11.0), Some(10.0))
    );
    assert!(burst.detail.starts_with("ops-cleanup"), "{}", burst.detail);
    let foreign = details(&report, "cloudtrail-source-ip");
    assert_eq!(foreign.len(), 1, "{foreign:#?}");
    assert!(foreign[0].contains("198.51.100.23"));

    // The flagged events: critical first, then newest; the one before the window is absent.
    let events = report.extra["events"].as_array().unwrap();
    assert_eq!(events[0]["event_id"], "del-cluster");
    assert_eq!(
        events[0]["checks"],
        json!([
            "cloudtrail-destructive-call",
            "cloudtrail-night-activity",
            "cloudtrail-source-ip"
        ])
    );
    assert_eq!(events[0]["resources"], json!([]));
    assert!(events.iter().all(|e| e["event_id"] != "old"));
    assert_eq!(events.len(), 1 + 11 + 1);
    assert_eq!(events.last().unwrap()["event_id"], "stop");

    // Every user listed; keys by their last four characters only.
    let users = report.extra["users"].as_array().unwrap();
    assert_eq!(users.len(), 5);
    let bob = users.iter().find(|u| u["user"] == "bob").unwrap();
    assert_eq!(
        bob["admin_via"],
        json!([{"policy": "PowerUserAccess", "type": "aws-managed", "group": "power", "statement": "not-action"}])
    );
    assert_eq!(
        (bob["console"].as_bool(), bob["mfa"].as_bool()),
        (Some(true), Some(true))
    );
    let deploy = users.iter().find(|u| u["user"] == DEPLOY).unwrap();
    assert_eq!(
        deploy["admin"], false,
        "s3:* and NotAction on one bucket are not admin"
    );
    // The key id's last four characters, as rotate-access-keys reports it.
    let suffix = deploy["keys"][0]["id_suffix"].as_str().unwrap();
    assert_eq!(suffix.chars().count(), 4, "{suffix}");
    assert!(!suffix.contains('…'), "{suffix}");
    assert_eq!(
        deploy["findings"],
        json!([
            "cloudtrail-destructive-call",
            "cloudtrail-night-activity",
            "cloudtrail-source-ip"
        ])
    );

    // Containment is only recommended without AUDIT_AUTO_CONTAIN; roles never.
    assert_eq!(report.actions.len(), 1);
    assert_eq!(report.actions[0].result, ActionResult::Skipped);
    assert!(
        report.actions[0]
            .target
            .starts_with("github-actions-deploy/…")
    );
    assert_eq!(a.key_status(DEPLOY).await, [StatusType::Active]);
    assert!(report.next_steps.iter().any(|s| s.contains("force_rotate")));
    assert!(
        report
            .next_steps
            .iter()
            .any(|s| s.contains("restore-db-snapshot"))
    );
    assert_eq!(report.severity, shared::Severity::Critical);
    assert_eq!(a.inbox.take().await.unwrap().len(), 1);
    let _ = now;
}

#[tokio::test]
async fn a_real_time_delete_is_judged_at_once_without_a_lookup() {
    let mut a = Account::start().await;
    a.user(DEPLOY, 20, Some(0)).await;
    let state = a.state(&[("AUDIT_ALLOWED_CIDRS", "203.0.113.0/24")]);

    let report = a
        .run(&state, sample("realtime-delete-db-cluster.json"))
        .await
        .unwrap();

    assert_eq!(a.calls("LookupEvents"), 0);
    assert_eq!(a.calls("ListUsers"), 0, "no IAM review in real time");
    assert_eq!(report.extra["lookup_requests"], 0);
    assert_eq!(report.extra["events_scanned"], 1);
    assert_eq!(report.extra["window"], Value::Null);
    for part in [
        "DeleteDBCluster",
        DEPLOY,
        "198.51.100.23",
        "goal-mandala-production",
    ] {
        assert!(report.title.contains(part), "{part} in {}", report.title);
    }
    assert_eq!(
        finding_statuses(&report, "cloudtrail-destructive-call"),
        [FindingStatus::Critical]
    );
    assert_eq!(
        finding_statuses(&report, "cloudtrail-night-activity"),
        [FindingStatus::Warning]
    );
    assert_eq!(
        finding_statuses(&report, "cloudtrail-source-ip"),
        [FindingStatus::Warning]
    );
    assert_eq!(
        finding_statuses(&report, "iam-admin-access"),
        [FindingStatus::Skipped]
    );
    assert_eq!(
        report.extra["events"][0]["resources"],
        json!(["goal-mandala-production"])
    );
    assert_eq!(
        report.at,
        at("2026-11-30T17:03:12Z"),
        "now is the event's time"
    );
    assert_eq!(report.actions[0].result, ActionResult::Skipped);
    assert_eq!(a.inbox.take().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_stop_logging_is_a_warning_and_contains_nobody() {
    let mut a = Account::start().await;
    a.user("legacy-batch", 20, Some(0)).await;
    let state = a.state(&[("AUDIT_AUTO_CONTAIN", "true")]);

    let report = a
        .run(&state, sample("realtime-failed-stop-logging.json"))
        .await
        .unwrap();

    assert_eq!(
        finding_statuses(&report, "cloudtrail-destructive-call"),
        [FindingStatus::Warning]
    );
    assert!(details(&report, "cloudtrail-destructive-call")[0].contains("AccessDenied"));
    assert!(report.actions.is_empty());
    assert_eq!(a.key_status("legacy-batch").await, [StatusType::Active]);
    assert_eq!(a.calls("UpdateAccessKey"), 0);
}

#[tokio::test]
async fn containment_deactivates_only_the_offenders_active_keys_when_allowed() {
    let mut a = Account::start().await;
    a.user(DEPLOY, 20, Some(0)).await;
    let old = a.user("bystander", 20, Some(0)).await;
    let _ = old;
    // A second, already inactive key of the offender gets no action.
    let second = a
        .iam
        .create_access_key()
        .user_name(DEPLOY)
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    a.iam
        .update_access_key()
        .user_name(DEPLOY)
        .access_key_id(second.access_key_id())
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let event = sample("realtime-delete-db-cluster.json");

    // Dry run: planned, nothing changed.
    let dry = a.state(&[("AUDIT_AUTO_CONTAIN", "true"), ("DRY_RUN", "true")]);
    let report = a.run(&dry, event.clone()).await.unwrap();
    assert_eq!(report.actions.len(), 1);
    assert_eq!(report.actions[0].result, ActionResult::Planned);
    assert_eq!(a.calls("UpdateAccessKey"), 0);

    // Allowed: done, and only that key.
    let state = a.state(&[("AUDIT_AUTO_CONTAIN", "true")]);
    let report = a.run(&state, event.clone()).await.unwrap();
    assert_eq!(report.actions.len(), 1);
    assert_eq!(report.actions[0].action, "deactivate-access-key");
    assert_eq!(report.actions[0].result, ActionResult::Done);
    assert_eq!(a.calls("UpdateAccessKey"), 1);
    assert_eq!(
        a.key_status(DEPLOY).await,
        [StatusType::Inactive, StatusType::Inactive]
    );
    assert_eq!(a.key_status("bystander").await, [StatusType::Active]);
    let writes: Vec<String> = a.bed.writes().unwrap().iter().map(|r| r.name()).collect();
    assert_eq!(
        writes,
        ["iam:UpdateAccessKey", "sns:Publish"],
        "nothing else is changed"
    );

    // The same event again: no active key left, no action, no call.
    let report = a.run(&state, event).await.unwrap();
    assert!(report.actions.is_empty());
    assert_eq!(a.calls("UpdateAccessKey"), 0);
}

#[tokio::test]
async fn a_delete_burst_by_a_user_is_contained_in_the_daily_review() {
    let mut a = Account::start().await;
    a.user("cleanup-bot", 20, Some(0)).await;
    let trail: Vec<Value> = (0..11)
        .map(|i| {
            record(
                &format!("d{i}"),
                "DeleteBucket",
                &time(at("2026-11-30T06:00:00Z") + TimeDelta::minutes(i)),
                "cleanup-bot",
                "203.0.113.9",
            )
        })
        .collect();
    a.bed.seed_trail(&json!(trail)).unwrap();
    let state = a.state(&[("AUDIT_AUTO_CONTAIN", "true")]);

    let report = a
        .run(&state, json!({"at": NOW, "lookback_hours": 48}))
        .await
        .unwrap();

    assert_eq!(
        finding_statuses(&report, "cloudtrail-delete-burst"),
        [FindingStatus::Critical]
    );
    assert_eq!(report.actions[0].result, ActionResult::Done);
    assert_eq!(a.key_status("cleanup-bot").await, [StatusType::Inactive]);
    assert_eq!(report.extra["window"]["start"], "2026-11-29T00:00:00Z");
}

#[tokio::test]
async fn a_throttled_lookup_is_retried_and_counted_and_a_denied_iam_skips_its_checks() {
    let mut a = Account::start().await;
    a.user(DEPLOY, 20, Some(0)).await;
    a.bed
        .set_faults(&json!([
            {"service": "cloudtrail", "operation": "LookupEvents", "code": "ThrottlingException", "status": 400, "times": 1},
            {"service": "iam", "operation": "ListUsers", "code": "AccessDenied", "status": 403}
        ]))
        .unwrap();
    let sdk = a
        .bed
        .sdk_config_with_retries(aws_config::retry::RetryConfig::standard().with_max_attempts(3));
    let mut env = Env::from_pairs([("NOTIFY_TOPIC_ARN", a.inbox.topic_arn.as_str())]);
    env.set("AUDIT_WATCH_USERS", DEPLOY);
    let state = SecurityAudit::new(AuditConfig::from_env(&env).unwrap(), &sdk).unwrap();

    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    // The one throttled request is retried and counted: 2 + us-east-1's 1.
    assert_eq!(report.extra["lookup_requests"], 3, "the retry is counted");
    assert_eq!(
        finding_statuses(&report, "iam-admin-access"),
        [FindingStatus::Skipped]
    );
    assert!(details(&report, "iam-admin-access")[0].contains("AccessDenied"));
    assert_eq!(
        finding_statuses(&report, "cloudtrail-destructive-call"),
        [FindingStatus::Ok]
    );
    assert_eq!(a.inbox.take().await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_read() {
    let a = Account::start().await;
    let state = a.state(&[]);
    for payload in [
        sample("invalid.json"),
        json!({"detail-type": "AWS Service Event via CloudTrail", "detail": {"eventName": "ConsoleLogin"}}),
        json!({"detail-type": "AWS Console Sign In via CloudTrail", "detail": {"eventName": 7}}),
        json!({"detail-type": "AWS API Call via CloudTrail", "detail": {"eventID": "x"}}),
        json!({"lookback_hours": 0}),
        json!({"lookback_hours": 5000}),
        json!({"lookback_hours": "24"}),
        json!({"at": "last night"}),
    ] {
        let result = a.run(&state, payload.clone()).await;
        a.bed.assert_refused_untouched(&payload, result);
    }
    assert!(a.inbox.take().await.unwrap().is_empty());
}

#[tokio::test]
async fn no_output_carries_a_secret_key_a_password_or_a_full_key_id() {
    let a = Account::seeded().await;
    a.bed
        .seed_trail(&json!([record(
            "del-cluster",
            "DeleteDBCluster",
            "2026-11-30T17:03:11Z",
            DEPLOY,
            "198.51.100.23"
        )]))
        .unwrap();
    let state = a.state(&[("REPORT_LANG", "en"), ("AUDIT_AUTO_CONTAIN", "true")]);
    // What the deployed function logs (INFO): the SDK's TRACE wire logs
    // print IAM's XML, key ids included.
    let (logs, guard) = bed::capture_logs_at(tracing::Level::INFO);

    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();
    drop(guard);

    assert!(
        report.title.starts_with("Security audit 2026-12-01"),
        "{}",
        report.title
    );
    let published = a.inbox.take().await.unwrap();
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    let key_ids: Vec<String> = a
        .iam
        .list_access_keys()
        .user_name(DEPLOY)
        .send()
        .await
        .unwrap()
        .access_key_metadata()
        .iter()
        .filter_map(|k| k.access_key_id().map(str::to_owned))
        .collect();
    let outputs = [
        ("report", serde_json::to_string(&report).unwrap()),
        ("notification", published[0].to_string()),
        ("logs", logs),
    ];
    for (output, text) in &outputs {
        for (kind, values) in [
            ("secret access key", &a.secrets),
            ("console password", &vec![CONSOLE_PASSWORD.to_owned()]),
            ("full key id", &key_ids),
        ] {
            for value in values {
                if let Some(at) = text.find(value.as_str()) {
                    let context: String = text[at.saturating_sub(80)..at].chars().collect();
                    panic!("a {kind} reached the {output}, after: {context}");
                }
            }
        }
    }
}

/// A console sign-in by root as CloudTrail records it: a global-service
/// event, kept only in us-east-1's history.
fn root_sign_in(id: &str, t: &str, ip: &str) -> Value {
    json!({
        "eventVersion": "1.08", "eventID": id, "eventName": "ConsoleLogin", "eventTime": t,
        "eventSource": "signin.amazonaws.com", "eventType": "AwsConsoleSignIn", "awsRegion": "us-east-1",
        "userIdentity": {"type": "Root", "principalId": "123456789012", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"},
        "sourceIPAddress": ip, "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {"MFAUsed": "No", "MobileVersion": "No"},
        "readOnly": false
    })
}

#[tokio::test]
async fn both_regions_are_read_once_each_and_merged_by_event_id() {
    let mut a = Account::start().await;
    a.user(DEPLOY, 20, Some(0)).await;
    // An IAM call seen in both histories (same EventId) and one only in each.
    let both = record(
        "same-id",
        "CreateAccessKey",
        "2026-11-30T02:00:00Z",
        DEPLOY,
        "198.51.100.7",
    );
    a.bed
        .seed_trail(&json!([
            record(
                "home-1",
                "DescribeDBClusters",
                "2026-11-30T03:00:00Z",
                DEPLOY,
                "203.0.113.10"
            ),
            both.clone(),
        ]))
        .unwrap();
    a.bed
        .seed_trail_in(
            "us-east-1",
            &json!([
                both,
                root_sign_in("global-1", "2026-11-30T18:05:00Z", "198.51.100.7")
            ]),
        )
        .unwrap();
    let state = a.state(&[("AUDIT_ALLOWED_CIDRS", "203.0.113.0/24")]);

    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    assert_eq!(report.extra["lookup_requests"], 2);
    assert_eq!(
        report.extra["regions"],
        json!([
            {"region": "ap-northeast-1", "requests": 1, "events": 2},
            {"region": "us-east-1", "requests": 1, "events": 2}
        ])
    );
    // The deploy user's one call from the unknown address, though both
    // Regions listed it: the shared event counts once.
    let foreign = report
        .findings
        .iter()
        .find(|f| f.check == "cloudtrail-source-ip" && f.detail.contains("198.51.100.7"))
        .unwrap_or_else(|| panic!("{:#?}", report.findings));
    assert_eq!(foreign.value, Some(1.0), "{}", foreign.detail);
    let listed: Vec<(&str, &str)> = report.extra["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event_id"].as_str().unwrap(),
                e["region"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(listed.contains(&("global-1", "us-east-1")), "{listed:?}");
    assert!(
        listed.contains(&("same-id", "ap-northeast-1")),
        "{listed:?}"
    );
    assert_eq!(listed.iter().filter(|(id, _)| *id == "same-id").count(), 1);
}

#[tokio::test]
async fn a_region_that_cannot_be_read_skips_only_its_part_and_the_run_says_so() {
    let mut a = Account::start().await;
    a.user(DEPLOY, 20, Some(0)).await;
    a.bed
        .seed_trail(&json!([record(
            "d1",
            "DeleteDBCluster",
            "2026-11-30T03:00:00Z",
            DEPLOY,
            "203.0.113.10"
        )]))
        .unwrap();
    a.bed
        .set_faults(&json!([
            {"service": "cloudtrail", "operation": "LookupEvents", "code": "AccessDeniedException", "status": 400, "region": "us-east-1"}
        ]))
        .unwrap();
    let state = a.state(&[("AUDIT_ALLOWED_CIDRS", "203.0.113.0/24")]);

    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    // ap-northeast-1's results stand.
    assert_eq!(
        finding_statuses(&report, "cloudtrail-destructive-call"),
        [FindingStatus::Critical]
    );
    let skipped = details(&report, "cloudtrail-lookup");
    assert_eq!(
        finding_statuses(&report, "cloudtrail-lookup"),
        [FindingStatus::Skipped]
    );
    assert!(
        skipped[0].contains("us-east-1") && skipped[0].contains("AccessDeniedException"),
        "{skipped:?}"
    );
    assert_eq!(
        finding_statuses(&report, "audit-source-unavailable"),
        [FindingStatus::Warning]
    );
    assert!(
        report.title.contains("未確認: CloudTrail us-east-1"),
        "{}",
        report.title
    );
    assert_eq!(report.extra["regions"][1]["error"], "AccessDeniedException");
    assert_eq!(report.extra["regions"][1]["events"], 0);
}

#[tokio::test]
async fn an_audit_that_could_read_no_cloudtrail_is_a_warning_never_all_clear() {
    let mut a = Account::start().await;
    a.user(DEPLOY, 20, Some(0)).await;
    a.bed
        .set_faults(&json!([
            {"service": "cloudtrail", "operation": "LookupEvents", "code": "AccessDeniedException", "status": 400}
        ]))
        .unwrap();
    let state = a.state(&[]);

    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    assert_eq!(
        report.severity,
        shared::Severity::Warning,
        "{:#?}",
        report.findings
    );
    for check in [
        "cloudtrail-destructive-call",
        "cloudtrail-night-activity",
        "cloudtrail-delete-burst",
        "cloudtrail-source-ip",
    ] {
        assert_eq!(
            finding_statuses(&report, check),
            [FindingStatus::Skipped],
            "{check}"
        );
    }
    assert_eq!(finding_statuses(&report, "cloudtrail-lookup").len(), 2);
    assert!(!report.title.contains("問題なし"), "{}", report.title);
    assert!(
        report
            .title
            .contains("CloudTrail ap-northeast-1, CloudTrail us-east-1"),
        "{}",
        report.title
    );
    assert_eq!(report.extra["events_scanned"], 0);
}

#[tokio::test]
async fn an_empty_global_region_turns_the_second_scan_off() {
    let mut a = Account::start().await;
    a.user(DEPLOY, 20, Some(0)).await;
    for (global, requests) in [("", 1), ("ap-northeast-1", 1), ("us-east-1", 2)] {
        let state = a.state(&[("AUDIT_GLOBAL_REGION", global)]);
        let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();
        assert_eq!(report.extra["lookup_requests"], requests, "{global:?}");
        assert_eq!(
            report.extra["regions"].as_array().unwrap().len(),
            requests,
            "{global:?}"
        );
    }
}

/// A console sign-in of an IAM user as CloudTrail records it (us-east-1).
fn console_login(id: &str, t: &str, user: &str, ip: &str, outcome: &str, mfa: &str) -> Value {
    let mut r = json!({
        "eventVersion": "1.08", "eventID": id, "eventName": "ConsoleLogin", "eventTime": t,
        "eventSource": "signin.amazonaws.com", "eventType": "AwsConsoleSignIn", "awsRegion": "us-east-1",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "accountId": "123456789012",
            "arn": format!("arn:aws:iam::123456789012:user/{user}"), "userName": user},
        "sourceIPAddress": ip, "responseElements": {"ConsoleLogin": outcome},
        "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No", "MFAUsed": mfa},
        "readOnly": false
    });
    if outcome == "Failure" {
        r["errorMessage"] = json!("Failed authentication");
    }
    r
}

/// An IAM call (a global-service event) as CloudTrail records it.
fn iam_call(id: &str, name: &str, t: &str, identity: Value, request: Value) -> Value {
    json!({
        "eventVersion": "1.09", "eventID": id, "eventName": name, "eventTime": t,
        "eventSource": "iam.amazonaws.com", "awsRegion": "us-east-1", "userIdentity": identity,
        "sourceIPAddress": "198.51.100.77", "requestParameters": request, "responseElements": null,
        "errorCode": "", "readOnly": false, "eventType": "AwsApiCall"
    })
}

#[tokio::test]
async fn the_global_events_are_judged_root_sign_ins_and_iam_changes() {
    let mut a = Account::start().await;
    a.user(DEPLOY, 20, Some(0)).await;
    a.user("mallory", 20, Some(0)).await;
    a.user("erin", 20, Some(0)).await;
    let rotate_role = "goal-mandala-production-rotate-access-keys-role";
    let mut global = vec![
        // Root signs in at 03:05 JST from an unknown address, without MFA.
        root_sign_in("root-login", "2026-11-30T18:05:00Z", "198.51.100.77"),
        // CloudTrail itself acting as root: not root's own use.
        json!({"eventID": "root-svc", "eventName": "GetBucketAcl", "eventTime": "2026-11-30T05:00:00Z",
            "eventSource": "s3.amazonaws.com", "awsRegion": "us-east-1",
            "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root", "invokedBy": "cloudtrail.amazonaws.com"},
            "sourceIPAddress": "cloudtrail.amazonaws.com", "readOnly": true}),
        // erin signs in without MFA.
        console_login(
            "erin-login",
            "2026-11-30T01:00:00Z",
            "erin",
            "203.0.113.5",
            "Success",
            "No",
        ),
        // mallory makes the deploy user an admin.
        iam_call(
            "attach-admin",
            "AttachUserPolicy",
            "2026-11-30T18:12:00Z",
            json!({"type": "IAMUser", "userName": "mallory", "arn": "arn:aws:iam::123456789012:user/mallory"}),
            json!({"userName": DEPLOY, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        ),
        // The key rotation's own CreateAccessKey: trusted, ok.
        iam_call(
            "rotation",
            "CreateAccessKey",
            "2026-11-30T01:00:00Z",
            json!({"type": "AssumedRole", "arn": format!("arn:aws:sts::123456789012:assumed-role/{rotate_role}/s"),
                "sessionContext": {"sessionIssuer": {"type": "Role", "userName": rotate_role,
                    "arn": format!("arn:aws:iam::123456789012:role/{rotate_role}")}}}),
            json!({"userName": DEPLOY}),
        ),
    ];
    // A burst of failed sign-ins for dave from one address.
    for i in 0..5 {
        global.push(console_login(
            &format!("fail-{i}"),
            &format!("2026-11-30T10:0{i}:00Z"),
            "dave",
            "198.51.100.9",
            "Failure",
            "No",
        ));
    }
    a.bed.seed_trail_in("us-east-1", &json!(global)).unwrap();
    let state = a.state(&[
        ("AUDIT_AUTO_CONTAIN", "true"),
        ("AUDIT_TRUSTED_PRINCIPALS", rotate_role),
    ]);

    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    assert_eq!(report.severity, shared::Severity::Critical);
    let root = details(&report, "cloudtrail-root-activity");
    assert_eq!(
        finding_statuses(&report, "cloudtrail-root-activity"),
        [FindingStatus::Critical]
    );
    assert!(
        root[0].contains("ConsoleLogin")
            && root[0].contains("198.51.100.77")
            && root[0].contains("MFA なし"),
        "{root:?}"
    );
    assert!(
        root[0].contains("region=us-east-1"),
        "the link opens us-east-1's history: {root:?}"
    );
    let logins = details(&report, "cloudtrail-console-login");
    assert_eq!(
        finding_statuses(&report, "cloudtrail-console-login"),
        [FindingStatus::Warning, FindingStatus::Warning]
    );
    assert!(
        logins
            .iter()
            .any(|d| d.contains("dave") && d.contains("198.51.100.9") && d.contains("5 回")),
        "{logins:?}"
    );
    assert!(
        logins
            .iter()
            .any(|d| d.contains("erin") && d.contains("MFA")),
        "{logins:?}"
    );
    let changes: Vec<(FindingStatus, String)> = report
        .findings
        .iter()
        .filter(|f| f.check == "cloudtrail-iam-change")
        .map(|f| (f.status, f.detail.clone()))
        .collect();
    assert_eq!(changes.len(), 2, "{changes:?}");
    let admin = changes
        .iter()
        .find(|(_, d)| d.contains("AttachUserPolicy"))
        .unwrap();
    assert_eq!(admin.0, FindingStatus::Critical);
    assert!(
        admin.1.contains(DEPLOY) && admin.1.contains("AdministratorAccess"),
        "{admin:?}"
    );
    let rotation = changes
        .iter()
        .find(|(_, d)| d.contains("CreateAccessKey"))
        .unwrap();
    assert_eq!(rotation.0, FindingStatus::Ok, "{rotation:?}");
    // Containment: mallory's key (an IAM user behind a critical finding), never root.
    let contained: Vec<&str> = report.actions.iter().map(|a| a.target.as_str()).collect();
    assert_eq!(contained.len(), 1, "{contained:?}");
    assert!(contained[0].starts_with("mallory/"), "{contained:?}");
    assert_eq!(a.key_status("mallory").await, [StatusType::Inactive]);
    assert_eq!(a.key_status("erin").await, [StatusType::Active]);
    // The events list names the global ones with their Region.
    let listed: Vec<&str> = report.extra["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert!(
        listed.contains(&"root-login") && listed.contains(&"attach-admin"),
        "{listed:?}"
    );
    assert!(
        !listed.contains(&"root-svc") && !listed.contains(&"rotation"),
        "{listed:?}"
    );
}

#[tokio::test]
async fn a_forwarded_root_sign_in_and_admin_grant_are_judged_in_real_time() {
    let a = Account::start().await;
    let state = a.state(&[]);

    let sign_in = a
        .run(&state, sample("realtime-root-console-login.json"))
        .await
        .unwrap();
    assert_eq!(sign_in.severity, shared::Severity::Critical);
    assert_eq!(
        finding_statuses(&sign_in, "cloudtrail-root-activity"),
        [FindingStatus::Critical]
    );
    assert!(
        sign_in.title.contains("ConsoleLogin") && sign_in.title.contains("root"),
        "{}",
        sign_in.title
    );
    assert_eq!(sign_in.extra["events"][0]["region"], "us-east-1");
    assert!(
        sign_in.actions.is_empty(),
        "root is never contained: {:?}",
        sign_in.actions
    );

    let grant = a
        .run(&state, sample("realtime-attach-admin-policy.json"))
        .await
        .unwrap();
    assert_eq!(
        finding_statuses(&grant, "cloudtrail-iam-change"),
        [FindingStatus::Critical]
    );
    // `errorCode: ""` is no error.
    assert_eq!(grant.extra["events"][0]["error_code"], Value::Null);
    assert_eq!(a.calls("LookupEvents"), 0);
}

#[tokio::test]
async fn a_trail_that_stopped_logging_leaves_the_account_uncovered() {
    let a = Account::start().await;
    let state = a.state(&[]);
    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();
    assert_eq!(
        finding_statuses(&report, "cloudtrail-trail-health"),
        [FindingStatus::Ok]
    );
    assert!(details(&report, "cloudtrail-trail-health")[0].contains(TRAIL));

    // Its bucket refuses the deliveries: still logging, but a warning.
    a.bed
        .fail_trail_delivery(&json!({TRAIL: "AccessDenied"}))
        .unwrap();
    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();
    assert_eq!(
        finding_statuses(&report, "cloudtrail-trail-health"),
        [FindingStatus::Warning]
    );
    assert!(details(&report, "cloudtrail-trail-health")[0].contains("AccessDenied"));
    a.bed.fail_trail_delivery(&json!({})).unwrap();

    // Someone stops the trail; a single-Region trail alone does not cover the account.
    a.cloudtrail
        .stop_logging()
        .name(TRAIL)
        .send()
        .await
        .unwrap();
    a.trail("regional-only", false, true).await;
    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();
    assert_eq!(
        finding_statuses(&report, "cloudtrail-trail-health"),
        [FindingStatus::Critical]
    );
    let detail = &details(&report, "cloudtrail-trail-health")[0];
    assert!(
        detail.contains("記録停止中") && detail.contains("単一リージョン"),
        "{detail}"
    );
    assert!(
        report
            .next_steps
            .iter()
            .any(|s| s.contains("start-logging")),
        "{:#?}",
        report.next_steps
    );
    assert_eq!(a.calls("DescribeTrails"), 1);
    assert_eq!(a.calls("GetTrailStatus"), 2);
    // The trails' reads are not lookups.
    assert_eq!(report.extra["lookup_requests"], 2);

    // A denied DescribeTrails skips only this check.
    a.bed
        .set_faults(&json!([{"service": "cloudtrail", "operation": "DescribeTrails", "code": "AccessDeniedException", "status": 400}]))
        .unwrap();
    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();
    assert_eq!(
        finding_statuses(&report, "cloudtrail-trail-health"),
        [FindingStatus::Skipped]
    );
    assert_eq!(
        finding_statuses(&report, "cloudtrail-destructive-call"),
        [FindingStatus::Ok]
    );
}

#[tokio::test]
async fn every_action_on_all_but_a_few_resources_is_admin() {
    let mut a = Account::start().await;
    a.user("grace", 20, Some(0)).await;
    a.iam
        .put_user_policy()
        .user_name("grace")
        .policy_name("all-but-the-audit-logs")
        .policy_document(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "NotResource": ["arn:aws:s3:::audit-logs", "arn:aws:s3:::audit-logs/*"]}
        ]}).to_string())
        .send()
        .await
        .unwrap();
    a.user("heidi", 20, Some(0)).await;
    a.iam
        .put_user_policy()
        .user_name("heidi")
        .policy_name("nothing")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "NotResource": "*"}
            ]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let state = a.state(&[]);

    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    assert_eq!(
        finding_statuses(&report, "iam-admin-access"),
        [FindingStatus::Warning]
    );
    assert!(details(&report, "iam-admin-access")[0].contains("grace"));
    let users = report.extra["users"].as_array().unwrap();
    let grace = users.iter().find(|u| u["user"] == "grace").unwrap();
    assert_eq!(
        grace["admin_via"],
        json!([{"policy": "all-but-the-audit-logs", "type": "inline", "statement": "not-resource"}])
    );
    let heidi = users.iter().find(|u| u["user"] == "heidi").unwrap();
    assert_eq!(heidi["admin"], false, "a NotResource of * grants nothing");
}

#[tokio::test]
async fn a_suppressed_finding_is_ok_with_its_reason_and_an_expired_one_is_back() {
    let mut a = Account::start().await;
    a.user(DEPLOY, 20, Some(0)).await;
    a.user("ci-bot", 20, Some(0)).await;
    a.bed
        .seed_trail(&json!([
            // The CI runners' address, accepted until the end of the year.
            record(
                "ci-1",
                "ListBuckets",
                "2026-11-30T03:00:00Z",
                "ci-bot",
                "198.51.100.7"
            ),
            // The same principal from elsewhere: not covered.
            record(
                "ci-2",
                "ListBuckets",
                "2026-11-30T03:10:00Z",
                "ci-bot",
                "192.0.2.1"
            ),
            // A delete burst by ci-bot, suppressed by principal: never contained.
        ]))
        .unwrap();
    let suppress = json!([
        {"check": "cloudtrail-source-ip", "principal": "ci-bot", "cidr": "198.51.100.0/24",
         "reason": "GitHub Actions runners (ticket OPS-42)", "until": "2026-12-01"},
        {"check": "cloudtrail-night-activity", "principal": DEPLOY,
         "reason": "the nightly batch", "until": "2026-11-30"}
    ])
    .to_string();
    let state = a.state(&[
        ("AUDIT_ALLOWED_CIDRS", "203.0.113.0/24"),
        ("AUDIT_SUPPRESS", &suppress),
    ]);

    // 09:00 JST on 1 December: the first entry's last day, the second expired.
    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    let source: Vec<(FindingStatus, String)> = report
        .findings
        .iter()
        .filter(|f| f.check == "cloudtrail-source-ip")
        .map(|f| (f.status, f.detail.clone()))
        .collect();
    assert_eq!(source.len(), 2, "{source:?}");
    let accepted = source
        .iter()
        .find(|(_, d)| d.contains("198.51.100.7"))
        .unwrap();
    assert_eq!(accepted.0, FindingStatus::Ok);
    assert!(
        accepted
            .1
            .starts_with("抑止中: GitHub Actions runners (ticket OPS-42)（2026-12-01 まで）"),
        "{accepted:?}"
    );
    let other = source
        .iter()
        .find(|(_, d)| d.contains("192.0.2.1"))
        .unwrap();
    assert_eq!(other.0, FindingStatus::Warning);
    let events = report.extra["events"].as_array().unwrap();
    let ci1 = events.iter().find(|e| e["event_id"] == "ci-1").unwrap();
    let ci2 = events.iter().find(|e| e["event_id"] == "ci-2").unwrap();
    assert_eq!(
        (ci1["suppressed"].as_bool(), ci2["suppressed"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(
        finding_statuses(&report, "audit-suppression-expired"),
        [FindingStatus::Warning]
    );
    assert!(details(&report, "audit-suppression-expired")[0].contains("2026-11-30"));
    assert_eq!(
        report.extra["suppressions"],
        json!([{"check": "cloudtrail-source-ip", "principal": "ci-bot", "event": null, "cidr": "198.51.100.0/24",
                "reason": "GitHub Actions runners (ticket OPS-42)", "until": "2026-12-01"}])
    );

    // The next day the first entry has expired too: the finding is back.
    let later = a
        .run(
            &state,
            json!({"at": "2026-12-02T00:00:00Z", "lookback_hours": 48}),
        )
        .await
        .unwrap();
    let statuses: Vec<FindingStatus> = later
        .findings
        .iter()
        .filter(|f| f.check == "cloudtrail-source-ip")
        .map(|f| f.status)
        .collect();
    assert_eq!(statuses, [FindingStatus::Warning, FindingStatus::Warning]);
    assert_eq!(
        finding_statuses(&later, "audit-suppression-expired").len(),
        2
    );
    assert_eq!(later.extra["suppressions"], json!([]));
}

#[tokio::test]
async fn containment_never_acts_on_a_suppressed_finding() {
    let mut a = Account::start().await;
    a.user("cleanup-bot", 20, Some(0)).await;
    let deletes: Vec<Value> = (0..12)
        .map(|i| {
            record(
                &format!("del-{i}"),
                "DeleteDBInstance",
                &time(at("2026-11-30T05:00:00Z") + TimeDelta::minutes(i)),
                "cleanup-bot",
                "203.0.113.9",
            )
        })
        .collect();
    a.bed.seed_trail(&json!(deletes)).unwrap();
    let suppress = json!([
        {"check": "cloudtrail-delete-burst", "principal": "cleanup-bot", "reason": "quarterly clean-up", "until": "2026-12-31"},
        {"check": "cloudtrail-destructive-call", "principal": "cleanup-bot", "event": "DeleteDBInstance", "reason": "quarterly clean-up", "until": "2026-12-31"}
    ])
    .to_string();
    let state = a.state(&[
        ("AUDIT_AUTO_CONTAIN", "true"),
        ("AUDIT_SUPPRESS", &suppress),
    ]);

    let report = a.run(&state, json!({"scheduled_time": NOW})).await.unwrap();

    assert_eq!(
        finding_statuses(&report, "cloudtrail-delete-burst"),
        [FindingStatus::Ok]
    );
    assert!(report.actions.is_empty(), "{:?}", report.actions);
    assert_eq!(a.key_status("cleanup-bot").await, [StatusType::Active]);
    assert_eq!(
        report.severity,
        shared::Severity::Info,
        "{:#?}",
        report.findings
    );
}
