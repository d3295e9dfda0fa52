//! One drill, step by step: start (pick, restore, the deadline), wait (the
//! cluster, then its instance), verify (login and queries), cleanup (the
//! instance, then the cluster), report. Each invocation does what the
//! world's state allows, schedules the next one a minute later and returns
//! the drill's report so far; only the last one notifies.

use aws_sdk_rds::types::{DbCluster, DbClusterSnapshot, DbInstance, Tag};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use shared::rds::{Restore, cluster_tag};
use shared::schedule::{self, OneTime};
use shared::{Action, ActionResult, Delivery, Done, Error, Finding, Report};

use crate::RestoreDrill;
use crate::request::{DrillState, Step, Verified, drill_id};
use crate::text::{Ending, Texts};
use crate::verify;

/// The tag every resource of a drill carries: `created-by=restore-drill`.
pub const TAG_CREATED_BY: &str = "created-by";
/// Its value.
pub const CREATED_BY: &str = "restore-drill";
/// The tag naming the drill a resource belongs to.
pub const TAG_DRILL_ID: &str = "drill-id";
/// The tag naming the snapshot a drill cluster was restored from.
pub const TAG_RESTORED_FROM: &str = "restored-from";
/// The tag a verified snapshot gets: `restore-verified=<YYYY-MM-DD>`.
pub const TAG_VERIFIED: &str = "restore-verified";
/// A drill cluster's Serverless v2 capacity (min, max ACU).
pub const CAPACITY: (f64, f64) = (0.5, 2.0);
/// How long after its deadline a cleanup still continues itself before it
/// reports what is left.
pub const CLEANUP_GRACE: TimeDelta = TimeDelta::minutes(60);

/// The name of a drill's `seq`-th continuation schedule.
pub fn step_schedule(id: &str, seq: u32) -> String {
    format!("restore-drill-{id}-{seq}")
}

/// The name of a drill's deadline schedule. It stays after it has run
/// (no `DELETE`): while it is there the drill has not reported.
pub fn deadline_schedule(id: &str) -> String {
    format!("restore-drill-{id}-deadline")
}

/// What one invocation did and found.
#[derive(Debug, Default)]
pub(crate) struct Log {
    pub(crate) actions: Vec<Action>,
    pub(crate) findings: Vec<Finding>,
    /// Whether the drill's resources are all gone (the last report says).
    pub(crate) cleaned_up: bool,
}

fn ours(tags: &[Tag], id: &str) -> bool {
    let tag = |key: &str| {
        tags.iter()
            .find(|t| t.key() == Some(key))
            .and_then(Tag::value)
    };
    tag(TAG_CREATED_BY) == Some(CREATED_BY) && tag(TAG_DRILL_ID) == Some(id)
}

fn cluster_is_ours(cluster: &DbCluster, id: &str) -> bool {
    ours(cluster.tag_list(), id)
}

/// The instance `id`; `None` when RDS has no such instance.
async fn describe_instance(
    rds: &aws_sdk_rds::Client,
    id: &str,
) -> Result<Option<DbInstance>, Error> {
    let answer = rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await;
    Ok(shared::aws::found("DescribeDBInstances", answer, |e| {
        e.is_db_instance_not_found_fault()
    })?
    .and_then(|out| out.db_instances().first().cloned()))
}

/// A read-back that failed is a skipped finding and a look again next time.
fn read_back<T>(
    log: &mut Log,
    texts: &Texts,
    operation: &str,
    read: Result<T, Error>,
) -> Option<T> {
    match read {
        Ok(value) => Some(value),
        Err(err) => {
            log.findings.push(texts.read_failed(operation, &err));
            None
        }
    }
}

