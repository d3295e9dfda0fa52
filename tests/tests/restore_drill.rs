//! restore-drill against the bed: a snapshot of a cluster whose data is a
//! real PostgreSQL (verified TLS), restores stepped through `creating` →
//! `available` and `deleting` → gone, and the drill's Scheduler schedules
//! read back and run as Scheduler would.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bed::scheduler::{self, Schedule};
use bed::{Bed, Inbox, Postgres, PostgresOptions, finding};
use lambda_runtime::{Context, LambdaEvent};
use restore_drill::{DrillConfig, RestoreDrill};
use serde_json::{Value, json};
use shared::entry::handle;
use shared::{Error, FindingStatus, Report, Severity};

const CLUSTER: &str = "goal-mandala-production";
const DRILL: &str = "goal-mandala-production-drill";
const SNAPSHOT: &str = "goal-mandala-production-manual-20261206-0430";
const SECRET: &str = "goal-mandala/production/database";
const USER: &str = "goal_mandala_user";
const PASSWORD: &str = "drill-Snapshot-Pass-1";
const GROUP: &str = "goal-mandala-production-ops";
const SCHEDULER_ROLE: &str = "arn:aws:iam::123456789012:role/SchedulerRole";
const FUNCTION_ARN: &str =
    "arn:aws:lambda:ap-northeast-1:123456789012:function:goal-mandala-production-restore-drill";
const DEADLINE_SUFFIX: &str = "-deadline";

struct Drill {
    bed: Bed,
    inbox: Inbox,
    pg: Postgres,
    rds: aws_sdk_rds::Client,
}

impl Drill {
    /// Production with data: the cluster, its schema and rows in the local
    /// PostgreSQL (the snapshot's content), the snapshot, the DB secret.
    async fn start() -> Drill {
        let bed = Bed::start().unwrap();
        let sdk = bed.sdk_config();
        let inbox = Inbox::ops(&sdk).await.unwrap();
        let pg = Postgres::start(PostgresOptions {
            tls: true,
            ..PostgresOptions::default()
        })
        .unwrap();
        pg.psql_unlogged(&format!("CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'"))
            .unwrap();
        pg.psql(&format!("CREATE DATABASE goal_mandala OWNER {USER}"))
            .unwrap();
        pg.psql_in(
            "goal_mandala",
            &format!(
                "CREATE TABLE goals (id serial PRIMARY KEY, title text NOT NULL);
                 CREATE TABLE mandala_cells (goal_id int REFERENCES goals(id), position int, text text);
                 INSERT INTO goals (title) SELECT 'goal ' || n FROM generate_series(1, 12) n;
                 INSERT INTO mandala_cells SELECT 1, n, 'cell' FROM generate_series(1, 81) n;
                 ALTER TABLE goals OWNER TO {USER}; ALTER TABLE mandala_cells OWNER TO {USER};"
            ),
        )
        .unwrap();
        let rds = aws_sdk_rds::Client::new(&sdk);
        bed::production::create_cluster(&rds, CLUSTER)
            .await
            .unwrap();
        rds.create_db_cluster_snapshot()
            .db_cluster_identifier(CLUSTER)
            .db_cluster_snapshot_identifier(SNAPSHOT)
            .send()
            .await
            .unwrap();
        scheduler::create_group(&sdk, GROUP).await.unwrap();
        bed.drill_rds("localhost", pg.port(), 2, 2).unwrap();
        let drill = Drill {
            bed,
            inbox,
            pg,
            rds,
        };
        drill.secret(PASSWORD).await;
        drill
    }

    /// A new AWSCURRENT (the previous one becomes AWSPREVIOUS). The host is
    /// production's writer endpoint, which answers nowhere: the drill must
    /// log in to the restored endpoint.
    async fn secret(&self, password: &str) {
        let value = json!({"username": USER, "password": password, "engine": "postgres",
            "host": "goal-mandala-production.cluster-c0ffee.ap-northeast-1.rds.amazonaws.com",
            "port": 5432, "database": "goal_mandala"})
        .to_string();
        let sm = aws_sdk_secretsmanager::Client::new(&self.bed.sdk_config());
        if sm
            .create_secret()
            .name(SECRET)
            .secret_string(&value)
            .send()
            .await
            .is_err()
        {
            sm.put_secret_value()
                .secret_id(SECRET)
                .secret_string(&value)
                .send()
                .await
                .unwrap();
        }
    }

