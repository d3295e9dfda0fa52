//! daily-health — the runbook's 日常的な監視, done and mailed by itself.
//!
//! Every morning: the dashboard's seven numbers for yesterday (JST) against
//! their normal ranges, with the surge rule on the two daily counts, read in
//! one `GetMetricData` request; the three runbook alarms by exact name; and
//! the hygiene nobody looks at until it is too late — the DB secret's age,
//! the newest restore point, frontend versioning, the deploy keys' age. A
//! source that fails skips only its own lines; the digest always goes out,
//! once. Read-only: the one write is the `Publish`.

pub mod alarms;
pub mod config;
pub mod conformance;
pub mod event;
pub mod hygiene;
pub mod metrics;
pub mod rows;
mod text;
mod text_conformance;

use std::future::Future;
use std::time::Duration;

use lambda_runtime::Context;
use serde_json::{Value, json};
use shared::gather::Skip;
use shared::{
    Delivery, Done, Error, Finding, FindingStatus, Notifier, Report, ReportBuilder, Task,
};

use crate::alarms::AlarmFacts;
pub use crate::config::HealthConfig;
use crate::conformance::{Certificate, ClusterSettings, Concurrency, Conformance, ScheduledChange};
pub use crate::event::{Day, HealthRequest};
use crate::hygiene::SecretFacts;
use crate::hygiene::{judge_key_age, judge_secret_age, judge_snapshot_age, newest_restore_point};
use crate::rows::evaluate_rows;
use crate::text::Texts;
use crate::text_conformance::Targets;

/// The function (binary) name, as in reports and notifications.
pub const FUNCTION: &str = "daily-health";

/// Time allowed to each source; one that takes longer is skipped as `timeout`.
pub const SOURCE_TIMEOUT: Duration = Duration::from_secs(15);

/// What the handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct DailyHealth {
    /// Settings.
    pub config: HealthConfig,
    /// CloudWatch: metrics and alarms.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Secrets Manager: the DB secret's metadata (never its value).
    pub secrets: aws_sdk_secretsmanager::Client,
    /// RDS: the cluster's manual snapshots.
    pub rds: aws_sdk_rds::Client,
    /// S3: the frontend bucket's versioning.
    pub s3: aws_sdk_s3::Client,
    /// IAM: the deploy users' keys.
    pub iam: aws_sdk_iam::Client,
    /// Lambda: the API function's concurrency.
    pub lambda: aws_sdk_lambda::Client,
    /// CloudFront: the cache policy's TTL.
    pub cloudfront: aws_sdk_cloudfront::Client,
    /// SQS: the failure queue's depth.
    pub sqs: aws_sdk_sqs::Client,
    /// The region the links point into.
    pub region: String,
    /// Where reports go.
    pub notifier: Notifier,
}

impl DailyHealth {
    /// Builds the state from settings and an SDK configuration.
    pub fn new(config: HealthConfig, sdk: &aws_config::SdkConfig) -> Result<Self, Error> {
        Ok(DailyHealth {
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            rds: aws_sdk_rds::Client::new(sdk),
            s3: aws_sdk_s3::Client::new(sdk),
            iam: aws_sdk_iam::Client::new(sdk),
            lambda: aws_sdk_lambda::Client::new(sdk),
            cloudfront: aws_sdk_cloudfront::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            region: shared::aws::region_of(sdk),
            notifier: Notifier::for_config(&config.common, sdk)?,
            config,
        })
    }
}

impl Task for DailyHealth {
    const FUNCTION: &'static str = FUNCTION;
    type Request = HealthRequest;
    type Response = Report;

    fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    fn parse(&self, payload: Value, _: &Context) -> Result<HealthRequest, Error> {
        let common = &self.config.common;
        HealthRequest::parse(payload, common.dry_run, common.timezone, chrono::Utc::now)
    }

    /// One digest, always published (exactly once): a lost message fails the
    /// run, and the retry reads and publishes again (nothing else changes).
    async fn run(&self, request: &HealthRequest) -> Result<Done<Report>, Error> {
        tracing::info!(date = %request.day.date, "health check");
        Ok(Done::report(run(self, request).await?, Delivery::Required))
    }
}

/// `source` within [`SOURCE_TIMEOUT`], or why it was skipped.
async fn bounded<T>(source: impl Future<Output = Result<T, Error>>) -> Result<T, Skip> {
    shared::gather::bounded(SOURCE_TIMEOUT, source).await
}

