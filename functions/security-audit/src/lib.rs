//! security-audit — the runbook's セキュリティ対応: the IAM review and the
//! CloudTrail audit, every morning and within seconds of a destructive call.
//!
//! The daily review reads every IAM user (admin by any route, unused active
//! keys, console users without MFA) and the window's CloudTrail events in
//! one paged `LookupEvents` scan, then runs every rule over them in memory:
//! destructive calls, night calls of the watched users, delete bursts,
//! calls from outside the allowed CIDRs. A real-time `AWS API Call via
//! CloudTrail` event is judged on its own. Containment — deactivating an
//! offender's active keys — happens only with `AUDIT_AUTO_CONTAIN=true`,
//! never in a dry run, and changes nothing else.

pub mod account;
pub mod config;
pub mod contain;
pub mod event;
pub mod iam;
pub mod lookup;
pub mod policy;
pub mod review;
pub mod rules;
pub mod suppress;
mod text;
mod text_account;
pub mod trail;
pub mod trail_health;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::types::StatusType;
use chrono::{DateTime, Utc};
use lambda_runtime::Context;
use serde_json::{Value, json};
use shared::gather::Skip;
use shared::report::{key_id_suffix, masked_key_id};
use shared::{
    ActionResult, Delivery, Done, Error, Finding, FindingStatus, Notifier, Report, ReportBuilder,
    Task,
};

pub use crate::config::AuditConfig;
use crate::contain::{Containment, plan_containment};
pub use crate::event::{Audit, AuditRequest};
use crate::iam::{Key, Reviewer, UserFacts};
use crate::lookup::{RegionScan, RegionTrail};
use crate::review::{admins, console_without_mfa, unused_days, unused_keys};
use crate::rules::{delete_bursts, destructive_calls, foreign_sources, night_calls};
use crate::suppress::{Suppression, Suppressions};
use crate::text::Texts;
use crate::trail::TrailEvent;

/// The function (binary) name, as in reports and notifications.
pub const FUNCTION: &str = "security-audit";

/// Flagged events listed in the report at most.
pub const EVENTS_LISTED_MAX: usize = 50;

/// What the handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct SecurityAudit {
    /// Settings.
    pub config: AuditConfig,
    /// IAM: the review, and containment.
    pub iam: aws_sdk_iam::Client,
    /// CloudTrail's event history per Region: the function's own, then
    /// `AUDIT_GLOBAL_REGION`'s (where IAM, STS and sign-in events live)
    /// unless it is the same Region or off.
    pub trails: Vec<RegionTrail>,
    /// CloudTrail of the function's Region, for the trails' own health
    /// (not counted as lookups).
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    /// The region the links point into.
    pub region: String,
    /// Where reports go.
    pub notifier: Notifier,
}

impl SecurityAudit {
    /// Builds the state from settings and an SDK configuration.
    pub fn new(config: AuditConfig, sdk: &aws_config::SdkConfig) -> Result<Self, Error> {
        let region = shared::aws::region_of(sdk);
        let mut trails = vec![RegionTrail::new(sdk, None)];
        if let Some(global) = config.global_region.as_deref().filter(|g| *g != region) {
            trails.push(RegionTrail::new(sdk, Some(global)));
        }
        Ok(SecurityAudit {
            iam: aws_sdk_iam::Client::new(sdk),
            trails,
            cloudtrail: aws_sdk_cloudtrail::Client::new(sdk),
            region,
            notifier: Notifier::for_config(&config.common, sdk)?,
            config,
        })
    }
}

impl Task for SecurityAudit {
    const FUNCTION: &'static str = FUNCTION;
    type Request = AuditRequest;
    type Response = Report;

    fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    fn parse(&self, payload: Value, _: &Context) -> Result<AuditRequest, Error> {
        let config = &self.config;
        AuditRequest::parse(
            payload,
            config.common.dry_run,
            config.lookback_hours,
            Utc::now,
        )
    }

