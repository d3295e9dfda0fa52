//! alarm-triage — the runbook's アラート対応, automated.
//!
//! Takes an alarm state change in any of its three shapes (or a reminder of
//! one), picks the runbook's playbook (error rate, latency, database
//! connection; recovered; insufficient data; anything else — one module
//! each under `playbook`), gathers its evidence alongside what every state
//! change shares (the changes before an ALARM, the episode) — each source
//! bounded in time, a failing source a `skipped` finding — and reports what
//! is wrong, the evidence and the remedy; then follows the incident
//! (`lifecycle`: reminders, OpsItems). This file keeps the `Task`, the
//! choice of playbook and the report's assembly.

pub mod changes;
pub mod classify;
pub mod config;
pub mod episode;
pub mod error_lines;
pub mod event;
pub mod lifecycle;
pub mod metrics;
pub mod opsitem;
pub mod playbook;
pub mod remind;
mod text;
mod text_changes;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use lambda_runtime::Context;
use serde::de::IgnoredAny;
use serde_json::Value;
use shared::event::parse_payload;
use shared::gather::Skip;
use shared::postgres::Connector;
use shared::{
    Delivery, Done, Error, Finding, FindingStatus, Notifier, Report, ReportBuilder, Stamp, Task,
};

use crate::changes::{Change, Watched};
pub use crate::config::TriageConfig;
use crate::event::{AlarmEvent, AlarmState, parse_alarm_event};
pub use crate::lifecycle::Trigger;
use crate::playbook::database::Cause;
use crate::playbook::latency::Bottleneck;
use crate::playbook::{Playbook, choose_playbook};
use crate::remind::Remind;
use crate::text::Texts;

/// The function (binary) name, as in reports and notifications.
pub const FUNCTION: &str = "alarm-triage";

/// What the handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct AlarmTriage {
    /// Settings.
    pub config: TriageConfig,
    /// CloudWatch Logs (the API's log group).
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// CloudWatch metrics.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// X-Ray.
    pub xray: aws_sdk_xray::Client,
    /// RDS.
    pub rds: aws_sdk_rds::Client,
    /// Secrets Manager (the DB secret, for the login probe).
    pub secrets: aws_sdk_secretsmanager::Client,
    /// CloudTrail (what changed before the alarm).
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    /// EventBridge Scheduler (reminders).
    pub scheduler: aws_sdk_scheduler::Client,
    /// Systems Manager (OpsCenter OpsItems).
    pub ssm: aws_sdk_ssm::Client,
    /// The login probe's connector (verified TLS, ≤ 5 s).
    pub connector: Connector,
    /// Where reports go.
    pub notifier: Notifier,
}

impl AlarmTriage {
    /// Builds the state from settings and an SDK configuration.
    pub fn new(config: TriageConfig, sdk: &aws_config::SdkConfig) -> Result<Self, Error> {
        let notifier = Notifier::for_config(&config.common, sdk)?;
        let connector = Connector::new(
            config.ca_bundle.as_deref(),
            config.connect_timeout,
            "goal-mandala-ops/alarm-triage",
        )?;
        Ok(AlarmTriage {
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
            xray: aws_sdk_xray::Client::new(sdk),
            rds: aws_sdk_rds::Client::new(sdk),
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            cloudtrail: aws_sdk_cloudtrail::Client::new(sdk),
            scheduler: aws_sdk_scheduler::Client::new(sdk),
            ssm: aws_sdk_ssm::Client::new(sdk),
            connector,
            notifier,
            config,
        })
    }
}

/// A triage asked for: an alarm's state change or a reminder, and the
/// run's dry-run setting.
#[derive(Debug, Clone)]
pub struct TriageRequest {
    /// What to triage.
    pub kind: RequestKind,
    /// Recommend only, whatever `TRIAGE_AUTO_REMEDIATE` says.
    pub dry_run: bool,
    /// The function's own ARN, from the invocation (a reminder's target).
    pub function_arn: Option<String>,
    /// When the request arrived (a reminder's "now").
    pub received_at: DateTime<Utc>,
}