/// What production has, read at the same time as the rest (each bounded).
struct Production {
    concurrency: Result<Concurrency, Skip>,
    cluster: Result<Option<ClusterSettings>, Skip>,
    certificates: Result<Vec<Certificate>, Skip>,
    maintenance: Result<Vec<ScheduledChange>, Skip>,
    ttl: Option<Result<i64, Skip>>,
    failures: Option<Result<i64, Skip>>,
    pending_since: Option<Result<Option<chrono::DateTime<chrono::Utc>>, Skip>>,
}

async fn read_production(state: &DailyHealth) -> Production {
    let config = &state.config;
    let common = &config.common;
    let cluster_id = common.db_cluster_id.as_str();
    let (concurrency, cluster, certificates, ttl, failures) = tokio::join!(
        bounded(shared::lambda::concurrency(
            &state.lambda,
            &common.api_function_name
        )),
        bounded(conformance::cluster(&state.rds, cluster_id)),
        bounded(conformance::certificates(&state.rds, cluster_id)),
        async {
            match &config.cache_policy_id {
                Some(id) => {
                    Some(bounded(conformance::cache_policy_ttl(&state.cloudfront, id)).await)
                }
                None => None,
            }
        },
        async {
            match &config.failure_queue_url {
                Some(url) => Some(bounded(conformance::waiting_failures(&state.sqs, url)).await),
                None => None,
            }
        },
    );
    // The cluster's instances are named by the cluster.
    let instances = match &cluster {
        Ok(Some(c)) => c.instances.clone(),
        _ => Vec::new(),
    };
    let maintenance = bounded(conformance::pending_maintenance(
        &state.rds, cluster_id, &instances,
    ))
    .await;
    Production {
        concurrency,
        cluster,
        certificates,
        maintenance,
        ttl,
        failures,
        pending_since: None,
    }
}

/// The production sections, judged: findings, next steps and the report's
/// `conformance` and `scheduled_changes`.
struct ProductionJudged {
    findings: Vec<Finding>,
    steps: Vec<String>,
    conformance: Vec<Conformance>,
    scheduled: Vec<ScheduledChange>,
}