    /// One audit; it is the audit record, so it is always published (a lost
    /// message fails the run: the rerun deactivates nothing twice).
    async fn run(&self, request: &AuditRequest) -> Result<Done<Report>, Error> {
        let kind = match request.audit {
            Audit::Daily { .. } => "daily",
            Audit::RealTime(_) => "real-time",
        };
        tracing::info!(kind, "security audit");
        Ok(Done::report(run(self, request).await?, Delivery::Required))
    }
}

/// What the CloudTrail rules found, for the report's lists and containment.
#[derive(Debug, Default)]
struct Judged {
    /// Flagged events (by index) and the checks that flagged them.
    flagged: BTreeMap<usize, Vec<&'static str>>,
    /// Events behind a critical finding.
    critical_events: BTreeSet<usize>,
    /// IAM users named by a critical finding: the offenders.
    offenders: BTreeSet<String>,
    /// Non-ok CloudTrail findings per principal name.
    by_principal: BTreeMap<String, BTreeSet<&'static str>>,
    /// The rules' findings, in report order.
    findings: Vec<Finding>,
    /// Their next steps.
    steps: Vec<String>,
    /// Events behind a suppressed finding.
    suppressed: BTreeSet<usize>,
    /// Events behind a finding that stands.
    standing: BTreeSet<usize>,
}

impl Judged {
    fn flag(&mut self, events: &[TrailEvent], i: usize, check: &'static str) {
        let checks = self.flagged.entry(i).or_default();
        if !checks.contains(&check) {
            checks.push(check);
        }
        self.by_principal
            .entry(events[i].principal.name())
            .or_default()
            .insert(check);
    }
}

/// What every rule's finding goes through: the texts, the suppressions in
/// force and the events the rules read.
struct Rules<'a> {
    texts: &'a Texts,
    quiet: &'a Suppressions,
    events: &'a [TrailEvent],
}

impl Rules<'_> {
    /// A non-ok finding `check` about `principal` and the events `involved`:
    /// pushed as it is — or, when an active suppression covers it, `ok`
    /// with the reason, its events listed as suppressed. Returns whether it
    /// stands (only then do next steps, criticality and containment follow).
    fn judge(
        &self,
        judged: &mut Judged,
        check: &'static str,
        finding: Finding,
        principal: Option<&str>,
        involved: &[usize],
    ) -> bool {
        let (texts, events) = (self.texts, self.events);
        let list: Vec<&TrailEvent> = involved.iter().map(|&i| &events[i]).collect();
        match self.quiet.silencing(check, principal, &list) {
            Some(s) => {
                judged.findings.push(texts.suppressed(finding, s));
                for &i in involved {
                    let checks = judged.flagged.entry(i).or_default();
                    if !checks.contains(&check) {
                        checks.push(check);
                    }
                    judged.suppressed.insert(i);
                }
                false
            }
            None => {
                judged.findings.push(finding);
                for &i in involved {
                    judged.flag(events, i, check);
                    judged.standing.insert(i);
                }
                true
            }
        }
    }
}