    fn state(&self, extra: &[(&str, &str)]) -> RestoreDrill {
        let ca = self.pg.ca_file();
        let mut env = self.inbox.env(&[
            ("SCHEDULE_GROUP", GROUP),
            ("SCHEDULER_ROLE_ARN", SCHEDULER_ROLE),
            ("DB_CA_BUNDLE", ca.to_str().unwrap()),
        ]);
        for (k, v) in extra {
            env.set(*k, *v);
        }
        RestoreDrill::new(
            DrillConfig::from_env(&env).unwrap(),
            &self.bed.function_sdk_config("restore-drill"),
        )
        .unwrap()
    }

    async fn invoke(&self, state: &RestoreDrill, event: Value) -> Result<Report, Error> {
        let mut context = Context::default();
        context.invoked_function_arn = FUNCTION_ARN.to_owned();
        handle(state, LambdaEvent::new(event.into(), context)).await
    }

    async fn schedules(&self) -> Vec<Schedule> {
        scheduler::schedules(&self.bed.sdk_config(), GROUP)
            .await
            .unwrap()
    }

    /// The continuation due now (never the deadline), run as Scheduler runs
    /// it: the input to the function, then the schedule deleted.
    async fn run_next(&self, state: &RestoreDrill) -> Option<Report> {
        let next = self
            .schedules()
            .await
            .into_iter()
            .find(|s| !s.name.ends_with(DEADLINE_SUFFIX))?;
        assert_eq!(next.target_arn, FUNCTION_ARN);
        assert_eq!(next.role_arn, SCHEDULER_ROLE);
        assert!(
            next.delete_after,
            "{}: a continuation deletes itself",
            next.name
        );
        assert!(next.expression.starts_with("at("), "{}", next.expression);
        let report = self.invoke(state, next.input.clone()).await.unwrap();
        scheduler::complete(&self.bed.sdk_config(), GROUP, &next)
            .await
            .unwrap();
        Some(report)
    }

    /// Runs the chain to its end; the reports in order.
    async fn run_chain(&self, state: &RestoreDrill) -> Vec<Report> {
        let mut reports = Vec::new();
        while let Some(report) = self.run_next(state).await {
            reports.push(report);
            assert!(reports.len() < 40, "the drill never ends");
        }
        reports
    }

    fn writes(&self, operation: &str) -> usize {
        self.bed
            .writes()
            .unwrap()
            .iter()
            .filter(|r| r.operation.as_deref() == Some(operation))
            .count()
    }

    async fn drill_cluster_exists(&self) -> bool {
        shared::rds::describe_cluster(&self.rds, DRILL)
            .await
            .unwrap()
            .is_some()
    }

    async fn snapshot_tags(&self) -> Vec<(String, String)> {
        let s = shared::rds::cluster_snapshot(&self.rds, SNAPSHOT)
            .await
            .unwrap()
            .unwrap();
        let arn = s.db_cluster_snapshot_arn().unwrap();
        self.rds
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await
            .unwrap()
            .tag_list()
            .iter()
            .map(|t| (t.key().unwrap().to_owned(), t.value().unwrap().to_owned()))
            .collect()
    }
}

const QUERIES: &str = r#"[{"name": "goals", "sql": "SELECT count(*) FROM goals", "min": 10},
                          {"name": "cells", "sql": "SELECT count(*)::int FROM mandala_cells;", "min": 81}]"#;

