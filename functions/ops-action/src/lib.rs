//! ops-action — the runbook's by-hand procedures (スケーリング, restore, S3
//! backup, CloudFront) as safe plan → confirm actions.
//!
//! Each action is one invocation that reads the current value, checks the
//! request against AWS's limits and the account (before anything changes,
//! confirmed or not), and shows the plan — current → proposed. It changes
//! something only when the same payload comes back with `"confirm": true`
//! (and not in a dry run). A retried confirmed payload finds everything as
//! asked, changes nothing, says `changed: false` and notifies nobody.

pub mod bounds;
pub mod cloudfront;
pub mod config;
pub mod lambda;
pub mod rds;
pub mod request;
pub mod s3;
mod text;

use lambda_runtime::Context;
use serde_json::{Map, Value};
use shared::{ActionResult, Delivery, Done, Error, Finding, Notifier, Report, ReportBuilder, Task};

pub use crate::config::OpsConfig;
pub use crate::request::{ACTIONS, Action, Defaults, Direction, OpsRequest};
use crate::text::{RunState, Texts};

/// The function (binary) name, as in reports and notifications.
pub const FUNCTION: &str = "ops-action";

/// What the handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct OpsAction {
    /// Settings.
    pub config: OpsConfig,
    /// Lambda: concurrency.
    pub lambda: aws_sdk_lambda::Client,
    /// RDS: capacity, restore, snapshots.
    pub rds: aws_sdk_rds::Client,
    /// S3: the frontend and backup buckets.
    pub s3: aws_sdk_s3::Client,
    /// CloudFront: invalidations and cache policies.
    pub cloudfront: aws_sdk_cloudfront::Client,
    /// Where reports go.
    pub notifier: Notifier,
}

impl OpsAction {
    /// Builds the state from settings and an SDK configuration.
    pub fn new(config: OpsConfig, sdk: &aws_config::SdkConfig) -> Result<Self, Error> {
        Ok(OpsAction {
            lambda: aws_sdk_lambda::Client::new(sdk),
            rds: aws_sdk_rds::Client::new(sdk),
            s3: aws_sdk_s3::Client::new(sdk),
            cloudfront: aws_sdk_cloudfront::Client::new(sdk),
            notifier: Notifier::for_config(&config.common, sdk)?,
            config,
        })
    }
}

/// What an action found and did, before it becomes the report.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// What it acts on.
    pub target: String,
    /// The values read before this run.
    pub current: Value,
    /// The values asked for (`null` for a read-only action).
    pub proposed: Value,
    /// Whether this run changed something.
    pub changed: bool,
    /// What was done, planned or left alone.
    pub actions: Vec<shared::Action>,
    /// `runbook-value` and the like.
    pub findings: Vec<Finding>,
    /// Action-specific report fields.
    pub extra: Map<String, Value>,
    /// Next steps beyond the confirmation.
    pub steps: Vec<String>,
    /// The title's gist (`0.5–2 ACU → 1–4 ACU`).
    pub headline: String,
}

impl Outcome {
    /// An outcome for `target` with the values before and asked for.
    pub fn new(target: &str, current: Value, proposed: Value) -> Self {
        Outcome {
            target: target.to_owned(),
            current,
            proposed,
            ..Outcome::default()
        }
    }

    /// Adds an action.
    pub fn action(&mut self, action: shared::Action) {
        self.actions.push(action);
    }

    /// Adds a finding.
    pub fn finding(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Sets an action-specific field.
    pub fn extra(&mut self, key: &str, value: Value) {
        self.extra.insert(key.to_owned(), value);
    }
}

impl Task for OpsAction {
    const FUNCTION: &'static str = FUNCTION;
    type Request = OpsRequest;
    type Response = Report;

    fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    fn parse(&self, payload: Value, context: &Context) -> Result<OpsRequest, Error> {
        let common = &self.config.common;
        let defaults = Defaults {
            function: &common.api_function_name,
            cluster: &common.db_cluster_id,
            dry_run: common.dry_run,
        };
        OpsRequest::parse(payload, &defaults, &context.request_id, chrono::Utc::now)
    }

    /// One action: notified only when it changed something (a plan, a dry
    /// run, a no-op retry and a read stay with the caller).
    async fn run(&self, request: &OpsRequest) -> Result<Done<Report>, Error> {
        tracing::info!(
            action = request.action.id(),
            confirm = request.confirm,
            "ops action"
        );
        let (report, changed) = run(self, request).await?;
        // The change is made: a lost message must not make Lambda redo it
        // (a retry would find it done and stay silent).
        Ok(if changed {
            Done::report(report, Delivery::BestEffort)
        } else {
            Done::quiet(report)
        })
    }
}

/// One action; returns the report and whether it changed anything.
pub async fn run(state: &OpsAction, request: &OpsRequest) -> Result<(Report, bool), Error> {
    let texts = Texts::new(state.config.common.lang);
    let may_change = request.may_change();
    let outcome = match &request.action {
        Action::LambdaConcurrency { function, reserved } => {
            lambda::set_reserved(state, &texts, function, *reserved, may_change).await?
        }
        Action::ProvisionedConcurrency {
            function,
            qualifier,
            count,
        } => {
            lambda::set_provisioned(state, &texts, function, qualifier, *count, may_change).await?
        }
        Action::DbCapacity { min, max } => {
            rds::set_capacity(state, &texts, *min, *max, may_change).await?
        }
        Action::RestoreDbSnapshot { snapshot, target } => {
            rds::restore(state, &texts, snapshot, target, may_change).await?
        }
        Action::S3BackupSync { direction, delete } => {
            s3::sync(state, &texts, *direction, *delete, may_change).await?
        }
        Action::SnapshotStatus => rds::snapshot_status(state, &texts).await?,
        Action::RestoreS3ObjectVersion { key, version_id } => {
            s3::restore_version(state, &texts, key, version_id, may_change).await?
        }
        Action::CloudfrontInvalidate {
            distribution,
            paths,
        } => cloudfront::invalidate(state, &texts, request, distribution, paths).await?,
        Action::SetCloudfrontTtl {
            cache_policy,
            default_ttl,
        } => cloudfront::set_ttl(state, &texts, cache_policy, *default_ttl, may_change).await?,
    };
    let read_only = matches!(request.action, Action::SnapshotStatus);
    let run_state = if read_only {
        RunState::Read
    } else if outcome.changed {
        RunState::Changed
    } else if !request.confirm {
        RunState::Plan
    } else if request.dry_run {
        RunState::DryRun
    } else {
        RunState::Unchanged
    };
    let mut report = ReportBuilder::new(FUNCTION, request.now, request.dry_run);
    for finding in outcome.findings {
        report.finding(finding);
    }
    let planned = outcome
        .actions
        .iter()
        .any(|a| a.result == ActionResult::Planned);
    for action in outcome.actions {
        report.action(action);
    }
    if planned && !request.confirm {
        report.next_step(texts.confirm_step(request.action.id()));
    }
    for step in outcome.steps {
        report.next_step(step);
    }
    report
        .extra("action", request.action.id())
        .extra("target", &outcome.target)
        .extra("confirmed", request.confirm)
        .extra("current", outcome.current)
        .extra("proposed", outcome.proposed)
        .extra("changed", outcome.changed);
    for (key, value) in outcome.extra {
        report.extra(&key, value);
    }
    tracing::info!(action = request.action.id(), target = %outcome.target, changed = outcome.changed, "ops action judged");
    let title = texts.title(
        request.action.id(),
        &outcome.target,
        &outcome.headline,
        run_state,
    );
    Ok((
        report.build(&title, texts.summary(run_state)),
        outcome.changed,
    ))
}