/// The CloudTrail rules over `events`; `all_rules` adds the window-wide one (bursts).
fn judge_events(
    state: &SecurityAudit,
    texts: &Texts,
    events: &[TrailEvent],
    all_rules: bool,
    quiet: &Suppressions,
) -> Judged {
    let config = &state.config;
    let system = config.common.system_name.as_str();
    let mut judged = Judged::default();
    let rules = Rules {
        texts,
        quiet,
        events,
    };

    let destructive = destructive_calls(events, &config.destructive_events);
    if destructive.is_empty() {
        judged
            .findings
            .push(texts.no_destructive(&config.destructive_events, events.len()));
    }
    for hit in &destructive {
        let e = &events[hit.event];
        let stands = rules.judge(
            &mut judged,
            "cloudtrail-destructive-call",
            texts.destructive(e, hit.status()),
            Some(&e.principal.name()),
            &[hit.event],
        );
        if stands && hit.status() == FindingStatus::Critical {
            judged.critical_events.insert(hit.event);
            if let Some(user) = e.principal.iam_user() {
                judged.offenders.insert(user.to_owned());
            }
            judged.steps.push(texts.restore_remedy(e));
        }
    }

    judge_account(state, texts, events, quiet, &mut judged);

    let night = night_calls(
        events,
        &config.watch_users,
        config.night,
        config.common.timezone,
    );
    if night.is_empty() {
        judged
            .findings
            .push(texts.no_night_calls(&config.watch_users, config.night));
    }
    for (user, calls) in &night {
        let list: Vec<&TrailEvent> = calls.iter().map(|&i| &events[i]).collect();
        let finding = texts.night(user, &list, config.night);
        let check = "cloudtrail-night-activity";
        if rules.judge(&mut judged, check, finding, Some(user), calls) {
            judged.steps.push(texts.night_remedy(user));
        }
    }

    if all_rules {
        let bursts = delete_bursts(events, config.delete_burst);
        if bursts.is_empty() {
            judged.findings.push(texts.no_bursts(config.delete_burst));
        }
        for burst in &bursts {
            let finding = texts.burst(burst, events, config.delete_burst);
            let principal = burst.principal.name();
            let check = "cloudtrail-delete-burst";
            if !rules.judge(&mut judged, check, finding, Some(&principal), &burst.events) {
                continue;
            }
            judged.critical_events.extend(burst.events.iter().copied());
            if let Some(user) = burst.principal.iam_user() {
                judged.offenders.insert(user.to_owned());
            }
            judged
                .steps
                .push(texts.burst_remedy(&burst.principal.name()));
        }
    } else {
        judged
            .findings
            .push(texts.not_in_real_time("cloudtrail-delete-burst"));
    }

    match &config.allowed_cidrs {
        None => {
            judged.findings.push(texts.cidrs_unset());
        }
        Some(allowed) => {
            let foreign = foreign_sources(events, allowed);
            if foreign.is_empty() {
                judged.findings.push(texts.no_foreign(allowed.len()));
            }
            for f in &foreign {
                let principal = f.principal.name();
                let finding = texts.foreign(f, events);
                let check = "cloudtrail-source-ip";
                if rules.judge(&mut judged, check, finding, Some(&principal), &f.events) {
                    judged
                        .steps
                        .push(texts.source_remedy(&principal, &f.ip.to_string()));
                }
            }
        }
    }
    for user in &judged.offenders {
        judged.steps.push(texts.contain_remedy(user, system));
    }
    judged
}

/// The account-wide rules (root, console sign-in, IAM changes) over
/// `events` — the global services' events among them.
fn judge_account(
    state: &SecurityAudit,
    texts: &Texts,
    events: &[TrailEvent],
    quiet: &Suppressions,
    judged: &mut Judged,
) {
    let config = &state.config;
    let rules = Rules {
        texts,
        quiet,
        events,
    };
    let root = account::root_activity(events);
    if root.is_empty() {
        judged.findings.push(texts.no_root(events.len()));
    }
    let mut root_stands = false;
    for &i in &root {
        let finding = texts.root(&events[i]);
        let check = "cloudtrail-root-activity";
        if rules.judge(judged, check, finding, Some("root"), &[i]) {
            judged.critical_events.insert(i);
            root_stands = true;
        }
    }
    if root_stands {
        judged.steps.push(texts.root_remedy());
    }

    let sign_ins = account::sign_ins(events);
    if sign_ins.is_empty() {
        judged.findings.push(texts.no_sign_in_issues());
    }
    let check = "cloudtrail-console-login";
    for failed in &sign_ins.failures {
        let principal = failed.principal.name();
        let finding = texts.sign_in_failures(failed, events);
        if rules.judge(judged, check, finding, Some(&principal), &failed.events) {
            judged
                .steps
                .push(texts.sign_in_remedy(&principal, Some(&failed.source)));
        }
    }
    for (user, calls) in &sign_ins.without_mfa {
        let list: Vec<&TrailEvent> = calls.iter().map(|&i| &events[i]).collect();
        let finding = texts.sign_in_without_mfa(user, &list);
        if rules.judge(judged, check, finding, Some(user), calls) {
            judged.steps.push(texts.sign_in_remedy(user, None));
        }
    }

    let changes = account::iam_changes(
        events,
        &config.iam_change_events,
        &config.trusted_principals,
    );
    if changes.is_empty() {
        judged
            .findings
            .push(texts.no_iam_changes(&config.iam_change_events));
    }
    for &change in &changes {
        let e = &events[change.event];
        let finding = texts.iam_change(e, change);
        if change.status() == FindingStatus::Ok {
            judged.findings.push(finding);
            continue;
        }
        let principal = e.principal.name();
        let check = "cloudtrail-iam-change";
        if !rules.judge(judged, check, finding, Some(&principal), &[change.event]) {
            continue;
        }
        judged.steps.push(texts.iam_change_remedy(e, change));
        if change.status() == FindingStatus::Critical {
            judged.critical_events.insert(change.event);
            if let Some(user) = e.principal.iam_user() {
                judged.offenders.insert(user.to_owned());
            }
        }
    }
}

