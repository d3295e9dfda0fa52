//! rotate-access-keys — the runbook's アクセスキーのローテーション, automated.
//!
//! For each user in `ROTATE_USERS`: replace the active key at 90 days (the new
//! key's secret half goes to Secrets Manager only), deactivate the previous
//! key 7 days later once the new one is in use, delete it 14 days after that.
//! Every date comes from IAM except a key's deactivation date, kept as a tag
//! on the user. Never leaves the deploy pipeline without the key it uses.

pub mod config;
pub mod event;
pub mod iam;
pub mod plan;
pub mod secret;
mod text;

use chrono::{DateTime, Utc};
use lambda_runtime::Context;
use serde_json::{Value, json};
use shared::{Action, ActionResult, Delivery, Done, Error, Notifier, Report, ReportBuilder, Task};

pub use crate::config::KeysConfig;
pub use crate::event::KeysRequest;
use crate::plan::{KeyAction, KeyStatus, UserFacts, UserPlan, Warning, age_days, plan_user};
use shared::report::key_id_suffix;

use crate::text::Texts;

/// The function (binary) name, as in reports and notifications.
pub const FUNCTION: &str = "rotate-access-keys";

/// What the handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct RotateAccessKeys {
    /// Settings.
    pub config: KeysConfig,
    /// IAM client.
    pub iam: aws_sdk_iam::Client,
    /// Secrets Manager client.
    pub secrets: aws_sdk_secretsmanager::Client,
    /// Where reports go.
    pub notifier: Notifier,
}

impl RotateAccessKeys {
    /// Builds the state from settings and an SDK configuration.
    pub fn new(config: KeysConfig, sdk: &aws_config::SdkConfig) -> Result<Self, Error> {
        let notifier = Notifier::for_config(&config.common, sdk)?;
        Ok(RotateAccessKeys {
            iam: aws_sdk_iam::Client::new(sdk),
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            notifier,
            config,
        })
    }
}

impl Task for RotateAccessKeys {
    const FUNCTION: &'static str = FUNCTION;
    type Request = KeysRequest;
    type Response = Report;

    fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    fn parse(&self, payload: Value, _: &Context) -> Result<KeysRequest, Error> {
        let config = &self.config;
        KeysRequest::parse(payload, &config.users, config.common.dry_run, Utc::now)
    }

    /// One rotation pass, notified when something was done or is due.
    async fn run(&self, request: &KeysRequest) -> Result<Done<Report>, Error> {
        tracing::info!(users = ?request.users, force_rotate = request.force_rotate, "key rotation");
        let report = run(self, request).await?;
        Ok(match report.extra.get("notify").and_then(Value::as_bool) {
            // A new key was already stored: a lost notification must not fail
            // the run (a retry would find nothing to do and stay silent).
            Some(false) => Done::quiet(report),
            _ => Done::report(report, Delivery::BestEffort),
        })
    }
}

/// One pass over the requested users, then the report.
pub async fn run(state: &RotateAccessKeys, request: &KeysRequest) -> Result<Report, Error> {
    let config = &state.config;
    let texts = Texts::new(config.common.lang, config.common.timezone);
    let now = request.now;
    let mut report = ReportBuilder::new(FUNCTION, now, request.dry_run);
    let mut users = Vec::new();
    let mut phrases = Vec::new();
    let mut all_warnings = Vec::new();
    let mut rotated = false;
    let mut due_soon = false;
    let mut secrets = Vec::new();

    for user in &request.users {
        let secret_name = config.secret_name(user);
        let stored = secret::stored_key_id(&state.secrets, &secret_name).await?;
        let Some(facts) = iam::user_facts(&state.iam, user, stored).await? else {
            report.finding(texts.missing_user(user));
            phrases.push(format!("{user} ?"));
            users.push(json!({"user": user, "found": false, "keys": [], "actions": [], "next_action": null}));
            continue;
        };
        let plan = plan_user(&facts, now, config.policy, request.force_rotate);
        if facts.exempt {
            report.finding(texts.exempt(user));
        }
        let mut done = Vec::new();
        for action in &plan.actions {
            let outcome = execute(state, request, &texts, user, &secret_name, action).await;
            if matches!(action, KeyAction::Rotate { .. }) && outcome.result != ActionResult::Failed
            {
                rotated = true;
            }
            report.action(outcome.clone());
            done.push(outcome);
        }
        for warning in &plan.warnings {
            report.finding(texts.warning(user, warning));
            due_soon |= matches!(warning, Warning::DueSoon(_));
        }
        if plan.actions.is_empty() && plan.warnings.is_empty() && !facts.exempt {
            report.finding(texts.all_well(user, plan.next.as_ref()));
        }
        phrases.push(texts.user_phrase(user, &done, &plan.warnings));
        if rotated
            || plan
                .warnings
                .iter()
                .any(|w| matches!(w, Warning::NewKeyUnused { .. }))
        {
            secrets.push(secret_name.clone());
        }
        users.push(user_json(&facts, &plan, &done, now));
        all_warnings.extend(plan.warnings);
    }

    // Users the function does not rotate: report old keys, change nothing.
    let older_than = now - config.policy.rotate.to_delta();
    let unmanaged = iam::unmanaged_old_keys(&state.iam, &config.users, older_than).await?;
    for key in &unmanaged {
        report.finding(texts.unmanaged(key, now, config.policy.rotate.0));
    }

    let failed = report
        .actions()
        .iter()
        .any(|a| a.result == ActionResult::Failed);
    for step in texts.next_steps(
        &all_warnings,
        rotated,
        failed,
        !unmanaged.is_empty(),
        &secrets,
        config.policy.deactivate.0,
    ) {
        report.next_step(step);
    }
    let changed = report
        .actions()
        .iter()
        .any(|a| a.result != ActionResult::Skipped);
    let notify = changed || due_soon || report.severity() > shared::Severity::Info;
    report.extra("users", users).extra("notify", notify);
    let title = texts.title(&phrases, request.dry_run);
    let summary = report
        .findings()
        .iter()
        .map(|f| f.detail.clone())
        .chain(report.actions().iter().map(|a| a.detail.clone()))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(report.build(&title, summary))
}