fn judge_production(
    state: &DailyHealth,
    request: &HealthRequest,
    texts: &Texts,
    production: &Production,
    alarms: &Result<Vec<AlarmFacts>, Skip>,
    secret: &Result<SecretFacts, Skip>,
) -> ProductionJudged {
    let config = &state.config;
    let common = &config.common;
    let runbook = &common.runbook;
    let system = common.system_name.as_str();
    let targets = Targets {
        function: &common.api_function_name,
        cluster: &common.db_cluster_id,
        secret: &common.db_secret_id,
        cache_policy: config.cache_policy_id.as_deref(),
    };
    let mut out = ProductionJudged {
        findings: Vec::new(),
        steps: Vec::new(),
        conformance: Vec::new(),
        scheduled: Vec::new(),
    };
    let mut conformance: Vec<Conformance> = Vec::new();
    let mut provisioned_qualifiers = Vec::new();

    // The automation's own health.
    if let Ok(facts) = secret {
        let since = production
            .pending_since
            .as_ref()
            .and_then(|r| r.as_ref().ok().copied().flatten());
        out.findings.push(texts.rotation_stuck(
            &common.db_secret_id,
            facts.stuck_pending.as_deref(),
            since,
        ));
        if facts.stuck_pending.is_some() {
            out.steps
                .push(texts.rotation_stuck_remedy(&common.db_secret_id));
        }
    }
    match &production.failures {
        Some(Ok(n)) => {
            let queue = config.failure_queue_url.as_deref();
            out.findings.push(texts.failures(Some(*n), queue));
            if *n > 0 {
                out.steps
                    .push(texts.failures_remedy(queue.unwrap_or_default()));
            }
        }
        Some(Err(skip)) => out.findings.push(skip.finding(
            "automation-failures",
            "SQS GetQueueAttributes",
            common.lang,
        )),
        None => out.findings.push(texts.failures(None, None)),
    }

    // 運用手順との差分.
    match &production.concurrency {
        Ok(c) => {
            provisioned_qualifiers = c
                .provisioned
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(q, _)| q.clone())
                .collect();
            conformance.push(conformance::judge_concurrency(c, runbook));
        }
        Err(skip) => out.findings.push(texts.conformance_skipped(
            "runbook-lambda-concurrency",
            &format!("Lambda GetFunctionConcurrency {}", common.api_function_name),
            skip,
        )),
    }
    match &production.cluster {
        Ok(Some(c)) => conformance.extend(conformance::judge_cluster(
            c,
            runbook,
            common.timezone,
            request.now,
        )),
        Ok(None) => out
            .findings
            .push(texts.cluster_missing(&common.db_cluster_id)),
        Err(skip) => {
            for check in [
                "runbook-db-capacity",
                "runbook-db-backup",
                "runbook-db-deletion-protection",
            ] {
                out.findings.push(texts.conformance_skipped(
                    check,
                    &format!("RDS DescribeDBClusters {}", common.db_cluster_id),
                    skip,
                ));
            }
        }
    }
    match alarms {
        Ok(facts) => conformance.extend(conformance::judge_alarms(facts, system, runbook)),
        Err(skip) => out.findings.push(texts.conformance_skipped(
            "runbook-alarms",
            "CloudWatch DescribeAlarms",
            skip,
        )),
    }
    match secret {
        Ok(facts) => conformance.push(conformance::judge_secret_rotation(facts, runbook)),
        Err(skip) => out.findings.push(texts.conformance_skipped(
            "runbook-secret-rotation",
            "Secrets Manager DescribeSecret",
            skip,
        )),
    }
    match &production.ttl {
        Some(Ok(ttl)) => conformance.push(conformance::judge_ttl(*ttl, runbook)),
        Some(Err(skip)) => out.findings.push(texts.conformance_skipped(
            "runbook-cloudfront-ttl",
            "CloudFront GetCachePolicy",
            skip,
        )),
        None => out.findings.push(texts.cache_policy_unset()),
    }
    for c in &conformance {
        out.findings.push(texts.conformance_finding(c, targets));
        if c.status != FindingStatus::Ok {
            out.steps
                .push(texts.conformance_remedy(c, targets, &provisioned_qualifiers));
        }
    }
    out.conformance = conformance;

    // 予定された変更.
    match &production.certificates {
        Ok(certs) => {
            let dated: Vec<&Certificate> =
                certs.iter().filter(|c| c.valid_till.is_some()).collect();
            if dated.is_empty() {
                out.findings
                    .push(texts.nothing_scheduled("db-ca-expiry", &common.db_cluster_id));
            }
            for cert in dated {
                if let Some(till) = cert.valid_till {
                    let (status, days) = conformance::judge_certificate(till, request.now);
                    out.findings.push(texts.certificate(cert, status, days));
                    if status != FindingStatus::Ok {
                        out.steps.push(texts.certificate_remedy(cert));
                    }
                }
            }
        }
        Err(skip) => out.findings.push(texts.scheduled_skipped(
            "db-ca-expiry",
            "RDS DescribeDBInstances",
            skip,
        )),
    }
    match &production.maintenance {
        Ok(changes) => {
            if changes.is_empty() {
                out.findings
                    .push(texts.nothing_scheduled("db-pending-maintenance", &common.db_cluster_id));
            }
            for change in changes {
                let status = conformance::judge_maintenance(change, request.now);
                out.findings.push(texts.maintenance(change, status));
                if status != FindingStatus::Ok {
                    out.steps
                        .push(texts.maintenance_remedy(change, &change.arn));
                }
            }
            out.scheduled = changes.clone();
        }
        Err(skip) => out.findings.push(texts.scheduled_skipped(
            "db-pending-maintenance",
            "RDS DescribePendingMaintenanceActions",
            skip,
        )),
    }
    out
}