/// The IAM review, judged: its findings, next steps, and the non-ok
/// findings per user.
#[derive(Debug, Default)]
struct UsersJudged {
    findings: Vec<Finding>,
    steps: Vec<String>,
    per_user: BTreeMap<String, BTreeSet<&'static str>>,
}

/// The IAM review's rules over `users`.
impl UsersJudged {
    /// A non-ok finding `check` about IAM user `user`: pushed as it is, or
    /// `ok` with the reason when an active suppression names the user.
    /// Returns whether it stands.
    fn judge(
        &mut self,
        texts: &Texts,
        quiet: &Suppressions,
        check: &'static str,
        finding: Finding,
        user: &str,
    ) -> bool {
        match quiet.silencing(check, Some(user), &[]) {
            Some(s) => {
                self.findings.push(texts.suppressed(finding, s));
                false
            }
            None => {
                self.findings.push(finding);
                self.per_user
                    .entry(user.to_owned())
                    .or_default()
                    .insert(check);
                true
            }
        }
    }
}

fn judge_users(
    state: &SecurityAudit,
    texts: &Texts,
    users: &[UserFacts],
    now: DateTime<Utc>,
    quiet: &Suppressions,
) -> UsersJudged {
    let limit = state.config.key_unused_days;
    let mut judged = UsersJudged::default();
    let admin_users = admins(users);
    if admin_users.is_empty() {
        judged.findings.push(texts.no_admins(users.len()));
    }
    for u in admin_users {
        if judged.judge(texts, quiet, "iam-admin-access", texts.admin(u), &u.user) {
            judged.steps.push(texts.admin_remedy(&u.user));
        }
    }
    let unused = unused_keys(users, now, limit);
    if unused.is_empty() {
        judged.findings.push(texts.no_unused_keys(limit));
    }
    for k in &unused {
        let finding = texts.unused_key(k, limit);
        if judged.judge(texts, quiet, "iam-access-key-unused", finding, k.user) {
            judged
                .steps
                .push(texts.unused_key_remedy(k.user, &masked_key_id(&k.key.id)));
        }
    }
    let no_mfa = console_without_mfa(users);
    if no_mfa.is_empty() {
        judged.findings.push(texts.all_console_users_have_mfa());
    }
    for u in no_mfa {
        let finding = texts.console_without_mfa(u);
        if judged.judge(texts, quiet, "iam-console-without-mfa", finding, &u.user) {
            judged.steps.push(texts.mfa_remedy(&u.user));
        }
    }
    judged
}