/// What a request asks for.
#[derive(Debug, Clone)]
pub enum RequestKind {
    /// An alarm state change, in any of its shapes.
    Alarm(Box<AlarmEvent>),
    /// `{"remind": {"alarm", "episode_started_at", "n"}}` from a reminder schedule.
    Remind(Remind),
}

impl shared::entry::Request for TriageRequest {
    fn stamp(&self) -> Stamp {
        let at = match &self.kind {
            RequestKind::Alarm(alarm) => alarm.changed_at,
            RequestKind::Remind(_) => self.received_at,
        };
        Stamp {
            at,
            dry_run: self.dry_run,
        }
    }
}

impl Task for AlarmTriage {
    const FUNCTION: &'static str = FUNCTION;
    type Request = TriageRequest;
    type Response = Report;

    fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    fn parse(&self, payload: Value, context: &Context) -> Result<TriageRequest, Error> {
        // The fields every event may carry (`dry_run`), read the shared way;
        // the alarm itself is read by its own model.
        let dry_run = parse_payload::<IgnoredAny>(payload.clone())?
            .common
            .dry_run(self.config.common.dry_run);
        let kind = match payload.get("remind") {
            Some(remind) => RequestKind::Remind(
                serde_path_to_error::deserialize(remind.clone()).map_err(|e| {
                    Error::InvalidInput(format!(
                        "a reminder: `remind.{}`: {} (expected {{\"alarm\", \"episode_started_at\", \"n\"}})",
                        e.path(),
                        e.inner()
                    ))
                })?,
            ),
            None => RequestKind::Alarm(Box::new(parse_alarm_event(payload)?)),
        };
        if let RequestKind::Remind(r) = &kind
            && (r.n == 0 || r.alarm.is_empty())
        {
            return Err(Error::InvalidInput(
                "a reminder: `remind.n` counts from 1 and `remind.alarm` names an alarm".into(),
            ));
        }
        Ok(TriageRequest {
            kind,
            dry_run,
            function_arn: Some(context.invoked_function_arn.clone()).filter(|a| !a.is_empty()),
            received_at: Utc::now(),
        })
    }

    /// One triage per alarm event, notified unless the alarm flaps and its
    /// quiet window was told already; a reminder triages again while the
    /// episode lasts, and says nothing once it is over.
    async fn run(&self, request: &TriageRequest) -> Result<Done<Report>, Error> {
        let (report, notify) = match &request.kind {
            RequestKind::Alarm(alarm) => {
                tracing::info!(alarm = %alarm.name, state = alarm.state.as_str(), source = ?alarm.source, "triage");
                run(self, alarm, Trigger::StateChange, request).await?
            }
            RequestKind::Remind(remind) => {
                tracing::info!(alarm = %remind.alarm, n = remind.n, "reminder");
                reminder(self, remind, request).await?
            }
        };
        // The alarm already paged someone through its own actions; a lost
        // report must not make Lambda re-run the triage (and its remediation).
        Ok(if notify {
            Done::report(report, Delivery::BestEffort)
        } else {
            Done::quiet(report)
        })
    }
}

/// A reminder's run: the alarm read back; still in ALARM in the same
/// episode → a fresh triage (notified, the next reminder scheduled);
/// otherwise a quiet report of why nothing was said.
async fn reminder(
    state: &AlarmTriage,
    remind: &Remind,
    request: &TriageRequest,
) -> Result<(Report, bool), Error> {
    let config = &state.config;
    let texts = Texts::new(config.common.lang, config.common.timezone);
    let now = request.received_at;
    let current = lifecycle::current_alarm(&state.cloudwatch, &remind.alarm, now).await?;
    match lifecycle::reminder_moot(state, remind, current, now).await? {
        Ok(current) => {
            let trigger = Trigger::Reminder {
                n: remind.n,
                started_at: remind.episode_started_at,
            };
            run(state, &current.event, trigger, request).await
        }
        Err(moot) => {
            let why = texts.moot(&remind.alarm, moot);
            let mut report = ReportBuilder::new(FUNCTION, now, request.dry_run);
            report.finding(Finding::new("reminder", FindingStatus::Ok, why.clone()));
            report
                .extra("alarm", &remind.alarm)
                .extra("reminder_n", remind.n)
                .extra("episode_started_at", remind.episode_started_at.to_rfc3339())
                .extra("notify", false)
                .extra("quiet_reason", &why);
            let title = format!("[REMINDER] {}: {why}", remind.alarm);
            Ok((report.build(&title, why), false))
        }
    }
}

