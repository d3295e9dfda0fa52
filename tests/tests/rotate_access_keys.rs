//! rotate-access-keys' handler against the bed: real IAM and Secrets Manager
//! calls to the emulator, days simulated with the event's time, the new
//! key's use proven by signing a request with it (moto records its
//! `LastUsedDate`), the notification read back through SQS.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_iam::types::{StatusType, Tag};
use bed::{Bed, Inbox, capture_logs};
use chrono::{DateTime, TimeDelta, Utc};
use lambda_runtime::{Context, LambdaEvent};
use rotate_access_keys::{KeysConfig, RotateAccessKeys};
use serde_json::{Value, json};
use shared::entry::handle;
use shared::{ActionResult, Error, Report};

const USER: &str = "github-actions-deploy";
const SECRET: &str = "goal-mandala-production/iam/github-actions-deploy";

struct Production {
    bed: Bed,
    iam: aws_sdk_iam::Client,
    secrets: aws_sdk_secretsmanager::Client,
    inbox: Inbox,
    /// The deploy user's first key, made "today" (moto stamps the real clock).
    first_key: String,
    today: DateTime<Utc>,
}

impl Production {
    async fn start() -> Production {
        let bed = Bed::start().unwrap();
        let sdk = bed.sdk_config();
        let iam = aws_sdk_iam::Client::new(&sdk);
        iam.create_user().user_name(USER).send().await.unwrap();
        let first_key = iam
            .create_access_key()
            .user_name(USER)
            .send()
            .await
            .unwrap()
            .access_key()
            .unwrap()
            .access_key_id()
            .to_owned();
        let inbox = Inbox::ops(&sdk).await.unwrap();
        Production {
            iam,
            secrets: aws_sdk_secretsmanager::Client::new(&sdk),
            inbox,
            first_key,
            today: Utc::now(),
            bed,
        }
    }

    fn state(&self, extra: &[(&str, &str)]) -> RotateAccessKeys {
        let env = self.inbox.env(extra);
        RotateAccessKeys::new(
            KeysConfig::from_env(&env).unwrap(),
            &self.bed.function_sdk_config("rotate-access-keys"),
        )
        .unwrap()
    }

    /// A run as the daily schedule would start it, `days` from today.
    async fn run_on_day(
        &self,
        state: &RotateAccessKeys,
        days: i64,
        extra: Value,
    ) -> Result<Report, Error> {
        let at = (self.today + TimeDelta::days(days)).to_rfc3339();
        let mut payload = json!({"scheduled_time": at});
        for (k, v) in extra.as_object().into_iter().flatten() {
            payload[k] = v.clone();
        }
        handle(state, LambdaEvent::new(payload.into(), Context::default())).await
    }

    async fn keys(&self, user: &str) -> Vec<(String, StatusType)> {
        self.iam
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .unwrap()
            .access_key_metadata()
            .iter()
            .map(|k| {
                (
                    k.access_key_id().unwrap().to_owned(),
                    k.status().unwrap().clone(),
                )
            })
            .collect()
    }

    async fn user_tags(&self) -> Vec<(String, String)> {
        self.iam
            .list_user_tags()
            .user_name(USER)
            .send()
            .await
            .unwrap()
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    }

    async fn stored(&self) -> Option<Value> {
        let out = self
            .secrets
            .get_secret_value()
            .secret_id(SECRET)
            .version_stage("AWSCURRENT")
            .send()
            .await
            .ok()?;
        serde_json::from_str(out.secret_string().unwrap()).ok()
    }

    /// Signs one request with `key` (as the deploy pipeline would), so IAM records its use.
    async fn use_key(&self, stored: &Value) {
        let credentials = Credentials::new(
            stored["AccessKeyId"].as_str().unwrap(),
            stored["SecretAccessKey"].as_str().unwrap(),
            None,
            None,
            "deploy-pipeline",
        );
        let sdk = self
            .bed
            .sdk_config()
            .into_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        aws_sdk_iam::Client::new(&sdk)
            .get_user()
            .user_name(USER)
            .send()
            .await
            .unwrap();
    }
}