#[tokio::test]
async fn a_full_drill_restores_logs_in_checks_cleans_up_and_reports_once() {
    let d = Drill::start().await;
    let state = d.state(&[("DRILL_VERIFY_QUERIES", QUERIES)]);

    let start = d.invoke(&state, json!({})).await.unwrap();
    assert_eq!(start.extra["step"], "start");
    assert_eq!(start.extra["snapshot"], SNAPSHOT);
    assert!(start.extra["snapshot_age_hours"].as_f64().is_some());
    let id = start.extra["drill_id"].as_str().unwrap().to_owned();
    let schedules = d.schedules().await;
    let names: Vec<&str> = schedules.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            format!("restore-drill-{id}-1"),
            format!("restore-drill-{id}-deadline")
        ]
    );
    let deadline = &schedules[1];
    assert!(
        !deadline.delete_after,
        "the deadline stays until the report"
    );
    assert_eq!(deadline.input["drill"]["step"], "deadline");
    assert_eq!(d.writes("RestoreDBClusterFromSnapshot"), 1);
    let restored = shared::rds::describe_cluster(&d.rds, DRILL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        restored.db_subnet_group(),
        Some(bed::production::SUBNET_GROUP)
    );
    assert_eq!(
        shared::rds::security_group_ids(&restored),
        [bed::production::SECURITY_GROUP]
    );
    assert_eq!(
        shared::rds::cluster_tag(&restored, "drill-id"),
        Some(id.as_str())
    );
    assert!(
        d.inbox.take().await.unwrap().is_empty(),
        "only the last one notifies"
    );

    let reports = d.run_chain(&state).await;
    let steps: Vec<&str> = reports
        .iter()
        .map(|r| r.extra["step"].as_str().unwrap())
        .collect();
    assert!(steps.starts_with(&["wait"]), "{steps:?}");
    assert!(
        steps.contains(&"verify") && steps.contains(&"cleanup"),
        "{steps:?}"
    );
    assert_eq!(steps.last(), Some(&"report"), "{steps:?}");
    let last = reports.last().unwrap();
    assert_eq!(last.severity, Severity::Info, "{last:#?}");
    assert_eq!(last.extra["credentials"], "AWSCURRENT");
    assert_eq!(last.extra["tables"], 2);
    assert_eq!(
        last.extra["queries"],
        json!([{"name": "goals", "value": 12, "min": 10, "status": "ok"},
               {"name": "cells", "value": 81, "min": 81, "status": "ok"}])
    );
    assert_eq!(last.extra["cleaned_up"], true);
    assert!(last.extra["rto_minutes"].as_f64().is_some());
    assert_eq!(finding(last, "login").status, FindingStatus::Ok);
    assert!(last.title.contains("成功"), "{}", last.title);

    assert!(!d.drill_cluster_exists().await);
    assert!(
        d.schedules().await.is_empty(),
        "no schedule left, the deadline included"
    );
    let tags = d.snapshot_tags().await;
    assert!(
        tags.iter().any(|(k, _)| k == "restore-verified"),
        "{tags:?}"
    );
    let mail = d.inbox.take().await.unwrap();
    assert_eq!(mail.len(), 1, "one notification for the drill");
    assert_eq!(d.writes("CreateDBInstance"), 1);
    assert_eq!(d.writes("DeleteDBInstance"), 1);
    assert_eq!(d.writes("DeleteDBCluster"), 1);
    // The production cluster was never written to.
    assert!(
        d.bed
            .writes()
            .unwrap()
            .iter()
            .all(|r| r.service != "rds" || r.operation.as_deref() != Some("ModifyDBCluster")),
    );
}

#[tokio::test]
async fn a_snapshot_from_before_a_rotation_logs_in_with_awsprevious() {
    let d = Drill::start().await;
    // Rotated after the snapshot: the restored database still has the old password.
    d.secret("drill-Rotated-Pass-2").await;
    let state = d.state(&[]);
    d.invoke(&state, json!({"snapshot": SNAPSHOT}))
        .await
        .unwrap();
    let reports = d.run_chain(&state).await;
    let last = reports.last().unwrap();
    assert_eq!(last.severity, Severity::Info, "{last:#?}");
    assert_eq!(last.extra["credentials"], "AWSPREVIOUS");
    assert!(finding(last, "login").detail.contains("AWSPREVIOUS"));
    let text = serde_json::to_string(&reports).unwrap();
    assert!(!text.contains(PASSWORD) && !text.contains("drill-Rotated-Pass-2"));
}

