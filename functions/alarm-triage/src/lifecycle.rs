//! An incident from ALARM to OK (ARCHITECTURE §4 alarm-triage): the
//! episode a state change belongs to and whether it is told (flapping keeps
//! quiet), the reminder left while it lasts, the OpsItem opened on ALARM and
//! resolved on OK — and a reminder's own run: still the same episode, or
//! nothing to say.

use aws_sdk_cloudwatch::types::{AlarmType, StateValue};
use chrono::{DateTime, TimeDelta, Utc};
use shared::gather::Skip;
use shared::{Error, Finding, FindingStatus, ReportBuilder, Severity};

use crate::episode::{self, Episode, Transition};
use crate::event::{AlarmEvent, AlarmSource, AlarmState, MetricRef};
use crate::opsitem::{self, NewOpsItem, OpsItemOutcome};
use crate::playbook::Playbook;
use crate::remind::{self, Remind, Scheduled};
use crate::text::Texts;
use crate::{AlarmTriage, minutes};

/// What set a triage off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A state change of the alarm.
    StateChange,
    /// Reminder `n` of the episode that began at `started_at`.
    Reminder {
        /// Which reminder.
        n: u32,
        /// The episode's start.
        started_at: DateTime<Utc>,
    },
}

/// The episode of `alarm`'s state change, from the last 24 hours of its
/// history; bounded by `TRIAGE_GATHER_SECONDS`, a failing read is skipped.
/// A reminder's state change is the transition that began its episode.
pub async fn gather_episode(
    state: &AlarmTriage,
    alarm: &AlarmEvent,
    trigger: Trigger,
) -> Result<Episode, Skip> {
    let config = &state.config;
    let current = match trigger {
        Trigger::StateChange => Transition {
            at: alarm.changed_at,
            to: alarm.state,
        },
        Trigger::Reminder { started_at, .. } => Transition {
            at: started_at,
            to: AlarmState::Alarm,
        },
    };
    shared::gather::bounded(config.gather_timeout, async {
        let history = episode::history(
            &state.cloudwatch,
            &alarm.name,
            current.at - episode::HISTORY,
            current.at,
        )
        .await?;
        Ok(episode::episode(&history, current, config.flap))
    })
    .await
}

/// The alarm as CloudWatch holds it now, for a reminder's run.
#[derive(Debug, Clone)]
pub struct CurrentAlarm {
    /// The alarm, as an event of its state at `now`.
    pub event: AlarmEvent,
    /// When its state value last changed, when CloudWatch says.
    pub transitioned_at: Option<DateTime<Utc>>,
}