/// One triage: the playbook's evidence with what every ALARM shares (the
/// changes before it) and every state change shares (its episode), then the
/// report, then the incident's follow-up (reminder, OpsItem). Returns the
/// report and whether it is told to the team.
pub async fn run(
    state: &AlarmTriage,
    alarm: &AlarmEvent,
    trigger: Trigger,
    request: &TriageRequest,
) -> Result<(Report, bool), Error> {
    let dry_run = request.dry_run;
    let config = &state.config;
    let texts = Texts::new(config.common.lang, config.common.timezone);
    let playbook = choose_playbook(alarm, &config.common.system_name);
    let evidence = playbook::gather(playbook, state, &texts, alarm, dry_run);
    // Every ALARM triage, whatever the playbook: what changed just before it.
    let changes = async {
        match alarm.state {
            AlarmState::Alarm => Some(recent_changes(state, alarm).await),
            _ => None,
        }
    };
    let episode = lifecycle::gather_episode(state, alarm, trigger);
    let (outcome, changes, episode) = tokio::join!(evidence, changes, episode);

    let mut report = ReportBuilder::new(FUNCTION, alarm.changed_at, dry_run);
    report.finding(texts.alarm_finding(alarm));
    let quiet_minutes = minutes(config.flap.quiet);
    let (episode, notify) = match episode {
        Ok(episode) => {
            report.finding(texts.episode_finding(alarm, &episode, quiet_minutes));
            let notify = match trigger {
                Trigger::StateChange => episode.notify,
                Trigger::Reminder { .. } => true,
            };
            (Some(episode), notify)
        }
        Err(why) => {
            report.finding(texts.skipped("episode", "CloudWatch DescribeAlarmHistory", &why));
            (None, true)
        }
    };
    let flapping = episode.as_ref().is_some_and(|e| e.flapping);
    let mut nearest = None;
    match &changes {
        Some(Ok(found)) => {
            let status = changes::judge(playbook, found);
            let minutes = minutes(config.change_lookback);
            report.finding(texts.recent_changes(status, found, alarm.changed_at, minutes));
            // The rollback of the nearest change that matters (the generic
            // playbook judges none: the nearest change).
            let rollback = found
                .iter()
                .find(|c| changes::concerns(playbook, c.touched))
                .or_else(|| {
                    (playbook == Playbook::Generic)
                        .then(|| found.first())
                        .flatten()
                });
            if let Some(c) = rollback {
                report.next_step(texts.rollback(c));
            }
            nearest = found
                .first()
                .map(|c| texts.change_line(c, alarm.changed_at));
            report.extra("changes", changes::listed(found, alarm.changed_at));
        }
        Some(Err(why)) => {
            report.finding(texts.skipped("recent-changes", "CloudTrail LookupEvents", why));
        }
        None => {}
    }
    for finding in outcome.findings {
        report.finding(finding);
    }
    for action in outcome.actions {
        report.action(action);
    }
    for step in outcome.next_steps {
        report.next_step(step);
    }
    if flapping {
        report.next_step(texts.flapping_step(&alarm.name));
    }
    let region = alarm
        .region
        .clone()
        .unwrap_or_else(|| "ap-northeast-1".to_owned());
    let log_group = outcome
        .log_group
        .then_some(config.common.api_log_group.as_str());
    let short = alarm
        .name
        .strip_prefix(&config.common.system_name)
        .and_then(|r| r.strip_prefix('-'))
        .unwrap_or(&alarm.name);
    // The episode's start: a reminder's own, else the history's, else (OK)
    // when the event says ALARM began.
    let started_at = match trigger {
        Trigger::Reminder { started_at, .. } => Some(started_at),
        Trigger::StateChange => episode
            .as_ref()
            .and_then(|e| e.started_at)
            .or(match alarm.state {
                AlarmState::Alarm => Some(alarm.changed_at),
                _ => alarm.previous_changed_at,
            }),
    };
    let headline = match trigger {
        Trigger::Reminder { n, started_at } => format!(
            "{} — {}",
            texts.reminder_title(lifecycle::minutes_since(started_at, alarm.changed_at), n),
            outcome.headline
        ),
        Trigger::StateChange => outcome.headline.clone(),
    };
    let title = format!("[{}] {short}: {headline}", alarm.state.as_str());
    let mut summary = format!(
        "{}\n{}",
        texts.alarm_finding(alarm).detail,
        outcome.headline
    );
    if let Some(line) = nearest {
        summary.push('\n');
        summary.push_str(&line);
    }
    if let Some(e) = episode.as_ref().filter(|e| e.flapping) {
        summary.push('\n');
        summary.push_str(&texts.episode_finding(alarm, e, quiet_minutes).detail);
    }

    let follow = lifecycle::follow_up(
        state,
        &texts,
        &lifecycle::Context {
            alarm,
            trigger,
            started_at,
            playbook,
            title: &title,
            summary: &summary,
            severity: report.severity(),
            function_arn: request.function_arn.as_deref(),
            dry_run,
            now: match trigger {
                Trigger::StateChange => request.received_at.max(alarm.changed_at),
                Trigger::Reminder { .. } => alarm.changed_at,
            },
        },
    )
    .await;
    if let Some(step) = texts.reminder_step(
        follow.reminder.as_ref(),
        match (&config.reminders, alarm.state, &follow.reminder) {
            (Some(r), AlarmState::Alarm, None) => Some(r.max),
            _ => None,
        },
    ) {
        report.next_step(step);
    }
    if let Some(sent) = follow.reminders_sent {
        summary.push('\n');
        summary.push_str(&texts.reminders_sent(sent));
    }
    if let Some(line) = follow
        .ops_item
        .as_ref()
        .and_then(|o| texts.ops_item_line(o))
    {
        report.next_step(line);
    }
    report.next_step(texts.links(&region, &alarm.name, log_group));
    lifecycle::record(&mut report, episode.as_ref(), &follow, trigger);
    report
        .extra("alarm", &alarm.name)
        .extra("state", alarm.state.as_str())
        .extra("playbook", playbook.id())
        .extra("classes", outcome.classes)
        .extra("failed_requests", outcome.failed_requests)
        .extra("bottleneck", outcome.bottleneck.map(Bottleneck::as_str))
        .extra("cause", outcome.cause.map(Cause::as_str))
        .extra("region", &region)
        .extra("state_changed_at", alarm.changed_at.to_rfc3339())
        .extra("notify", notify);
    if !notify && let Some(e) = &episode {
        report.extra("quiet_reason", texts.quiet_reason(e, quiet_minutes));
    }
    Ok((report.build(&title, summary), notify))
}