/// What a delete request came to: started (done), not deletable yet
/// (still creating or modifying: skipped, tried again next time), already
/// gone (nothing to say), or failed.
fn deletion<T, E, R>(
    log: &mut Log,
    texts: &Texts,
    id: &str,
    operation: &'static str,
    sent: Result<T, aws_sdk_rds::error::SdkError<E, R>>,
    not_yet: impl Fn(&E) -> bool,
    gone: impl Fn(&E) -> bool,
) where
    E: std::error::Error + aws_sdk_rds::error::ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let (result, err) = match sent {
        Ok(_) => (ActionResult::Done, None),
        Err(err) if err.as_service_error().is_some_and(&gone) => return,
        Err(err) if err.as_service_error().is_some_and(&not_yet) => {
            (ActionResult::Skipped, Some(Error::aws(operation, err)))
        }
        Err(err) => (ActionResult::Failed, Some(Error::aws(operation, err))),
    };
    log.actions
        .push(texts.delete_action(id, result, err.as_ref()));
}

/// The snapshot to drill: the one asked for (it must be available), else
/// the newest available manual snapshot of the cluster.
async fn pick_snapshot(
    d: &RestoreDrill,
    asked: Option<&str>,
) -> Result<Option<DbClusterSnapshot>, Error> {
    let id = match asked {
        Some(id) => id.to_owned(),
        None => {
            let cluster = &d.config.common.db_cluster_id;
            let all = shared::rds::manual_snapshots(&d.rds, cluster).await?;
            match shared::rds::newest_restore_point(&all, cluster) {
                Some(newest) => newest.id.clone(),
                None => return Ok(None),
            }
        }
    };
    let found = shared::rds::cluster_snapshot(&d.rds, &id).await?;
    match (asked, found) {
        (Some(_), None) => Err(Error::InvalidInput(format!(
            "`snapshot`: no cluster snapshot `{id}`"
        ))),
        (Some(_), Some(s)) if s.status() != Some("available") => Err(Error::InvalidInput(format!(
            "`snapshot`: `{id}` is {}, not available",
            s.status().unwrap_or("in an unknown state")
        ))),
        (_, found) => Ok(found),
    }
}

/// Creates the continuation `state.seq` a minute after `clock`.
async fn continue_at(
    d: &RestoreDrill,
    state: &DrillState,
    function_arn: &str,
    clock: DateTime<Utc>,
) -> Result<(), Error> {
    let name = step_schedule(&state.id, state.seq);
    let created = schedule::create(
        &d.scheduler,
        &d.config.schedules,
        &OneTime {
            name: &name,
            at: clock + TimeDelta::minutes(1),
            target_arn: function_arn,
            input: json!({ "drill": state }).to_string(),
            description: format!(
                "restore-drill {}: {} #{}",
                state.id,
                state.step.as_str(),
                state.seq
            ),
            delete_after: true,
        },
    )
    .await?;
    tracing::info!(schedule = %name, step = state.step.as_str(), created = created.as_str(), "continuation");
    Ok(())
}

/// The target of the drill's own schedules: the function as the runtime
/// names it (Lambda: its ARN, with the qualifier it was invoked by).
fn need_function_arn(function_arn: &str) -> Result<(), Error> {
    if !function_arn.trim().is_empty() {
        Ok(())
    } else {
        Err(Error::Unexpected(
            "the invocation carries no function ARN to continue the drill with".into(),
        ))
    }
}