/// `DescribeAlarms` of one alarm, metric or composite; `None` when gone.
pub async fn current_alarm(
    client: &aws_sdk_cloudwatch::Client,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Option<CurrentAlarm>, Error> {
    let out = client
        .describe_alarms()
        .alarm_names(name)
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .map_err(|e| Error::aws("DescribeAlarms", e))?;
    let state_of = |v: Option<&StateValue>| match v {
        Some(StateValue::Alarm) => AlarmState::Alarm,
        Some(StateValue::Ok) => AlarmState::Ok,
        _ => AlarmState::InsufficientData,
    };
    let time =
        |t: Option<&aws_sdk_cloudwatch::primitives::DateTime>| t.and_then(shared::time::from_aws);
    let base = |name: &str, arn: Option<&str>, state, reason: Option<&str>| AlarmEvent {
        source: AlarmSource::Reminder,
        name: name.to_owned(),
        arn: arn.map(str::to_owned),
        region: arn.and_then(crate::event::region_of),
        state,
        previous_state: None,
        reason: reason.unwrap_or_default().to_owned(),
        changed_at: now,
        previous_changed_at: None,
        metric: None,
        threshold: None,
        comparison: None,
        datapoints: Vec::new(),
    };
    if let Some(m) = out
        .metric_alarms()
        .iter()
        .find(|m| m.alarm_name() == Some(name))
    {
        let mut event = base(
            name,
            m.alarm_arn(),
            state_of(m.state_value()),
            m.state_reason(),
        );
        event.metric = match (m.namespace(), m.metric_name()) {
            (Some(namespace), Some(metric)) => Some(MetricRef {
                namespace: namespace.to_owned(),
                name: metric.to_owned(),
                dimensions: m
                    .dimensions()
                    .iter()
                    .filter_map(|d| Some((d.name()?.to_owned(), d.value()?.to_owned())))
                    .collect(),
                stat: m
                    .statistic()
                    .map(|s| s.as_str().to_owned())
                    .or_else(|| m.extended_statistic().map(str::to_owned)),
                period: m.period().map(i64::from),
            }),
            // A metric-math alarm: its first metric, as from an event.
            _ => m.metrics().iter().find_map(|q| {
                let stat = q.metric_stat()?;
                let metric = stat.metric()?;
                Some(MetricRef {
                    namespace: metric.namespace()?.to_owned(),
                    name: metric.metric_name()?.to_owned(),
                    dimensions: metric
                        .dimensions()
                        .iter()
                        .filter_map(|d| Some((d.name()?.to_owned(), d.value()?.to_owned())))
                        .collect(),
                    stat: stat.stat().map(str::to_owned),
                    period: stat.period().map(i64::from),
                })
            }),
        };
        event.threshold = m.threshold();
        event.comparison = m.comparison_operator().map(|c| c.as_str().to_owned());
        return Ok(Some(CurrentAlarm {
            event,
            transitioned_at: time(m.state_transitioned_timestamp()),
        }));
    }
    Ok(out
        .composite_alarms()
        .iter()
        .find(|c| c.alarm_name() == Some(name))
        .map(|c| CurrentAlarm {
            event: base(
                name,
                c.alarm_arn(),
                state_of(c.state_value()),
                c.state_reason(),
            ),
            transitioned_at: time(c.state_transitioned_timestamp()),
        }))
}

/// The alarm when it is still in ALARM in the reminder's episode, else why
/// the reminder has nothing to say.
pub async fn reminder_moot(
    state: &AlarmTriage,
    remind: &Remind,
    current: Option<CurrentAlarm>,
    now: DateTime<Utc>,
) -> Result<Result<CurrentAlarm, Moot>, Error> {
    let Some(current) = current else {
        return Ok(Err(Moot::Gone));
    };
    if current.event.state != AlarmState::Alarm {
        return Ok(Err(Moot::NotAlarm(current.event.state)));
    }
    let later = |at: DateTime<Utc>| at - remind.episode_started_at > TimeDelta::seconds(1);
    if current.transitioned_at.is_some_and(later) {
        return Ok(Err(Moot::NewerEpisode));
    }
    let history = episode::history(
        &state.cloudwatch,
        &remind.alarm,
        remind.episode_started_at - TimeDelta::minutes(1),
        now,
    )
    .await?;
    let newer = history
        .iter()
        .any(|t| t.to == AlarmState::Alarm && later(t.at));
    Ok(if newer {
        Err(Moot::NewerEpisode)
    } else {
        Ok(current)
    })
}

/// Why a reminder says nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moot {
    /// The alarm no longer exists.
    Gone,
    /// It left ALARM.
    NotAlarm(AlarmState),
    /// It went into ALARM again since: that episode has its own reminders.
    NewerEpisode,
}

/// What was done for the incident after the triage: the reminder, the OpsItem.
#[derive(Debug, Default)]
pub struct FollowUp {
    /// The reminder scheduled (ALARM), if any.
    pub reminder: Option<Scheduled>,
    /// Reminders that went out in the episode (OK).
    pub reminders_sent: Option<u32>,
    /// The OpsItem opened or resolved.
    pub ops_item: Option<OpsItemOutcome>,
    /// Findings for what could not be done.
    pub findings: Vec<Finding>,
}

/// What the incident's follow-up needs of the triage.
#[derive(Debug)]
pub struct Context<'a> {
    /// The alarm.
    pub alarm: &'a AlarmEvent,
    /// What set it off.
    pub trigger: Trigger,
    /// The episode's start (ALARM: this one's; OK: the one that ended).
    pub started_at: Option<DateTime<Utc>>,
    /// The playbook (the OpsItem's category).
    pub playbook: Playbook,
    /// The report's title, summary and severity (the OpsItem's).
    pub title: &'a str,
    /// The report's summary.
    pub summary: &'a str,
    /// The report's severity so far.
    pub severity: Severity,
    /// The function's own ARN (the reminder's target).
    pub function_arn: Option<&'a str>,
    /// Plan only.
    pub dry_run: bool,
    /// The run's now.
    pub now: DateTime<Utc>,
}