/// One health check: every source read (concurrently, each bounded), every
/// line judged, the report built.
pub async fn run(state: &DailyHealth, request: &HealthRequest) -> Result<Report, Error> {
    let config = &state.config;
    let common = &config.common;
    let runbook = &common.runbook;
    let texts = Texts::new(common.lang, common.timezone);
    let system = common.system_name.as_str();
    let (metrics, alarms, secret, snapshots, versioning, production, drill_cluster) = tokio::join!(
        bounded(metrics::read(&state.cloudwatch, common, &request.day)),
        bounded(alarms::read(&state.cloudwatch, system)),
        bounded(hygiene::secret_facts(&state.secrets, &common.db_secret_id)),
        bounded(hygiene::manual_snapshots(&state.rds, &common.db_cluster_id)),
        async {
            match &common.frontend_bucket {
                Some(bucket) => Some(bounded(hygiene::versioning(&state.s3, bucket)).await),
                None => None,
            }
        },
        read_production(state),
        bounded(hygiene::drill_cluster_age(
            &state.rds,
            &config.drill_cluster_id,
            request.now
        )),
    );
    let mut production = production;
    if let Ok(facts) = &secret
        && let Some(version) = &facts.stuck_pending
    {
        let since = conformance::version_created(&state.secrets, &common.db_secret_id, version);
        production.pending_since = Some(bounded(since).await);
    }
    let mut keys = Vec::new();
    for user in &config.rotate_users {
        keys.push((user, bounded(hygiene::access_keys(&state.iam, user)).await));
    }

    let mut report = ReportBuilder::new(FUNCTION, request.now, request.dry_run);
    let mut next_steps: Vec<String> = Vec::new();

    // The dashboard's rows.
    let (rows, metric_requests) = match &metrics {
        Ok(read) => {
            let mut rows = evaluate_rows(&read.metrics, runbook);
            for row in &mut rows {
                row.range = texts.range(row.row, runbook);
                report.finding(texts.row_finding(row));
                next_steps.extend(texts.row_remedy(
                    row,
                    &common.api_function_name,
                    &common.db_cluster_id,
                ));
            }
            (json!(rows), read.requests)
        }
        Err(skip) => {
            for row in rows::Row::ALL {
                report.finding(skip.finding(row.check(), "CloudWatch GetMetricData", common.lang));
            }
            next_steps.push(skip.remedy(FUNCTION, "CloudWatch GetMetricData", common.lang));
            (json!([]), 0)
        }
    };

    // The runbook's alarms.
    let alarm_facts: Vec<AlarmFacts> = match &alarms {
        Ok(facts) => {
            for a in facts {
                report.finding(texts.alarm_finding(a.check(system), a, &state.region));
                next_steps.extend(texts.alarm_remedy(a));
            }
            facts.clone()
        }
        Err(skip) => {
            for name in alarms::names(system) {
                let unknown = AlarmFacts::missing(name);
                report.finding(skip.finding(
                    unknown.check(system),
                    "CloudWatch DescribeAlarms",
                    common.lang,
                ));
            }
            next_steps.push(skip.remedy(FUNCTION, "CloudWatch DescribeAlarms", common.lang));
            Vec::new()
        }
    };

    // Hygiene.
    let secret_id = common.db_secret_id.as_str();
    match &secret {
        Ok(facts) => {
            let dates = &facts.dates;
            let judged = judge_secret_age(dates, request.now, runbook);
            report.finding(texts.secret_finding(secret_id, &judged, dates.last_rotated.is_some()));
            if judged.status != FindingStatus::Ok {
                next_steps.push(texts.secret_remedy(secret_id));
            }
        }
        Err(skip) => {
            report.finding(skip.finding(
                "secret-age",
                &format!("Secrets Manager DescribeSecret {secret_id}"),
                common.lang,
            ));
            next_steps.push(skip.remedy(FUNCTION, "Secrets Manager DescribeSecret", common.lang));
        }
    }
    let cluster = common.db_cluster_id.as_str();
    match &snapshots {
        Ok(snapshots) => {
            let newest = newest_restore_point(snapshots, cluster);
            let judged = judge_snapshot_age(newest, request.now, config.snapshot_max_age_hours);
            report.finding(texts.snapshot_finding(cluster, newest.map(|s| s.id.as_str()), &judged));
            if judged.status != FindingStatus::Ok {
                next_steps.push(texts.snapshot_remedy(system));
            }
        }
        Err(skip) => {
            report.finding(skip.finding(
                "snapshot-age",
                "RDS DescribeDBClusterSnapshots",
                common.lang,
            ));
            next_steps.push(skip.remedy(FUNCTION, "RDS DescribeDBClusterSnapshots", common.lang));
        }
    }
    // restore-drill's proof: the last verified snapshot, and nothing left running.
    match &snapshots {
        Ok(snapshots) => {
            let verified = hygiene::newest_verified(snapshots, cluster);
            let today = request.now.with_timezone(&common.timezone).date_naive();
            let judged = hygiene::judge_drill_age(
                verified.map(|(_, d)| d),
                today,
                config.drill_max_age_days,
            );
            let day = verified.map(|(_, d)| d.to_string());
            let found = verified.map(|(s, _)| s.id.as_str()).zip(day.as_deref());
            report.finding(texts.drill_age_finding(found, &judged));
            if judged.status != FindingStatus::Ok {
                next_steps.push(texts.drill_age_remedy(system));
            }
        }
        Err(skip) => {
            report.finding(skip.finding(
                "restore-drill-age",
                "RDS DescribeDBClusterSnapshots",
                common.lang,
            ));
        }
    }
    match &drill_cluster {
        Ok(hours) => {
            let finding = texts.drill_leftover_finding(
                &config.drill_cluster_id,
                *hours,
                hygiene::DRILL_LEFTOVER_HOURS,
            );
            if finding.status != FindingStatus::Ok {
                next_steps.push(texts.drill_leftover_remedy(&config.drill_cluster_id));
            }
            report.finding(finding);
        }
        Err(skip) => {
            report.finding(skip.finding(
                "restore-drill-leftover",
                &format!("RDS DescribeDBClusters {}", config.drill_cluster_id),
                common.lang,
            ));
            next_steps.push(skip.remedy(FUNCTION, "RDS DescribeDBClusters", common.lang));
        }
    }
    match (&versioning, &common.frontend_bucket) {
        (Some(Ok(v)), Some(bucket)) => {
            let finding = texts.versioning_finding(bucket, *v);
            if finding.status != FindingStatus::Ok {
                next_steps.push(texts.versioning_remedy(bucket));
            }
            report.finding(finding);
        }
        (Some(Err(skip)), Some(bucket)) => {
            report.finding(skip.finding(
                "frontend-versioning",
                &format!("S3 GetBucketVersioning {bucket}"),
                common.lang,
            ));
            next_steps.push(skip.remedy(FUNCTION, "S3 GetBucketVersioning", common.lang));
        }
        _ => {
            report.finding(texts.versioning_unset());
        }
    }
    for (user, listed) in &keys {
        match listed {
            Ok(Some(user_keys)) => {
                let judged = judge_key_age(user_keys, request.now, runbook.key_rotation);
                report.finding(texts.key_finding(user, &judged));
                if judged.status != FindingStatus::Ok {
                    next_steps.push(texts.key_remedy(user, system));
                }
            }
            Ok(None) => {
                report.finding(texts.key_missing_user(user));
            }
            Err(skip) => {
                report.finding(skip.finding(
                    format!("key-age-{user}"),
                    &format!("IAM ListAccessKeys {user}"),
                    common.lang,
                ));
                next_steps.push(skip.remedy(FUNCTION, "IAM ListAccessKeys", common.lang));
            }
        }
    }

    // What the runbook states, the automation's health, AWS's schedule.
    let judged = judge_production(state, request, &texts, &production, &alarms, &secret);
    for finding in judged.findings {
        report.finding(finding);
    }
    next_steps.extend(judged.steps);
    let (conformance_rows, scheduled) = (judged.conformance, judged.scheduled);

    let count = |status: FindingStatus| {
        report
            .findings()
            .iter()
            .filter(|f| f.status == status)
            .count()
    };
    let counts = (
        count(FindingStatus::Critical),
        count(FindingStatus::Warning),
        count(FindingStatus::Skipped),
    );
    if next_steps.is_empty() {
        next_steps.push(texts.all_clear());
    }
    next_steps.dedup();
    for step in next_steps {
        report.next_step(step);
    }
    tracing::info!(
        metric_requests,
        critical = counts.0,
        warning = counts.1,
        skipped = counts.2,
        "health judged"
    );
    report
        .extra("date", request.day.date.to_string())
        .extra(
            "window",
            json!({"start": shared::time::rfc3339(request.day.start), "end": shared::time::rfc3339(request.day.end)}),
        )
        .extra("rows", rows)
        .extra("alarms", &alarm_facts)
        .extra("conformance", &conformance_rows)
        .extra("scheduled_changes", &scheduled)
        .extra("metric_requests", metric_requests);
    let title = texts.title(&request.day, (counts.0, counts.1));
    let summary = texts.summary(&request.day, system, &state.region, counts);
    Ok(report.build(&title, summary))
}