/// A drill's start. Retried with the same event (the schedule's time), it
/// finds its own cluster and schedules and makes nothing twice.
pub async fn start(
    d: &RestoreDrill,
    asked: Option<&str>,
    now: DateTime<Utc>,
    dry_run: bool,
    function_arn: &str,
) -> Result<Done<Report>, Error> {
    let config = &d.config;
    let texts = Texts::new(config);
    let id = drill_id(now);
    let drill_cluster = config.drill_cluster_id.as_str();
    let mut log = Log::default();

    let Some(snapshot) = pick_snapshot(d, asked).await? else {
        log.findings.push(texts.no_snapshot());
        let report = texts.report(
            &log,
            &DrillState::new(id, String::new(), now),
            "start",
            Ending::Final,
            dry_run,
        );
        return Ok(Done::report(report, Delivery::Required));
    };
    let snapshot_id = snapshot
        .db_cluster_snapshot_identifier()
        .unwrap_or_default()
        .to_owned();
    let mut state = DrillState {
        snapshot_arn: snapshot.db_cluster_snapshot_arn().map(str::to_owned),
        snapshot_created_at: snapshot
            .snapshot_create_time()
            .and_then(shared::time::from_aws),
        seq: 1,
        ..DrillState::new(id.clone(), snapshot_id.clone(), now)
    };
    let source = shared::rds::describe_cluster(&d.rds, &config.common.db_cluster_id).await?;
    let Some(source) = source else {
        log.findings.push(texts.no_source());
        let report = texts.report(&log, &state, "start", Ending::Final, dry_run);
        return Ok(Done::report(report, Delivery::Required));
    };
    let existing = shared::rds::describe_cluster(&d.rds, drill_cluster).await?;
    if let Some(existing) = &existing
        && !cluster_is_ours(existing, &id)
    {
        // Someone else's cluster, or another drill's: never touched.
        let other = (cluster_tag(existing, TAG_CREATED_BY) == Some(CREATED_BY)).then(|| {
            cluster_tag(existing, TAG_DRILL_ID)
                .unwrap_or("?")
                .to_owned()
        });
        log.findings
            .push(texts.refused(drill_cluster, other.as_deref()));
        let report = texts.report(&log, &state, "start", Ending::Refused, dry_run);
        return Ok(Done::report(report, Delivery::Required));
    }
    let security_groups = config
        .security_group_ids
        .clone()
        .unwrap_or_else(|| shared::rds::security_group_ids(&source));
    let engine = snapshot.engine().unwrap_or("aurora-postgresql").to_owned();
    let deadline_at = now + TimeDelta::from_std(config.timeout).unwrap_or(TimeDelta::minutes(90));
    log.findings.push(texts.snapshot_finding(&state, now));

    if dry_run {
        log.actions.push(texts.restore_action(
            &state,
            &engine,
            snapshot.engine_version(),
            source.db_subnet_group(),
            &security_groups,
            ActionResult::Planned,
        ));
        log.actions
            .push(texts.deadline_action(&id, deadline_at, ActionResult::Planned));
        log.actions
            .push(texts.continue_action(&state, ActionResult::Planned));
        let report = texts.report(&log, &state, "start", Ending::Plan, true);
        return Ok(Done::report(report, Delivery::BestEffort));
    }
    need_function_arn(function_arn)?;

    // 1. The deadline first: from here on, whatever happens to the chain,
    // a cleanup runs.
    let mut deadline = state.clone();
    deadline.step = Step::Deadline;
    deadline.seq = 0;
    let deadline_name = deadline_schedule(&id);
    let created = schedule::create(
        &d.scheduler,
        &config.schedules,
        &OneTime {
            name: &deadline_name,
            at: deadline_at,
            target_arn: function_arn,
            input: json!({ "drill": deadline }).to_string(),
            description: format!("restore-drill {id}: deadline cleanup"),
            delete_after: false,
        },
    )
    .await?;
    log.actions.push(texts.deadline_action(
        &id,
        deadline_at,
        match created {
            schedule::Creation::Created => ActionResult::Done,
            schedule::Creation::Exists => ActionResult::Skipped,
        },
    ));

    // 2. The restore.
    if existing.is_some() {
        log.actions.push(texts.restore_action(
            &state,
            &engine,
            snapshot.engine_version(),
            source.db_subnet_group(),
            &security_groups,
            ActionResult::Skipped,
        ));
    } else {
        let tags = [
            (TAG_CREATED_BY, CREATED_BY),
            (TAG_DRILL_ID, id.as_str()),
            (TAG_RESTORED_FROM, snapshot_id.as_str()),
        ];
        let restored = shared::rds::restore_cluster(
            &d.rds,
            &Restore {
                snapshot: &snapshot_id,
                target: drill_cluster,
                engine: &engine,
                engine_version: snapshot.engine_version(),
                subnet_group: source.db_subnet_group(),
                security_groups: Some(security_groups.clone()),
                capacity: CAPACITY,
                deletion_protection: Some(false),
                tags: &tags,
            },
        )
        .await;
        let result = match &restored {
            Ok(()) => ActionResult::Done,
            Err(_) => ActionResult::Failed,
        };
        log.actions.push(texts.restore_action(
            &state,
            &engine,
            snapshot.engine_version(),
            source.db_subnet_group(),
            &security_groups,
            result,
        ));
        if let Err(err) = restored {
            state.failure = Some(texts.failed_to("RestoreDBClusterFromSnapshot", &err));
            log.cleaned_up = true;
            return finish(d, &texts, log, state, "start", Ending::Final).await;
        }
    }

    // 3. The chain.
    continue_at(d, &state, function_arn, Utc::now()).await?;
    log.actions
        .push(texts.continue_action(&state, ActionResult::Done));
    let report = texts.report(&log, &state, "start", Ending::Continues, false);
    Ok(Done::quiet(report))
}