/// The reminder and the OpsItem of an ALARM triage; the cancelled reminders
/// and the resolved OpsItem of an OK one. Nothing here fails the triage.
pub(crate) async fn follow_up(state: &AlarmTriage, texts: &Texts, cx: &Context<'_>) -> FollowUp {
    let config = &state.config;
    let system = &config.common.system_name;
    let mut out = FollowUp::default();
    let alarm = cx.alarm;
    match alarm.state {
        AlarmState::Alarm => {
            let started_at = cx.started_at.unwrap_or(alarm.changed_at);
            let next = match cx.trigger {
                Trigger::StateChange => 1,
                Trigger::Reminder { n, .. } => n + 1,
            };
            if let Some(reminders) = &config.reminders
                && next <= reminders.max
            {
                let remind = Remind {
                    alarm: alarm.name.clone(),
                    episode_started_at: started_at,
                    n: next,
                };
                let at = cx.now + TimeDelta::minutes(i64::from(reminders.minutes));
                match (cx.function_arn, cx.dry_run) {
                    (_, true) => {
                        out.reminder = Some(Scheduled {
                            name: remind::name(&alarm.name, system, started_at, next),
                            n: next,
                            at,
                            status: "planned",
                        })
                    }
                    (None, false) => out.findings.push(texts.reminder_failed(
                        &Skip::Failed {
                            code: "NoFunctionArn".into(),
                            brief: "the invocation carries no function ARN".into(),
                        },
                        "Scheduler CreateSchedule",
                    )),
                    (Some(arn), false) => {
                        match remind::schedule(
                            &state.scheduler,
                            reminders,
                            system,
                            arn,
                            &remind,
                            at,
                        )
                        .await
                        {
                            Ok(scheduled) => out.reminder = Some(scheduled),
                            Err(err) => out.findings.push(
                                texts.reminder_failed(&Skip::of(&err), "Scheduler CreateSchedule"),
                            ),
                        }
                    }
                }
            }
            if config.ops_items {
                out.ops_item = match alarm_arn(state, alarm).await {
                    Err(why) => {
                        out.findings
                            .push(texts.ops_item_failed(&why, "CloudWatch DescribeAlarms"));
                        None
                    }
                    Ok(_) if cx.dry_run => Some(OpsItemOutcome {
                        id: None,
                        status: "planned",
                    }),
                    Ok(arn) => {
                        let item = NewOpsItem {
                            title: cx.title,
                            description: cx.summary,
                            category: match cx.playbook {
                                Playbook::Latency => "Performance",
                                _ => "Availability",
                            },
                            severity: cx.severity,
                            alarm_arn: &arn,
                            started_at,
                        };
                        match opsitem::open(&state.ssm, &item).await {
                            Ok(outcome) => Some(outcome),
                            Err(err) => {
                                out.findings.push(
                                    texts.ops_item_failed(&Skip::of(&err), "SSM CreateOpsItem"),
                                );
                                None
                            }
                        }
                    }
                };
            }
        }
        AlarmState::Ok => {
            if let Some(reminders) = &config.reminders {
                let elapsed = cx.started_at.map(|s| alarm.changed_at - s);
                // The reminders that fell within the episode, unless the
                // pending one says exactly which came next.
                let estimate = elapsed.map(|e| {
                    let every = i64::from(reminders.minutes).max(1);
                    u32::try_from(e.num_minutes() / every)
                        .unwrap_or(u32::MAX)
                        .min(reminders.max)
                });
                if cx.dry_run {
                    out.reminders_sent = estimate;
                } else {
                    match remind::cancel(&state.scheduler, reminders, &alarm.name, system).await {
                        Ok(cancelled) => {
                            out.reminders_sent = cancelled
                                .iter()
                                .filter_map(|n| remind::number_of(n))
                                .min()
                                .map(|n| n - 1)
                                .or(estimate);
                        }
                        Err(err) => {
                            out.reminders_sent = estimate;
                            out.findings.push(
                                texts.reminder_failed(&Skip::of(&err), "Scheduler DeleteSchedule"),
                            );
                        }
                    }
                }
            }
            if config.ops_items {
                out.ops_item = match (alarm_arn(state, alarm).await, cx.started_at) {
                    (Err(why), _) => {
                        out.findings
                            .push(texts.ops_item_failed(&why, "CloudWatch DescribeAlarms"));
                        None
                    }
                    (Ok(_), None) => Some(OpsItemOutcome {
                        id: None,
                        status: "none-open",
                    }),
                    (Ok(_), Some(_)) if cx.dry_run => Some(OpsItemOutcome {
                        id: None,
                        status: "planned",
                    }),
                    (Ok(arn), Some(started_at)) => {
                        let lasted = (alarm.changed_at - started_at).num_minutes();
                        match opsitem::resolve(&state.ssm, &arn, started_at, lasted).await {
                            Ok(outcome) => Some(outcome),
                            Err(err) => {
                                out.findings.push(
                                    texts.ops_item_failed(&Skip::of(&err), "SSM UpdateOpsItem"),
                                );
                                None
                            }
                        }
                    }
                };
            }
        }
        AlarmState::InsufficientData => {}
    }
    out
}