/// Deactivates (or plans, or recommends deactivating) the offenders' active keys.
async fn contain(
    state: &SecurityAudit,
    texts: &Texts,
    offenders: &BTreeSet<String>,
    known: &BTreeMap<String, Vec<Key>>,
    dry_run: bool,
    report: &mut ReportBuilder,
) {
    // An offender's keys: from the review, else read now (real time).
    let mut keys = known.clone();
    for user in offenders {
        if !keys.contains_key(user) {
            match Reviewer::new(&state.iam).keys(user).await {
                Ok(found) => {
                    keys.insert(user.clone(), found);
                }
                Err(err) => {
                    tracing::error!(user, error = %err.brief(), "could not list the offender's keys");
                    report.finding(texts.source_failed(
                        "iam-access-key-unused",
                        &format!("IAM ListAccessKeys {user}"),
                        &Skip::of(&err),
                    ));
                }
            }
        }
    }
    let plan = plan_containment(
        offenders,
        |user| keys.get(user).cloned().unwrap_or_default(),
        state.config.auto_contain,
        dry_run,
    );
    for item in &plan {
        let result = match item.containment {
            Containment::Deactivate => Some(
                state
                    .iam
                    .update_access_key()
                    .user_name(&item.user)
                    .access_key_id(&item.key.id)
                    .status(StatusType::Inactive)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| Error::aws("UpdateAccessKey", e).code()),
            ),
            _ => None,
        };
        let action = texts.containment(item, result);
        tracing::warn!(user = %item.user, key_suffix = %masked_key_id(&item.key.id), result = ?action.result, "containment");
        report.action(action);
    }
}

/// The flagged events for the report: critical first, then newest.
/// The CloudTrail scans' findings: a Region that could not be read skips
/// its own part (`cloudtrail-lookup`, naming the Region and the error code)
/// and makes the run a warning (`audit-source-unavailable`) — an audit that
/// could not read a source never reads as clean; when no Region could be
/// read every CloudTrail check is skipped too.
fn cloudtrail_sources(
    texts: &Texts,
    scans: &[RegionScan],
    report: &mut ReportBuilder,
    steps: &mut Vec<String>,
    unchecked: &mut Vec<String>,
) {
    let failed: Vec<(&str, Skip)> = scans
        .iter()
        .filter_map(|s| {
            s.result
                .as_ref()
                .err()
                .map(|e| (s.region.as_str(), Skip::of(e)))
        })
        .collect();
    for (region, why) in &failed {
        let source = format!("CloudTrail LookupEvents ({region})");
        report.finding(texts.source_failed("cloudtrail-lookup", &source, why));
        steps.push(texts.source_failed_remedy(&source, why));
        unchecked.push(format!("CloudTrail {region}"));
    }
    if failed.len() == scans.len()
        && let Some((_, why)) = failed.first()
    {
        for check in [
            "cloudtrail-destructive-call",
            "cloudtrail-night-activity",
            "cloudtrail-delete-burst",
            "cloudtrail-source-ip",
        ] {
            report.finding(texts.source_failed(check, "CloudTrail LookupEvents", why));
        }
    }
    if !failed.is_empty() {
        let regions: Vec<&str> = failed.iter().map(|(r, _)| *r).collect();
        report.finding(texts.source_unavailable(&regions));
    }
}

/// `regions`: what each Region's scan took and gave.
fn region_entries(scans: &[RegionScan]) -> Vec<Value> {
    scans
        .iter()
        .map(|s| {
            let mut entry = json!({
                "region": s.region,
                "requests": s.requests,
                "events": s.result.as_ref().map_or(0, |scan| scan.scanned),
            });
            if let Err(err) = &s.result {
                entry["error"] = json!(Skip::of(err).code());
            }
            entry
        })
        .collect()
}

