//! restore-drill — the runbook's バックアップ・リストア, proven every week.
//!
//! A drill restores the newest manual snapshot of the cluster (or the one
//! asked for) to `DRILL_CLUSTER_ID`, waits for it and its instance, logs in
//! with the DB secret and checks the data in a read-only transaction, then
//! deletes what it made and reports once: the RTO (start → login), the
//! snapshot's age (RPO), the tables and the query values. Restoring takes
//! longer than one Lambda run: the drill continues itself with one-time
//! EventBridge Scheduler schedules carrying its state, and a deadline
//! schedule cleans up whatever happened to that chain (ARCHITECTURE §4).

pub mod config;
pub mod drill;
pub mod request;
mod text;
pub mod verify;

use chrono::Utc;
use lambda_runtime::Context;
use serde_json::Value;
use shared::postgres::Connector;
use shared::{Done, Error, Notifier, Report, Stamp, Task};

pub use crate::config::DrillConfig;
pub use crate::request::{DrillRequest, DrillState, Step};

/// The function (binary) name, as in reports and notifications.
pub const FUNCTION: &str = "restore-drill";

/// What the handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct RestoreDrill {
    /// Settings.
    pub config: DrillConfig,
    /// RDS client.
    pub rds: aws_sdk_rds::Client,
    /// Scheduler client (the drill's continuations and deadline).
    pub scheduler: aws_sdk_scheduler::Client,
    /// Secrets Manager client (the DB secret's versions).
    pub secrets: aws_sdk_secretsmanager::Client,
    /// The verified-TLS login.
    pub connector: Connector,
    /// Where reports go.
    pub notifier: Notifier,
}

impl RestoreDrill {
    /// Builds the state from settings and an SDK configuration.
    pub fn new(config: DrillConfig, sdk: &aws_config::SdkConfig) -> Result<Self, Error> {
        let notifier = Notifier::for_config(&config.common, sdk)?;
        let connector = Connector::new(
            config.ca_bundle.as_deref(),
            config.connect_timeout,
            "goal-mandala-ops restore-drill",
        )?;
        Ok(RestoreDrill {
            rds: aws_sdk_rds::Client::new(sdk),
            scheduler: aws_sdk_scheduler::Client::new(sdk),
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            connector,
            notifier,
            config,
        })
    }
}

/// A request and the function's own ARN (the target of its continuations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// What to do.
    pub request: DrillRequest,
    /// `Context.invoked_function_arn`.
    pub function_arn: String,
}

impl shared::entry::Request for Invocation {
    fn stamp(&self) -> Stamp {
        self.request.stamp()
    }
}

impl Task for RestoreDrill {
    const FUNCTION: &'static str = FUNCTION;
    type Request = Invocation;
    type Response = Report;

    fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    fn parse(&self, payload: Value, context: &Context) -> Result<Invocation, Error> {
        Ok(Invocation {
            request: DrillRequest::parse(payload, self.config.common.dry_run, Utc::now)?,
            function_arn: context.invoked_function_arn.clone(),
        })
    }

    async fn run(&self, invocation: &Invocation) -> Result<Done<Report>, Error> {
        match &invocation.request {
            DrillRequest::Start {
                snapshot,
                now,
                dry_run,
            } => {
                drill::start(
                    self,
                    snapshot.as_deref(),
                    *now,
                    *dry_run,
                    &invocation.function_arn,
                )
                .await
            }
            DrillRequest::Continue { state, now } => {
                drill::proceed(self, state.as_ref().clone(), *now, &invocation.function_arn).await
            }
        }
    }
}