/// The alarm's ARN: from the event, else (old SNS messages carry none)
/// from `DescribeAlarms`.
async fn alarm_arn(state: &AlarmTriage, alarm: &AlarmEvent) -> Result<String, Skip> {
    if let Some(arn) = &alarm.arn {
        return Ok(arn.clone());
    }
    let current = current_alarm(&state.cloudwatch, &alarm.name, alarm.changed_at)
        .await
        .map_err(|e| Skip::of(&e))?;
    current
        .and_then(|c| c.event.arn)
        .ok_or_else(|| Skip::Failed {
            code: "AlarmNotFound".into(),
            brief: format!("{} has no ARN in DescribeAlarms", alarm.name),
        })
}

/// The report's record of the episode and the follow-up.
pub fn record(
    report: &mut ReportBuilder,
    episode: Option<&Episode>,
    follow: &FollowUp,
    trigger: Trigger,
) {
    report
        .extra("episode", episode)
        .extra("reminder", &follow.reminder)
        .extra("ops_item", &follow.ops_item);
    if let Some(sent) = follow.reminders_sent {
        report.extra("reminders_sent", sent);
    }
    if let Trigger::Reminder { n, .. } = trigger {
        report.extra("reminder_n", n);
    }
    for finding in &follow.findings {
        report.finding(finding.clone());
    }
}

impl Texts {
    /// The episode: since when, how often, flapping.
    pub(crate) fn episode_finding(
        &self,
        alarm: &AlarmEvent,
        episode: &Episode,
        quiet_minutes: i64,
    ) -> Finding {
        // A reminder's episode is read up to the transition that began it.
        let started_at = episode.started_at;
        let counts = self.ja_en(
            format!(
                "直近 60 分で {} 回、24 時間で {} 回 ALARM に遷移",
                episode.transitions_60m, episode.transitions_24h
            ),
            format!(
                "{} transitions into ALARM in the last 60 minutes, {} in 24 hours",
                episode.transitions_60m, episode.transitions_24h
            ),
        );
        let since = match (alarm.state, started_at) {
            (AlarmState::Alarm, Some(s)) => self.ja_en(
                format!(
                    "ALARM は {} から {} 分継続。",
                    self.time(s),
                    (alarm.changed_at - s).num_minutes().max(0)
                ),
                format!(
                    "In ALARM since {} ({} min). ",
                    self.time(s),
                    (alarm.changed_at - s).num_minutes().max(0)
                ),
            ),
            (AlarmState::Ok, Some(s)) => self.ja_en(
                format!(
                    "ALARM 期間: {} から {} 分。",
                    self.time(s),
                    (alarm.changed_at - s).num_minutes().max(0)
                ),
                format!(
                    "The ALARM episode lasted {} min (from {}). ",
                    (alarm.changed_at - s).num_minutes().max(0),
                    self.time(s)
                ),
            ),
            _ => String::new(),
        };
        if episode.flapping {
            Finding::new(
                "flapping",
                FindingStatus::Warning,
                self.ja_en(
                    format!("{since}フラッピング中: {counts}。通知は {quiet_minutes} 分ごとに 1 回に抑えています。"),
                    format!("{since}Flapping: {counts}; notifications are held to one per {quiet_minutes} minutes."),
                ),
            )
        } else {
            Finding::new(
                "episode",
                FindingStatus::Ok,
                self.ja_en(format!("{since}{counts}。"), format!("{since}{counts}.")),
            )
        }
    }

    /// The next step of a flapping alarm.
    pub(crate) fn flapping_step(&self, alarm: &str) -> String {
        self.ja_en(
            format!("{alarm} がフラッピングしています: しきい値・評価期間（datapoints to alarm）・欠損データの扱いを見直してください。"),
            format!("{alarm} is flapping: review its threshold, evaluation periods (datapoints to alarm) and missing-data treatment."),
        )
    }