fn action_results(report: &Report) -> Vec<(&str, ActionResult)> {
    report
        .actions
        .iter()
        .map(|a| (a.action.as_str(), a.result))
        .collect()
}

fn checks(report: &Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.check.as_str()).collect()
}

#[tokio::test]
async fn a_90_day_old_key_is_rotated_into_secrets_manager_and_the_secret_leaks_nowhere() {
    let (logs, _guard) = capture_logs();
    let p = Production::start().await;
    let state = p.state(&[]);

    let report = p.run_on_day(&state, 89, json!({})).await.unwrap();
    assert!(report.actions.is_empty(), "89 days: not yet");
    assert!(checks(&report).contains(&"due-soon"));
    assert_eq!(
        p.inbox.take().await.unwrap().len(),
        1,
        "announced a week ahead"
    );

    let report = p.run_on_day(&state, 90, json!({})).await.unwrap();
    assert_eq!(
        action_results(&report),
        [("create-key", ActionResult::Done)]
    );
    let stored = p.stored().await.expect("the new key is stored");
    let new_key = stored["AccessKeyId"].as_str().unwrap().to_owned();
    let secret = stored["SecretAccessKey"].as_str().unwrap().to_owned();
    assert_eq!(stored["UserName"], USER);
    assert!(stored["CreateDate"].as_str().is_some());
    assert_ne!(new_key, p.first_key);
    let keys = p.keys(USER).await;
    assert_eq!(keys.len(), 2);
    assert!(
        keys.iter().all(|(_, s)| *s == StatusType::Active),
        "the previous key keeps working"
    );
    assert!(
        !p.user_tags()
            .await
            .iter()
            .any(|(k, _)| k == "key-rotation/rotating-since"),
        "marker removed"
    );

    let user = &report.extra["users"][0];
    assert_eq!(user["user"], USER);
    assert_eq!(user["keys"][0]["id_suffix"], p.first_key[16..]);
    assert_eq!(user["keys"][0]["age_days"], 90);
    assert_eq!(user["next_action"]["action"], "deactivate");

    // The secret half only in Secrets Manager: not in the report, the
    // notification or any log line captured (at TRACE, so the SDK's too).
    // The full key id neither in the report, the notification nor our own
    // log lines (the SDK's TRACE lines name it; it is an identifier, not a secret).
    let published = p.inbox.take().await.unwrap();
    assert_eq!(published.len(), 1);
    let report_json = serde_json::to_string(&report).unwrap();
    let message = published[0].to_string();
    let logged = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("new key created and stored"),
        "the logs were captured"
    );
    let ours: String = logged
        .lines()
        .filter(|l| l.contains(" rotate_access_keys:") || l.contains(" shared::"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        ours.contains("new key created and stored"),
        "our own lines were picked out"
    );
    for (name, text) in [
        ("report", &report_json),
        ("notification", &message),
        ("logs", &logged),
    ] {
        assert!(!text.contains(&secret), "secret access key in the {name}");
    }
    for (name, text) in [
        ("report", &report_json),
        ("notification", &message),
        ("function's logs", &ours),
    ] {
        assert!(!text.contains(&new_key), "full new key id in the {name}");
    }

    // The same event again (a retry): no second key.
    let again = p.run_on_day(&state, 90, json!({})).await.unwrap();
    assert!(again.actions.is_empty(), "{:?}", again.actions);
    assert_eq!(p.keys(USER).await.len(), 2);
    assert_eq!(p.stored().await.unwrap()["AccessKeyId"], new_key.as_str());
}

