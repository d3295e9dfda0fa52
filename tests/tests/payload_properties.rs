//! Every function's entry point against generated payloads, on the bed:
//! arbitrary JSON and mutations of its `events/` samples, delivered as the
//! Lambda runtime delivers them. Whatever arrives: no panic, only ARCHITECTURE §3's
//! error types, a short one-line message, and for a rejected payload no
//! write call and no publish.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bed::payloads::{self, Case};
use bed::{Bed, Inbox};
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use shared::entry::{handle, read_like_the_runtime};
use shared::error::MESSAGE_MAX_CHARS;
use shared::{Env, ErrorType, Task};

/// Cases per function: enough to reach every mutation on every sample, few
/// enough for CI (each accepted case is a real run against the emulator).
const CASES: usize = 48;

/// ARCHITECTURE §3's error types, the only ones a caller may see.
const ERROR_TYPES: [&str; 5] = ["InvalidInput", "Config", "Aws", "Database", "Unexpected"];

struct Bench {
    bed: Bed,
    inbox: Inbox,
}

impl Bench {
    async fn start() -> Bench {
        let bed = Bed::start().unwrap();
        let inbox = Inbox::ops(&bed.sdk_config()).await.unwrap();
        Bench { bed, inbox }
    }

    fn env(&self) -> Env {
        self.inbox.env(&[])
    }

    async fn check<T: Task>(&self, task: &T, keys: &[&str]) {
        let cases = payloads::cases(T::FUNCTION, keys, CASES);
        let (mut refused, mut other) = (0, 0);
        for (i, Case { label, text }) in cases.iter().enumerate() {
            // Shown with the panic, should a case panic.
            eprintln!("{} case {i}: {label}", T::FUNCTION);
            self.bed.forget_requests().unwrap();
            let event =
                LambdaEvent::new(read_like_the_runtime(text.as_bytes()), Context::default());
            let Err(err) = handle(task, event).await else {
                other += 1;
                continue;
            };
            let kind = err.error_type();
            let diagnostic = Diagnostic::from(err);
            let message = &diagnostic.error_message;
            assert!(
                ERROR_TYPES.contains(&diagnostic.error_type.as_str()),
                "{label}: error type {}",
                diagnostic.error_type
            );
            // A message quotes what was wrong, never a whole payload.
            assert!(
                message.chars().count() <= MESSAGE_MAX_CHARS && !message.contains('\n'),
                "{label}: a {}-character message",
                message.chars().count()
            );
            if kind != ErrorType::InvalidInput {
                other += 1;
                continue;
            }
            refused += 1;
            let writes: Vec<String> = self
                .bed
                .writes()
                .unwrap()
                .iter()
                .map(|r| r.name())
                .collect();
            assert!(
                writes.is_empty(),
                "{label}: a rejected payload made {writes:?}"
            );
        }
        eprintln!("{}: {refused} refused, {other} ran", T::FUNCTION);
        // Both sides are reached: payloads refused, and payloads that ran.
        assert!(
            refused >= CASES / 8,
            "{}: only {refused} of {CASES} refused",
            T::FUNCTION
        );
        assert!(other >= 1, "{}: no generated payload ran", T::FUNCTION);
        assert!(
            self.inbox.take().await.unwrap().len() <= other,
            "{}: more notifications than runs",
            T::FUNCTION
        );
    }
}

#[tokio::test]
async fn nightly_snapshot_answers_any_payload_with_a_contract_type() {
    let bench = Bench::start().await;
    bed::production::create_cluster(
        &aws_sdk_rds::Client::new(&bench.bed.sdk_config()),
        "goal-mandala-production",
    )
    .await
    .unwrap();
    let config = nightly_snapshot::SnapshotConfig::from_env(&bench.env()).unwrap();
    let state = nightly_snapshot::NightlySnapshot::new(
        config,
        &bench.bed.probe_sdk_config("nightly-snapshot"),
    )
    .unwrap();
    bench.check(&state, &["reason"]).await;
}