#[tokio::test]
async fn a_failing_query_is_critical_and_the_cleanup_still_runs() {
    let d = Drill::start().await;
    let queries = r#"[{"name": "goals", "sql": "SELECT count(*) FROM goals", "min": 1000},
                      {"name": "missing", "sql": "SELECT count(*) FROM no_such_table", "min": 0},
                      {"name": "text", "sql": "SELECT 'x'", "min": 0},
                      {"name": "cells", "sql": "SELECT count(*) FROM mandala_cells", "min": 1}]"#;
    let state = d.state(&[("DRILL_VERIFY_QUERIES", queries)]);
    d.invoke(&state, json!({})).await.unwrap();
    let reports = d.run_chain(&state).await;
    let last = reports.last().unwrap();
    assert_eq!(last.severity, Severity::Critical);
    let queries = last.extra["queries"].as_array().unwrap();
    let status: Vec<(&str, &str)> = queries
        .iter()
        .map(|q| (q["name"].as_str().unwrap(), q["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("goals", "critical"),
            ("missing", "critical"),
            ("text", "critical"),
            ("cells", "ok")
        ]
    );
    assert_eq!(queries[0]["value"], 12);
    assert!(
        queries[1]["error"]
            .as_str()
            .unwrap()
            .contains("no_such_table")
    );
    assert_eq!(last.extra["cleaned_up"], true);
    assert!(!d.drill_cluster_exists().await);
    assert!(
        !d.snapshot_tags()
            .await
            .iter()
            .any(|(k, _)| k == "restore-verified"),
        "a failed drill verifies nothing"
    );
    assert_eq!(d.inbox.take().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_drill_cluster_restore_drill_did_not_create_is_refused_untouched() {
    let d = Drill::start().await;
    bed::production::create_cluster(&d.rds, DRILL)
        .await
        .unwrap();
    d.bed.forget_requests().unwrap();
    let state = d.state(&[]);
    let report = d.invoke(&state, json!({})).await.unwrap();
    assert_eq!(report.severity, Severity::Critical);
    assert_eq!(
        finding(&report, "drill-cluster").status,
        FindingStatus::Critical
    );
    let writes: Vec<String> = d.bed.writes().unwrap().iter().map(|r| r.name()).collect();
    assert_eq!(writes, ["sns:Publish"], "nothing but the notification");
    assert!(d.schedules().await.is_empty());
    assert!(d.drill_cluster_exists().await);
}

#[tokio::test]
async fn a_retried_step_does_nothing_twice() {
    let d = Drill::start().await;
    let state = d.state(&[]);
    let event = json!({"scheduled_time": "2026-12-06T20:00:00Z"});
    let first = d.invoke(&state, event.clone()).await.unwrap();
    let again = d.invoke(&state, event).await.unwrap();
    assert_eq!(first.extra["drill_id"], again.extra["drill_id"]);
    assert_eq!(d.writes("RestoreDBClusterFromSnapshot"), 1);
    assert_eq!(d.schedules().await.len(), 2);
    // Every continuation delivered twice (Lambda's retry, Scheduler's at-least-once).
    let mut reports = Vec::new();
    loop {
        let Some(next) = d
            .schedules()
            .await
            .into_iter()
            .find(|s| !s.name.ends_with(DEADLINE_SUFFIX))
        else {
            break;
        };
        reports.push(d.invoke(&state, next.input.clone()).await.unwrap());
        reports.push(d.invoke(&state, next.input.clone()).await.unwrap());
        scheduler::complete(&d.bed.sdk_config(), GROUP, &next)
            .await
            .unwrap();
        assert!(reports.len() < 80);
    }
    assert_eq!(d.writes("CreateDBInstance"), 1);
    assert_eq!(d.inbox.take().await.unwrap().len(), 1, "one notification");
    assert_eq!(reports.last().unwrap().extra["step"], "report");
    assert!(!d.drill_cluster_exists().await);
}

#[tokio::test]
async fn the_deadline_cleans_up_after_a_lost_chain() {
    let d = Drill::start().await;
    let state = d.state(&[]);
    d.invoke(&state, json!({})).await.unwrap();
    // The chain is lost: its continuation never runs.
    let schedules = d.schedules().await;
    let (deadline, lost): (Vec<Schedule>, Vec<Schedule>) = schedules
        .into_iter()
        .partition(|s| s.name.ends_with(DEADLINE_SUFFIX));
    for s in &lost {
        scheduler::complete(&d.bed.sdk_config(), GROUP, s)
            .await
            .unwrap();
    }
    let deadline = &deadline[0];
    let report = d.invoke(&state, deadline.input.clone()).await.unwrap();
    assert_eq!(report.extra["timed_out"], true);
    let reports = d.run_chain(&state).await;
    let last = reports.last().unwrap();
    assert_eq!(last.severity, Severity::Critical);
    assert_eq!(finding(last, "deadline").status, FindingStatus::Critical);
    assert_eq!(last.extra["cleaned_up"], true);
    assert!(!d.drill_cluster_exists().await);
    assert!(d.schedules().await.is_empty());
    assert_eq!(d.inbox.take().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_dry_run_plans_and_creates_nothing() {
    let d = Drill::start().await;
    d.bed.forget_requests().unwrap();
    let state = d.state(&[]);
    let report = d.invoke(&state, json!({"dry_run": true})).await.unwrap();
    assert!(report.dry_run);
    assert!(
        report
            .actions
            .iter()
            .all(|a| a.result == shared::ActionResult::Planned)
    );
    let writes: Vec<String> = d.bed.writes().unwrap().iter().map(|r| r.name()).collect();
    assert_eq!(writes, ["sns:Publish"]);
    assert!(d.schedules().await.is_empty());
    assert!(!d.drill_cluster_exists().await);
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_read() {
    let d = Drill::start().await;
    let state = d.state(&[]);
    for payload in [
        json!([]),
        json!({"snapshot": 5}),
        json!({"snapshot": "no such id!"}),
        json!({"drill": {"id": "x", "step": "wait"}}),
        json!({"drill": {"id": "20261206T200000Z", "step": "wait", "snapshot": SNAPSHOT,
                          "started_at": "2026-12-06T20:00:00Z", "seq": 1}, "dry_run": true}),
    ] {
        d.bed.forget_requests().unwrap();
        let result = d.invoke(&state, payload.clone()).await;
        d.bed.assert_refused_untouched(&payload, result);
    }
}