fn listed_events(events: &[TrailEvent], judged: &Judged) -> Vec<Value> {
    let mut order: Vec<usize> = judged.flagged.keys().copied().collect();
    order.sort_by(|&a, &b| {
        let critical = |i: usize| judged.critical_events.contains(&i);
        critical(b)
            .cmp(&critical(a))
            .then(events[b].time.cmp(&events[a].time))
    });
    order
        .into_iter()
        .take(EVENTS_LISTED_MAX)
        .map(|i| {
            let e = &events[i];
            json!({
                "event_id": e.id,
                "event_name": e.name,
                "event_time": shared::time::rfc3339(e.time),
                "user": e.principal.name(),
                "source_ip": e.source_ip,
                "resources": e.resources,
                "error_code": e.error_code,
                "region": e.region,
                "checks": judged.flagged[&i],
                "suppressed": judged.suppressed.contains(&i) && !judged.standing.contains(&i),
            })
        })
        .collect()
}

fn user_entry(
    u: &UserFacts,
    now: DateTime<Utc>,
    findings: Option<&BTreeSet<&'static str>>,
) -> Value {
    let keys: Vec<Value> = u
        .keys
        .iter()
        .map(|k| {
            json!({
                "id_suffix": key_id_suffix(&k.id),
                "status": if k.active { "Active" } else { "Inactive" },
                "last_used": k.last_used.map(shared::time::rfc3339),
                "unused_days": unused_days(k, now),
            })
        })
        .collect();
    json!({
        "user": u.user,
        "admin": !u.admin_via.is_empty(),
        "admin_via": u.admin_via,
        "console": u.console,
        "mfa": u.mfa,
        "keys": keys,
        "findings": findings.map(|f| f.iter().copied().collect::<Vec<_>>()).unwrap_or_default(),
    })
}