/// A continuation: the drill's next move from where the world is now.
pub async fn proceed(
    d: &RestoreDrill,
    mut state: DrillState,
    now: DateTime<Utc>,
    function_arn: &str,
) -> Result<Done<Report>, Error> {
    let texts = Texts::new(&d.config);
    let mut log = Log::default();
    need_function_arn(function_arn)?;
    let deadline_at =
        state.started_at + TimeDelta::from_std(d.config.timeout).unwrap_or(TimeDelta::minutes(90));
    let mut label = state.step.as_str();
    if state.step == Step::Deadline || (state.step == Step::Wait && now >= deadline_at) {
        // Past the deadline: whatever the chain was doing, clean up.
        state.timed_out = true;
        state.step = Step::Cleanup;
    }
    if state.step == Step::Wait {
        match wait(d, &texts, &mut log, &mut state, now).await? {
            Waited::NotYet => {
                state.seq += 1;
                continue_at(d, &state, function_arn, Utc::now()).await?;
                let report = texts.report(&log, &state, label, Ending::Continues, false);
                return Ok(Done::quiet(report));
            }
            Waited::Foreign => {
                return finish(d, &texts, log, state, "wait", Ending::Refused).await;
            }
            Waited::Verified => label = "verify",
            Waited::Failed => {}
        }
        state.step = Step::Cleanup;
    }
    match cleanup(d, &texts, &mut log, &state).await? {
        Cleaned::Gone => {
            log.cleaned_up = true;
            finish(
                d,
                &texts,
                log,
                state,
                if label == "verify" {
                    "verify"
                } else {
                    "report"
                },
                Ending::Final,
            )
            .await
        }
        Cleaned::Foreign => finish(d, &texts, log, state, label, Ending::Refused).await,
        Cleaned::Pending(left) if now > deadline_at + CLEANUP_GRACE => {
            log.findings.push(texts.cleanup_gave_up(&left));
            finish(d, &texts, log, state, "cleanup", Ending::Final).await
        }
        Cleaned::Pending(_) => {
            if label == "verify" {
                log.findings.extend(texts.verified_findings(&state));
            }
            state.seq += 1;
            continue_at(d, &state, function_arn, Utc::now()).await?;
            let report = texts.report(
                &log,
                &state,
                if label == "verify" {
                    "verify"
                } else {
                    "cleanup"
                },
                Ending::Continues,
                false,
            );
            Ok(Done::quiet(report))
        }
    }
}

enum Waited {
    /// Still on its way: continue.
    NotYet,
    /// Logged in and checked (passed or not): clean up.
    Verified,
    /// The restore failed: clean up.
    Failed,
    /// The cluster is not this drill's: touch nothing.
    Foreign,
}