/// The writes to the operated system in the `TRIAGE_CHANGE_LOOKBACK_MINUTES`
/// before the state change (its security groups read from the cluster),
/// bounded by `TRIAGE_GATHER_SECONDS`; a failing lookup is skipped.
async fn recent_changes(state: &AlarmTriage, alarm: &AlarmEvent) -> Result<Vec<Change>, Skip> {
    let config = &state.config;
    let common = &config.common;
    shared::gather::bounded(config.gather_timeout, async {
        // The groups are only needed to recognise their changes: a cluster
        // that cannot be read leaves them out, not the whole scan.
        let security_groups =
            match shared::rds::describe_cluster(&state.rds, &common.db_cluster_id).await {
                Ok(Some(cluster)) => cluster
                    .vpc_security_groups()
                    .iter()
                    .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
        let watched = Watched {
            function: common.api_function_name.clone(),
            cluster: common.db_cluster_id.clone(),
            security_groups,
            secret: common.db_secret_id.clone(),
        };
        let (start, end) = window(alarm, config.change_lookback);
        changes::scan(&state.cloudtrail, &watched, start, end).await
    })
    .await
}

pub(crate) fn window(alarm: &AlarmEvent, lookback: Duration) -> (DateTime<Utc>, DateTime<Utc>) {
    let lookback = TimeDelta::from_std(lookback).unwrap_or(TimeDelta::minutes(15));
    (alarm.changed_at - lookback, alarm.changed_at)
}

pub(crate) fn minutes(d: Duration) -> i64 {
    i64::try_from(d.as_secs() / 60).unwrap_or(i64::MAX)
}