/// Carries out one planned change (or plans it, in a dry run).
async fn execute(
    state: &RotateAccessKeys,
    request: &KeysRequest,
    texts: &Texts,
    user: &str,
    secret_name: &str,
    action: &KeyAction,
) -> Action {
    let now = request.now;
    if request.dry_run {
        return texts.action(user, action, ActionResult::Planned, None, None, secret_name);
    }
    let client = &state.iam;
    let result = match action {
        KeyAction::RecordDeactivation { key } => {
            iam::record_deactivation(client, user, key, now).await
        }
        KeyAction::DeleteOrphan { key } | KeyAction::Delete { key } => {
            iam::delete_key(client, user, key).await
        }
        KeyAction::Deactivate { key } => iam::deactivate_key(client, user, key, now).await,
        KeyAction::ForgetTag { tag } => iam::forget_tag(client, user, tag).await,
        KeyAction::Rotate { .. } => {
            return rotate(state, texts, user, secret_name, action, now).await;
        }
    };
    match result {
        Ok(()) => {
            tracing::info!(user, action = action.id(), "done");
            texts.action(user, action, ActionResult::Done, None, None, secret_name)
        }
        Err(err) => {
            tracing::error!(user, action = action.id(), error = %err, "failed");
            texts.action(
                user,
                action,
                ActionResult::Failed,
                None,
                Some(&err),
                secret_name,
            )
        }
    }
}

/// Creates the new key and stores it; a key that cannot be stored is
/// deleted again at once, so no key exists whose secret nobody has.
async fn rotate(
    state: &RotateAccessKeys,
    texts: &Texts,
    user: &str,
    secret_name: &str,
    action: &KeyAction,
    now: DateTime<Utc>,
) -> Action {
    // The marker makes a key orphaned by a crash before it is stored
    // recognisable (and deleted) on the next run. Its time is the real
    // clock's, like the key's CreateDate, whatever the event's time.
    let started = Utc::now() - chrono::TimeDelta::seconds(1);
    if let Err(err) = iam::mark_rotation(&state.iam, user, started).await {
        return texts.action(
            user,
            action,
            ActionResult::Failed,
            None,
            Some(&err),
            secret_name,
        );
    }
    let key = match iam::create_key(&state.iam, user, now).await {
        Ok(key) => key,
        Err(err) => {
            tracing::error!(user, error = %err, "could not create a key");
            return texts.action(
                user,
                action,
                ActionResult::Failed,
                None,
                Some(&err),
                secret_name,
            );
        }
    };
    match secret::store_key(&state.secrets, secret_name, user, &key).await {
        Ok(()) => {
            tracing::info!(user, key_suffix = %key_id_suffix(&key.id), secret = secret_name, "new key created and stored");
            if let Err(err) = iam::forget_tag(&state.iam, user, plan::ROTATING_TAG).await {
                // Harmless: the key is stored, so it is never taken for an
                // orphan; the next run removes the marker.
                tracing::warn!(user, error = %err, "could not remove the rotation marker");
            }
            texts.action(
                user,
                action,
                ActionResult::Done,
                Some(&key.id),
                None,
                secret_name,
            )
        }
        Err(err) => {
            tracing::error!(user, key_suffix = %key_id_suffix(&key.id), error = %err, "could not store the new key; deleting it");
            let deleted = iam::delete_key(&state.iam, user, &key.id).await.is_ok();
            if deleted {
                let _ = iam::forget_tag(&state.iam, user, plan::ROTATING_TAG).await;
            }
            let mut failed = texts.action(
                user,
                action,
                ActionResult::Failed,
                Some(&key.id),
                Some(&err),
                secret_name,
            );
            failed.detail = format!(
                "{} — {}",
                failed.detail,
                texts.rotate_failed_cleanup(deleted)
            );
            failed
        }
    }
}

/// The report's `users[]` entry (ARCHITECTURE §4).
fn user_json(facts: &UserFacts, plan: &UserPlan, actions: &[Action], now: DateTime<Utc>) -> Value {
    let keys: Vec<Value> = facts
        .keys
        .iter()
        .map(|k| {
            json!({
                "id_suffix": key_id_suffix(&k.id),
                "status": k.status.as_str(),
                "age_days": age_days(k.created, now),
                "last_used": k.last_used.map(shared::time::rfc3339),
            })
        })
        .collect();
    json!({
        "user": facts.user,
        "exempt": facts.exempt,
        "keys": keys,
        "active_keys": facts.keys.iter().filter(|k| k.status == KeyStatus::Active).count(),
        "actions": actions,
        "next_action": plan.next.as_ref().map(|n| json!({
            "action": n.action,
            "date": shared::time::rfc3339(n.date),
        })),
    })
}