async fn wait(
    d: &RestoreDrill,
    texts: &Texts,
    log: &mut Log,
    state: &mut DrillState,
    now: DateTime<Utc>,
) -> Result<Waited, Error> {
    let config = &d.config;
    let cluster_id = config.drill_cluster_id.as_str();
    let instance_id = config.drill_instance_id();
    let read = shared::rds::describe_cluster(&d.rds, cluster_id).await;
    let Some(cluster) = read_back(log, texts, "DescribeDBClusters", read) else {
        return Ok(Waited::NotYet);
    };
    let Some(cluster) = cluster else {
        state.failure = Some(texts.cluster_vanished(cluster_id));
        return Ok(Waited::Failed);
    };
    if !cluster_is_ours(&cluster, &state.id) {
        log.findings
            .push(texts.refused(cluster_id, cluster_tag(&cluster, TAG_DRILL_ID)));
        return Ok(Waited::Foreign);
    }
    let status = cluster.status().unwrap_or("unknown");
    if matches!(
        status,
        "failed" | "inaccessible-encryption-credentials" | "incompatible-restore" | "deleting"
    ) {
        state.failure = Some(texts.restore_failed(cluster_id, status));
        return Ok(Waited::Failed);
    }
    if status != "available" {
        log.findings
            .push(texts.waiting(cluster_id, status, state, now));
        return Ok(Waited::NotYet);
    }
    let read = describe_instance(&d.rds, &instance_id).await;
    let Some(instance) = read_back(log, texts, "DescribeDBInstances", read) else {
        return Ok(Waited::NotYet);
    };
    let Some(instance) = instance else {
        let engine = cluster.engine().unwrap_or("aurora-postgresql");
        let created = shared::rds::create_serverless_instance(
            &d.rds,
            cluster_id,
            &instance_id,
            engine,
            &[
                (TAG_CREATED_BY, CREATED_BY),
                (TAG_DRILL_ID, state.id.as_str()),
            ],
        )
        .await;
        let result = if created.is_ok() {
            ActionResult::Done
        } else {
            ActionResult::Failed
        };
        log.actions
            .push(texts.instance_action(&instance_id, result));
        if let Err(err) = created {
            state.failure = Some(texts.failed_to("CreateDBInstance", &err));
            return Ok(Waited::Failed);
        }
        return Ok(Waited::NotYet);
    };
    if !ours(instance.tag_list(), &state.id) {
        log.findings.push(texts.refused(&instance_id, None));
        return Ok(Waited::Foreign);
    }
    let instance_status = instance.db_instance_status().unwrap_or("unknown");
    if instance_status != "available" {
        if matches!(
            instance_status,
            "failed" | "incompatible-parameters" | "incompatible-restore" | "deleting"
        ) {
            state.failure = Some(texts.restore_failed(&instance_id, instance_status));
            return Ok(Waited::Failed);
        }
        log.findings
            .push(texts.waiting(&instance_id, instance_status, state, now));
        return Ok(Waited::NotYet);
    }

    // Available: the proof.
    let (Some(host), Some(port)) = (
        cluster.endpoint(),
        cluster.port().and_then(|p| u16::try_from(p).ok()),
    ) else {
        state.failure = Some(texts.no_endpoint(cluster_id));
        return Ok(Waited::Failed);
    };
    let login = verify::login(
        &d.connector,
        &d.secrets,
        &config.common.db_secret_id,
        host,
        port,
    )
    .await?;
    let verified = match login {
        Ok((client, credentials)) => {
            let logged_in_at = Utc::now();
            verify::check(
                &client,
                config.min_tables,
                &config.queries,
                credentials,
                logged_in_at,
            )
            .await
        }
        Err(no) => {
            state.failure = Some(texts.no_login(host, port, &no.0));
            Verified {
                logged_in_at: None,
                credentials: None,
                tables: None,
                queries: Vec::new(),
                passed: false,
            }
        }
    };
    if verified.passed {
        if let Some(arn) = &state.snapshot_arn {
            let day = now
                .with_timezone(&config.common.timezone)
                .format("%Y-%m-%d")
                .to_string();
            let tagged = d
                .rds
                .add_tags_to_resource()
                .resource_name(arn)
                .tags(Tag::builder().key(TAG_VERIFIED).value(&day).build())
                .send()
                .await;
            let result = if tagged.is_ok() {
                ActionResult::Done
            } else {
                ActionResult::Failed
            };
            log.actions
                .push(texts.mark_verified_action(&state.snapshot, &day, result));
        }
    } else if state.failure.is_none() {
        state.failure = Some(texts.checks_failed(&verified, config));
    }
    state.verified = Some(verified);
    Ok(Waited::Verified)
}