    /// Why a state change was not notified.
    pub(crate) fn quiet_reason(&self, episode: &Episode, quiet_minutes: i64) -> String {
        self.ja_en(
            format!(
                "フラッピング中（直近 60 分で {} 回 ALARM）: この {} 分枠の通知は送信済み",
                episode.transitions_60m, quiet_minutes
            ),
            format!(
                "flapping ({} transitions into ALARM in 60 minutes): this {}-minute window was already notified",
                episode.transitions_60m, quiet_minutes
            ),
        )
    }

    /// `30 分継続 (reminder 1)`.
    pub(crate) fn reminder_title(&self, minutes: i64, n: u32) -> String {
        self.ja_en(
            format!("{minutes} 分継続 (reminder {n})"),
            format!("still in ALARM after {minutes} min (reminder {n})"),
        )
    }

    /// Why a reminder said nothing.
    pub(crate) fn moot(&self, alarm: &str, moot: Moot) -> String {
        match moot {
            Moot::Gone => self.ja_en(
                format!("{alarm} は存在しません: リマインダーは終了しました。"),
                format!("{alarm} no longer exists: reminders end."),
            ),
            Moot::NotAlarm(s) => self.ja_en(
                format!("{alarm} は {} です: リマインダーは終了しました。", s.as_str()),
                format!("{alarm} is {}: reminders end.", s.as_str()),
            ),
            Moot::NewerEpisode => self.ja_en(
                format!("{alarm} はその後あらためて ALARM になりました: 新しい ALARM のリマインダーに引き継ぎます。"),
                format!("{alarm} went into ALARM again since: the newer episode has its own reminders."),
            ),
        }
    }

    /// The next reminder, or that the last one went out.
    pub(crate) fn reminder_step(
        &self,
        scheduled: Option<&Scheduled>,
        max: Option<u32>,
    ) -> Option<String> {
        match (scheduled, max) {
            (Some(s), _) => Some(self.ja_en(
                format!(
                    "ALARM が続けば {} にリマインダー {} を送ります。",
                    self.time(s.at),
                    s.n
                ),
                format!(
                    "If it stays in ALARM, reminder {} goes out at {}.",
                    s.n,
                    self.time(s.at)
                ),
            )),
            (None, Some(max)) => Some(self.ja_en(
                format!(
                    "リマインダーは上限（{max} 回）に達しました: 以後は回復（OK）まで通知しません。"
                ),
                format!(
                    "Reminders reached their limit ({max}): nothing more until it recovers (OK)."
                ),
            )),
            _ => None,
        }
    }

    pub(crate) fn reminder_failed(&self, why: &Skip, source: &str) -> Finding {
        let mut f = self.skipped("reminder", source, why);
        f.status = FindingStatus::Warning;
        f
    }

    pub(crate) fn ops_item_failed(&self, why: &Skip, source: &str) -> Finding {
        let mut f = self.skipped("ops-item", source, why);
        f.status = FindingStatus::Warning;
        f
    }

    /// `リマインダー 2 回送信` for an OK report.
    pub(crate) fn reminders_sent(&self, sent: u32) -> String {
        self.ja_en(
            format!("この ALARM の間にリマインダーを {sent} 回送信しました。"),
            format!("{sent} reminder(s) went out during the episode."),
        )
    }

    /// The OpsItem's line.
    pub(crate) fn ops_item_line(&self, outcome: &OpsItemOutcome) -> Option<String> {
        let id = outcome.id.as_deref().unwrap_or("-");
        match outcome.status {
            "created" => Some(self.ja_en(
                format!("OpsCenter に OpsItem {id} を作成しました。"),
                format!("Opened OpsItem {id} in OpsCenter."),
            )),
            "exists" => Some(self.ja_en(
                format!("この ALARM の OpsItem {id} は作成済みです。"),
                format!("OpsItem {id} of this episode is already open."),
            )),
            "resolved" => Some(self.ja_en(
                format!("OpsItem {id} を解決済み（Resolved）にしました。"),
                format!("Resolved OpsItem {id}."),
            )),
            _ => None,
        }
    }
}

/// The minutes since the episode began, for a reminder's title.
pub fn minutes_since(started_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    minutes((now - started_at).to_std().unwrap_or_default())
}