#[tokio::test]
async fn restore_drill_answers_any_payload_with_a_contract_type() {
    let bench = Bench::start().await;
    let mut env = bench.env();
    env.set("SCHEDULE_GROUP", "goal-mandala-production-ops");
    env.set(
        "SCHEDULER_ROLE_ARN",
        "arn:aws:iam::123456789012:role/SchedulerRole",
    );
    let config = restore_drill::DrillConfig::from_env(&env).unwrap();
    let state =
        restore_drill::RestoreDrill::new(config, &bench.bed.probe_sdk_config("restore-drill"))
            .unwrap();
    bench
        .check(&state, &["snapshot", "drill", "step", "seq"])
        .await;
}

#[tokio::test]
async fn rotate_db_secret_answers_any_payload_with_a_contract_type() {
    let bench = Bench::start().await;
    let config = rotate_db_secret::RotationConfig::from_env(&bench.env()).unwrap();
    let state = rotate_db_secret::RotateDbSecret::new(
        config,
        &bench.bed.probe_sdk_config("rotate-db-secret"),
    )
    .unwrap();
    bench
        .check(&state, &["SecretId", "ClientRequestToken", "Step"])
        .await;
}

#[tokio::test]
async fn rotate_access_keys_answers_any_payload_with_a_contract_type() {
    let bench = Bench::start().await;
    let iam = aws_sdk_iam::Client::new(&bench.bed.sdk_config());
    iam.create_user()
        .user_name("github-actions-deploy")
        .send()
        .await
        .unwrap();
    iam.create_access_key()
        .user_name("github-actions-deploy")
        .send()
        .await
        .unwrap();
    let config = rotate_access_keys::KeysConfig::from_env(&bench.env()).unwrap();
    let state = rotate_access_keys::RotateAccessKeys::new(
        config,
        &bench.bed.probe_sdk_config("rotate-access-keys"),
    )
    .unwrap();
    bench.check(&state, &["users", "force_rotate"]).await;
}

#[tokio::test]
async fn alarm_triage_answers_any_payload_with_a_contract_type() {
    let bench = Bench::start().await;
    let mut env = bench.env();
    // Each evidence source is bounded; keep a missing one from waiting long.
    env.set("TRIAGE_GATHER_SECONDS", "3");
    env.set("DB_CONNECT_TIMEOUT_SECONDS", "1");
    let config = alarm_triage::TriageConfig::from_env(&env).unwrap();
    let state = alarm_triage::AlarmTriage::new(config, &bench.bed.probe_sdk_config("alarm-triage"))
        .unwrap();
    bench
        .check(&state, &["Records", "Sns", "Message", "alarmData", "state"])
        .await;
}

#[tokio::test]
async fn budget_alert_answers_any_payload_with_a_contract_type() {
    let bench = Bench::start().await;
    let config = budget_alert::BudgetConfig::from_env(&bench.env()).unwrap();
    let state = budget_alert::BudgetAlert::new(config, &bench.bed.probe_sdk_config("budget-alert"))
        .unwrap();
    bench.check(&state, &["month"]).await;
}

#[tokio::test]
async fn daily_health_answers_any_payload_with_a_contract_type() {
    let bench = Bench::start().await;
    let config = daily_health::HealthConfig::from_env(&bench.env()).unwrap();
    let state = daily_health::DailyHealth::new(config, &bench.bed.probe_sdk_config("daily-health"))
        .unwrap();
    bench.check(&state, &["date"]).await;
}

#[tokio::test]
async fn security_audit_answers_any_payload_with_a_contract_type() {
    let bench = Bench::start().await;
    let config = security_audit::AuditConfig::from_env(&bench.env()).unwrap();
    let state =
        security_audit::SecurityAudit::new(config, &bench.bed.probe_sdk_config("security-audit"))
            .unwrap();
    bench
        .check(
            &state,
            &[
                "lookback_hours",
                "eventName",
                "eventTime",
                "userIdentity",
                "errorCode",
            ],
        )
        .await;
}

#[tokio::test]
async fn ops_action_answers_any_payload_with_a_contract_type() {
    let bench = Bench::start().await;
    let mut env = bench.env();
    env.set("FRONTEND_BUCKET", "goal-mandala-production-frontend");
    env.set("BACKUP_BUCKET", "goal-mandala-production-backup");
    let config = ops_action::OpsConfig::from_env(&env).unwrap();
    let state =
        ops_action::OpsAction::new(config, &bench.bed.probe_sdk_config("ops-action")).unwrap();
    bench
        .check(
            &state,
            &[
                "action", "confirm", "reserved", "min", "max", "snapshot", "paths",
            ],
        )
        .await;
}