/// Where the cleanup is.
pub(crate) enum Cleaned {
    /// Both the instance and the cluster are gone.
    Gone,
    /// Still there (named): continue.
    Pending(Vec<String>),
    /// A resource of the drill's name that is not the drill's: untouched.
    Foreign,
}

async fn cleanup(
    d: &RestoreDrill,
    texts: &Texts,
    log: &mut Log,
    state: &DrillState,
) -> Result<Cleaned, Error> {
    let config = &d.config;
    let cluster_id = config.drill_cluster_id.as_str();
    let instance_id = config.drill_instance_id();
    let read = describe_instance(&d.rds, &instance_id).await;
    let Some(instance) = read_back(log, texts, "DescribeDBInstances", read) else {
        return Ok(Cleaned::Pending(vec![instance_id, cluster_id.to_owned()]));
    };
    if let Some(instance) = instance {
        if !ours(instance.tag_list(), &state.id) {
            log.findings.push(texts.refused(&instance_id, None));
            return Ok(Cleaned::Foreign);
        }
        if instance.db_instance_status() != Some("deleting") {
            let sent = d
                .rds
                .delete_db_instance()
                .db_instance_identifier(&instance_id)
                .send()
                .await;
            deletion(
                log,
                texts,
                &instance_id,
                "DeleteDBInstance",
                sent,
                |e| e.is_invalid_db_instance_state_fault(),
                |e| e.is_db_instance_not_found_fault(),
            );
        }
        return Ok(Cleaned::Pending(vec![instance_id, cluster_id.to_owned()]));
    }
    let read = shared::rds::describe_cluster(&d.rds, cluster_id).await;
    let Some(cluster) = read_back(log, texts, "DescribeDBClusters", read) else {
        return Ok(Cleaned::Pending(vec![cluster_id.to_owned()]));
    };
    let Some(cluster) = cluster else {
        return Ok(Cleaned::Gone);
    };
    if !cluster_is_ours(&cluster, &state.id) {
        // Gone, and the name taken again by someone else: not ours to delete.
        log.findings
            .push(texts.refused(cluster_id, cluster_tag(&cluster, TAG_DRILL_ID)));
        return Ok(Cleaned::Foreign);
    }
    if cluster.status() != Some("deleting") {
        let sent = d
            .rds
            .delete_db_cluster()
            .db_cluster_identifier(cluster_id)
            .skip_final_snapshot(true)
            .send()
            .await;
        deletion(
            log,
            texts,
            cluster_id,
            "DeleteDBCluster",
            sent,
            |e| e.is_invalid_db_cluster_state_fault(),
            |e| e.is_db_cluster_not_found_fault(),
        );
    }
    Ok(Cleaned::Pending(vec![cluster_id.to_owned()]))
}

/// The drill's last report: published once. The deadline schedule is the
/// mark that it has not been yet: published, then the mark deleted; a
/// retried or duplicated last invocation finds no mark and stays quiet.
async fn finish(
    d: &RestoreDrill,
    texts: &Texts,
    mut log: Log,
    state: DrillState,
    label: &str,
    ending: Ending,
) -> Result<Done<Report>, Error> {
    let schedules = &d.config.schedules;
    let mark = deadline_schedule(&state.id);
    if ending == Ending::Final {
        log.findings
            .extend(texts.final_findings(&state, log.cleaned_up));
    }
    let report = texts.report(&log, &state, label, ending, false);
    if !schedule::exists(&d.scheduler, schedules, &mark).await? {
        tracing::info!(drill = %state.id, "already reported: nothing published");
        let mut quiet = report;
        quiet.extra.insert("notified".into(), json!(false));
        return Ok(Done::quiet(quiet));
    }
    d.notifier.publish(&report).await?;
    schedule::delete(&d.scheduler, schedules, &mark).await?;
    Ok(Done::quiet(report))
}