/// One audit, daily or real time; returns the report.
pub async fn run(state: &SecurityAudit, request: &AuditRequest) -> Result<Report, Error> {
    let config = &state.config;
    let texts = Texts::new(config.common.lang, config.common.timezone, &state.region);
    let mut report = ReportBuilder::new(FUNCTION, request.now, request.dry_run);
    let mut steps: Vec<String> = Vec::new();
    let today = request
        .now
        .with_timezone(&config.common.timezone)
        .date_naive();
    let quiet = Suppressions::on(&config.suppressions, today);
    let (title, summary) = match &request.audit {
        Audit::Daily { start, end } => {
            let mut reviewer = Reviewer::new(&state.iam);
            let (users, scans, trails) = tokio::join!(
                reviewer.users(),
                lookup::scan_all(&state.trails, *start, *end),
                trail_health::read(&state.cloudtrail)
            );
            let lookup_requests: u32 = scans.iter().map(|s| s.requests).sum();
            tracing::info!(lookup_requests, "cloudtrail scanned");
            let mut unchecked: Vec<String> = Vec::new();

            let mut per_user = BTreeMap::new();
            let mut known_keys = BTreeMap::new();
            match &users {
                Ok(users) => {
                    let judged = judge_users(state, &texts, users, request.now, &quiet);
                    for finding in judged.findings {
                        report.finding(finding);
                    }
                    steps.extend(judged.steps);
                    per_user = judged.per_user;
                    known_keys = users
                        .iter()
                        .map(|u| (u.user.clone(), u.keys.clone()))
                        .collect();
                }
                Err(err) => {
                    for check in [
                        "iam-admin-access",
                        "iam-access-key-unused",
                        "iam-console-without-mfa",
                    ] {
                        report.finding(texts.source_failed(check, "IAM", &Skip::of(err)));
                    }
                    steps.push(texts.source_failed_remedy("IAM", &Skip::of(err)));
                    unchecked.push("IAM".into());
                }
            }
            let read_any = scans.iter().any(|s| s.result.is_ok());
            let merged = lookup::merge(&scans);
            let events = merged.as_slice();
            let scanned = read_any.then(|| {
                scans
                    .iter()
                    .filter_map(|s| s.result.as_ref().ok())
                    .map(|s| s.scanned)
                    .sum::<usize>()
            });
            cloudtrail_sources(&texts, &scans, &mut report, &mut steps, &mut unchecked);
            match &trails {
                Ok(trails) => {
                    let health = trail_health::judge(trails);
                    report.finding(texts.trail_health(&health, trails));
                    steps.extend(texts.trail_health_remedy(&health));
                }
                Err(err) => {
                    let why = Skip::of(err);
                    report.finding(texts.source_failed(
                        "cloudtrail-trail-health",
                        "CloudTrail DescribeTrails",
                        &why,
                    ));
                    steps.push(texts.source_failed_remedy("CloudTrail DescribeTrails", &why));
                }
            }
            let mut judged = if read_any {
                judge_events(state, &texts, events, true, &quiet)
            } else {
                Judged::default()
            };
            for finding in std::mem::take(&mut judged.findings) {
                report.finding(finding);
            }
            steps.append(&mut judged.steps);
            contain(
                state,
                &texts,
                &judged.offenders,
                &known_keys,
                request.dry_run,
                &mut report,
            )
            .await;

            let user_list: Vec<Value> = users
                .as_ref()
                .map(|users| {
                    users
                        .iter()
                        .map(|u| {
                            let mut ids: BTreeSet<&'static str> =
                                per_user.get(&u.user).cloned().unwrap_or_default();
                            ids.extend(
                                judged
                                    .by_principal
                                    .get(&u.user)
                                    .into_iter()
                                    .flatten()
                                    .copied(),
                            );
                            user_entry(u, request.now, Some(&ids))
                        })
                        .collect()
                })
                .unwrap_or_default();
            report
                .extra(
                    "window",
                    json!({"start": shared::time::rfc3339(*start), "end": shared::time::rfc3339(*end)}),
                )
                .extra("lookup_requests", lookup_requests)
                .extra("regions", region_entries(&scans))
                .extra("events_scanned", scanned.unwrap_or(0))
                .extra("events", listed_events(events, &judged))
                .extra("users", user_list);
            let count =
                |s: FindingStatus| report.findings().iter().filter(|f| f.status == s).count();
            let failed = report
                .actions()
                .iter()
                .filter(|a| a.result == ActionResult::Failed)
                .count();
            (
                texts.daily_title(
                    request.now,
                    count(FindingStatus::Critical) + failed,
                    count(FindingStatus::Warning),
                    &unchecked,
                ),
                texts.daily_summary(users.as_ref().ok().map(Vec::len), scanned, *start, *end),
            )
        }
        Audit::RealTime(event) => {
            for check in [
                "iam-admin-access",
                "iam-access-key-unused",
                "iam-console-without-mfa",
                "cloudtrail-trail-health",
            ] {
                report.finding(texts.not_in_real_time(check));
            }
            let events = std::slice::from_ref(event.as_ref());
            let mut judged = judge_events(state, &texts, events, false, &quiet);
            for finding in std::mem::take(&mut judged.findings) {
                report.finding(finding);
            }
            steps.append(&mut judged.steps);
            contain(
                state,
                &texts,
                &judged.offenders,
                &BTreeMap::new(),
                request.dry_run,
                &mut report,
            )
            .await;
            report
                .extra("window", Value::Null)
                .extra("lookup_requests", 0)
                .extra("events_scanned", 1)
                .extra("events", listed_events(events, &judged));
            (texts.real_time_title(event), texts.real_time_summary(event))
        }
    };
    // Expired suppressions show once each; the active ones are listed in
    // every report, so none is forgotten.
    for expired in &quiet.expired {
        report.finding(texts.suppression_expired(expired));
        steps.push(texts.suppression_expired_remedy());
    }
    report.extra(
        "suppressions",
        quiet
            .active
            .iter()
            .map(Suppression::entry)
            .collect::<Vec<_>>(),
    );
    if steps.is_empty() {
        steps.push(texts.all_clear());
    }
    let mut seen = BTreeSet::new();
    for step in steps {
        if seen.insert(step.clone()) {
            report.next_step(step);
        }
    }
    Ok(report.build(&title, summary))
}