#[tokio::test]
async fn the_previous_key_is_deactivated_only_once_the_new_one_is_used_then_deleted() {
    // moto stamps keys with the real clock, so this timeline starts today
    // with a forced rotation: event days and key ages then agree.
    let p = Production::start().await;
    let state = p.state(&[]);
    p.run_on_day(&state, 0, json!({"force_rotate": true}))
        .await
        .unwrap();
    let stored = p.stored().await.unwrap();
    let new_key = stored["AccessKeyId"].as_str().unwrap().to_owned();
    p.inbox.take().await.unwrap();

    // Day 6: deactivation is announced for day 7 (once the new key is used).
    let report = p.run_on_day(&state, 6, json!({})).await.unwrap();
    assert!(report.actions.is_empty());
    assert_eq!(
        report.extra["users"][0]["next_action"]["action"],
        "deactivate"
    );

    // Day 8, the pipeline has not switched: warn, keep both keys.
    let report = p.run_on_day(&state, 8, json!({})).await.unwrap();
    assert!(report.actions.is_empty());
    assert!(checks(&report).contains(&"new-key-unused"));
    assert_eq!(report.severity, shared::Severity::Warning);
    assert!(
        p.keys(USER)
            .await
            .iter()
            .all(|(_, s)| *s == StatusType::Active)
    );
    p.inbox.take().await.unwrap();

    // The pipeline deploys with the new key: the previous one goes inactive, dated.
    p.use_key(&stored).await;
    let report = p.run_on_day(&state, 9, json!({})).await.unwrap();
    assert_eq!(
        action_results(&report),
        [("deactivate-key", ActionResult::Done)]
    );
    let keys = p.keys(USER).await;
    let status = |id: &str| keys.iter().find(|(k, _)| k == id).map(|(_, s)| s.clone());
    assert_eq!(status(&p.first_key), Some(StatusType::Inactive));
    assert_eq!(status(&new_key), Some(StatusType::Active));
    let tag = format!("key-rotation/deactivated/{}", p.first_key);
    let tags = p.user_tags().await;
    let dated = tags
        .iter()
        .find(|(k, _)| *k == tag)
        .map(|(_, v)| v.clone())
        .expect("deactivation date tagged");
    assert!(
        dated.starts_with(
            &(p.today + TimeDelta::days(9))
                .format("%Y-%m-%d")
                .to_string()
        ),
        "{dated}"
    );
    assert_eq!(p.inbox.take().await.unwrap().len(), 1);

    // 13 days later it is still there (rollback possible); at 14 it is deleted, tag and all.
    let report = p.run_on_day(&state, 22, json!({})).await.unwrap();
    assert!(report.actions.is_empty());
    assert_eq!(p.keys(USER).await.len(), 2);
    let report = p.run_on_day(&state, 23, json!({})).await.unwrap();
    assert_eq!(
        action_results(&report),
        [("delete-key", ActionResult::Done)]
    );
    assert_eq!(p.keys(USER).await, [(new_key.clone(), StatusType::Active)]);
    assert!(!p.user_tags().await.iter().any(|(k, _)| *k == tag));
    assert_eq!(report.extra["users"][0]["next_action"]["action"], "rotate");
    assert_eq!(
        p.stored().await.unwrap()["AccessKeyId"],
        new_key.as_str(),
        "the stored key is the active one"
    );
}

#[tokio::test]
async fn a_dry_run_plans_the_rotation_and_changes_nothing() {
    let p = Production::start().await;
    let state = p.state(&[]);
    let report = p
        .run_on_day(&state, 120, json!({"dry_run": true}))
        .await
        .unwrap();
    assert_eq!(
        action_results(&report),
        [("create-key", ActionResult::Planned)]
    );
    assert!(report.title.starts_with("[ドライラン]"), "{}", report.title);
    assert_eq!(p.keys(USER).await.len(), 1);
    assert!(p.stored().await.is_none());
}

#[tokio::test]
async fn force_rotate_rotates_a_young_key_but_never_an_exempt_user() {
    let p = Production::start().await;
    let state = p.state(&[]);
    let report = p
        .run_on_day(&state, 1, json!({"force_rotate": true}))
        .await
        .unwrap();
    assert_eq!(
        action_results(&report),
        [("create-key", ActionResult::Done)]
    );
    assert_eq!(p.keys(USER).await.len(), 2);

    let p = Production::start().await;
    p.iam
        .tag_user()
        .user_name(USER)
        .tags(
            Tag::builder()
                .key("key-rotation")
                .value("exempt")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let state = p.state(&[]);
    let report = p
        .run_on_day(&state, 400, json!({"force_rotate": true}))
        .await
        .unwrap();
    assert!(report.actions.is_empty());
    assert!(checks(&report).contains(&"exempt"));
    assert_eq!(p.keys(USER).await.len(), 1);
    assert_eq!(report.extra["notify"], false);
}

#[tokio::test]
async fn bad_input_is_invalid_input_and_changes_nothing() {
    let p = Production::start().await;
    let state = p.state(&[]);
    for extra in [
        json!({"users": ["someone-else"]}),
        json!({"users": "github-actions-deploy"}),
        json!({"force_rotate": "yes"}),
        json!({"scheduled_time": "tomorrow"}),
    ] {
        let err = p.run_on_day(&state, 200, extra.clone()).await.unwrap_err();
        assert_eq!(err.error_type().as_str(), "InvalidInput", "{extra}: {err}");
    }
    assert_eq!(p.keys(USER).await.len(), 1);
    assert!(p.stored().await.is_none());
    assert!(p.inbox.take().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_key_that_cannot_be_stored_is_deleted_at_once_and_the_old_key_keeps_working() {
    let p = Production::start().await;
    // The secret here is a read-only replica of one in another region:
    // it can be read, but Secrets Manager refuses new values.
    let primary = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(&p.bed.sdk_config())
            .region(aws_sdk_secretsmanager::config::Region::new("us-east-1"))
            .build(),
    );
    primary
        .create_secret()
        .name(SECRET)
        .secret_string(
            json!({"AccessKeyId": p.first_key, "SecretAccessKey": "not-a-real-secret"}).to_string(),
        )
        .add_replica_regions(
            aws_sdk_secretsmanager::types::ReplicaRegionType::builder()
                .region("ap-northeast-1")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        p.stored().await.unwrap()["AccessKeyId"],
        p.first_key.as_str()
    );
    let state = p.state(&[]);

    let report = p.run_on_day(&state, 95, json!({})).await.unwrap();

    assert_eq!(
        action_results(&report),
        [("create-key", ActionResult::Failed)]
    );
    assert_eq!(report.severity, shared::Severity::Critical);
    assert_eq!(
        p.keys(USER).await,
        [(p.first_key.clone(), StatusType::Active)]
    );
    assert!(
        !p.user_tags()
            .await
            .iter()
            .any(|(k, _)| k == "key-rotation/rotating-since")
    );
    assert_eq!(p.inbox.take().await.unwrap().len(), 1);
}

#[tokio::test]
async fn old_keys_of_users_outside_the_rotation_are_reported_not_touched() {
    let p = Production::start().await;
    p.iam
        .create_user()
        .user_name("legacy-admin")
        .send()
        .await
        .unwrap();
    p.iam
        .create_access_key()
        .user_name("legacy-admin")
        .send()
        .await
        .unwrap();
    let state = p.state(&[]);
    let report = p.run_on_day(&state, 30, json!({})).await.unwrap();
    assert!(
        !checks(&report).contains(&"unmanaged-key-age"),
        "30 days is fine"
    );
    let report = p
        .run_on_day(&state, 91, json!({"dry_run": true}))
        .await
        .unwrap();
    let finding = report
        .findings
        .iter()
        .find(|f| f.check == "unmanaged-key-age")
        .unwrap();
    assert!(
        finding.detail.starts_with("legacy-admin"),
        "{}",
        finding.detail
    );
    assert_eq!(p.keys("legacy-admin").await.len(), 1);
}
