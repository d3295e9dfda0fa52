//! restore-drill's settings: the shared ones plus its own.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use shared::runbook::limits;
use shared::schedule::Schedules;
use shared::{Config, ConfigError, Env};

/// One verification query of `DRILL_VERIFY_QUERIES`: a `SELECT` of one
/// integer, at least `min`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyQuery {
    /// Its name in the report.
    pub name: String,
    /// The statement.
    pub sql: String,
    /// The least value that passes.
    pub min: i64,
}

/// Settings of a drill, read once at start-up.
#[derive(Debug, Clone)]
pub struct DrillConfig {
    /// The settings every function shares.
    pub common: Config,
    /// `DRILL_CLUSTER_ID` (`$DB_CLUSTER_ID-drill`): the cluster a drill restores to.
    pub drill_cluster_id: String,
    /// `DRILL_SECURITY_GROUP_IDS`: the drill's security groups (the source cluster's otherwise).
    pub security_group_ids: Option<Vec<String>>,
    /// `DRILL_MIN_TABLES` (1): user tables the restored database must hold.
    pub min_tables: i64,
    /// `DRILL_VERIFY_QUERIES` (`[]`).
    pub queries: Vec<VerifyQuery>,
    /// `DRILL_TIMEOUT_MINUTES` (90): when the deadline cleanup runs.
    pub timeout: Duration,
    /// `SCHEDULE_GROUP` and `SCHEDULER_ROLE_ARN`: the drill continues itself there.
    pub schedules: Schedules,
    /// `DB_CA_BUNDLE`: PEM bundle the restored cluster's certificate must chain to.
    pub ca_bundle: Option<PathBuf>,
    /// `DB_CONNECT_TIMEOUT_SECONDS` (5): one login attempt.
    pub connect_timeout: Duration,
}

impl DrillConfig {
    /// Reads the settings from `env`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let common = Config::from_env(env)?;
        common.require_topic()?;
        let drill_cluster_id = env.string_or(
            "DRILL_CLUSTER_ID",
            format!("{}-drill", common.db_cluster_id),
        );
        // Its instance is `<id>-instance-1`, itself an identifier: the room
        // a restore target has.
        if !limits::rds_identifier(&drill_cluster_id, limits::RESTORE_TARGET_MAX_LEN) {
            return Err(ConfigError::new(
                "DRILL_CLUSTER_ID",
                format!(
                    "expected a DB cluster identifier of at most {} characters: a letter first, then letters, digits and single hyphens",
                    limits::RESTORE_TARGET_MAX_LEN
                ),
            ));
        }
        if drill_cluster_id.eq_ignore_ascii_case(&common.db_cluster_id) {
            return Err(ConfigError::new(
                "DRILL_CLUSTER_ID",
                "must not be the production cluster (DB_CLUSTER_ID)",
            ));
        }
        let security_group_ids = match env.get("DRILL_SECURITY_GROUP_IDS") {
            None => None,
            Some(list) if list.trim().is_empty() => None,
            Some(list) => {
                let ids: Vec<String> = list.split(',').map(|s| s.trim().to_owned()).collect();
                let valid = |id: &String| {
                    id.strip_prefix("sg-").is_some_and(|hex| {
                        !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit())
                    })
                };
                if !ids.iter().all(valid) {
                    return Err(ConfigError::new(
                        "DRILL_SECURITY_GROUP_IDS",
                        "expected security group ids separated by commas (sg-0123abcd,…)",
                    ));
                }
                Some(ids)
            }
        };
        let min_tables: i64 = env.parse_or("DRILL_MIN_TABLES", 1)?;
        if min_tables < 0 {
            return Err(ConfigError::new("DRILL_MIN_TABLES", "expected 0 or more"));
        }
        let queries = match env.get("DRILL_VERIFY_QUERIES") {
            None => Vec::new(),
            Some(text) if text.trim().is_empty() => Vec::new(),
            Some(text) => parse_queries(text)?,
        };
        let timeout: u64 = env.parse_or("DRILL_TIMEOUT_MINUTES", 90)?;
        if !(15..=720).contains(&timeout) {
            return Err(ConfigError::new(
                "DRILL_TIMEOUT_MINUTES",
                "expected 15–720 minutes",
            ));
        }
        Ok(DrillConfig {
            drill_cluster_id,
            security_group_ids,
            min_tables,
            queries,
            timeout: Duration::from_secs(timeout * 60),
            schedules: Schedules::require(env)?,
            ca_bundle: env.get("DB_CA_BUNDLE").map(PathBuf::from),
            connect_timeout: shared::postgres::connect_timeout(env)?,
            common,
        })
    }

    /// The drill's first (and only) instance.
    pub fn drill_instance_id(&self) -> String {
        shared::rds::first_instance(&self.drill_cluster_id)
    }
}

/// `DRILL_VERIFY_QUERIES`: a JSON array of `{"name", "sql", "min"}`, each
/// `sql` one `SELECT` (a `WITH … SELECT` too), names unique.
fn parse_queries(text: &str) -> Result<Vec<VerifyQuery>, ConfigError> {
    let bad = |problem: String| ConfigError::new("DRILL_VERIFY_QUERIES", problem);
    let queries: Vec<VerifyQuery> = serde_json::from_str(text).map_err(|e| {
        bad(format!(
            "expected a JSON array of {{\"name\", \"sql\", \"min\"}} objects: {e}"
        ))
    })?;
    if queries.len() > 20 {
        return Err(bad("at most 20 queries".into()));
    }
    for (i, q) in queries.iter().enumerate() {
        let name_ok = !q.name.is_empty()
            && q.name.len() <= 64
            && q.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !name_ok {
            return Err(bad(format!(
                "query {}: `name` must be 1–64 of [0-9A-Za-z-_.]",
                i + 1
            )));
        }
        if queries[..i].iter().any(|other| other.name == q.name) {
            return Err(bad(format!("query `{}` is named twice", q.name)));
        }
        let sql = q.sql.trim().trim_end_matches(';').trim_end();
        let first = sql
            .split(|c: char| c.is_whitespace() || c == '(')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !(first == "select" || first == "with") || sql.contains(';') {
            return Err(bad(format!(
                "query `{}`: expected one SELECT statement returning one integer",
                q.name
            )));
        }
    }
    Ok(queries)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUIRED: [(&str, &str); 3] = [
        (
            "NOTIFY_TOPIC_ARN",
            "arn:aws:sns:ap-northeast-1:123456789012:ops",
        ),
        ("SCHEDULE_GROUP", "goal-mandala-production-ops"),
        (
            "SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/SchedulerRole",
        ),
    ];

    #[test]
    fn defaults_follow_the_cluster_and_the_design() {
        let c = DrillConfig::from_env(&Env::from_pairs(REQUIRED)).unwrap();
        assert_eq!(c.drill_cluster_id, "goal-mandala-production-drill");
        assert_eq!(
            c.drill_instance_id(),
            "goal-mandala-production-drill-instance-1"
        );
        assert_eq!((c.min_tables, c.queries.len()), (1, 0));
        assert_eq!(c.timeout, Duration::from_secs(90 * 60));
        assert_eq!(c.security_group_ids, None);
        let queries = r#"[{"name": "goals", "sql": "SELECT count(*) FROM goals;", "min": 1},
                          {"name": "recent", "sql": "with x as (select 1) select count(*) from x", "min": 0}]"#;
        let mut env = Env::from_pairs(REQUIRED);
        env.set("DRILL_VERIFY_QUERIES", queries);
        env.set("DRILL_SECURITY_GROUP_IDS", "sg-0abc, sg-12");
        let c = DrillConfig::from_env(&env).unwrap();
        assert_eq!(c.queries[0].min, 1);
        assert_eq!(
            c.security_group_ids,
            Some(vec!["sg-0abc".to_owned(), "sg-12".to_owned()])
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        let misnamed = shared::testing::bad_values_not_naming_their_variable(
            &REQUIRED,
            &[
                ("DRILL_CLUSTER_ID", "1drill"),
                ("DRILL_CLUSTER_ID", "goal-mandala-production"),
                ("DRILL_CLUSTER_ID", &"d".repeat(60)),
                ("DRILL_SECURITY_GROUP_IDS", "default"),
                ("DRILL_MIN_TABLES", "-1"),
                ("DRILL_VERIFY_QUERIES", "{}"),
                (
                    "DRILL_VERIFY_QUERIES",
                    r#"[{"name": "x", "sql": "DELETE FROM goals", "min": 0}]"#,
                ),
                (
                    "DRILL_VERIFY_QUERIES",
                    r#"[{"name": "x", "sql": "SELECT 1; DROP TABLE goals", "min": 0}]"#,
                ),
                (
                    "DRILL_VERIFY_QUERIES",
                    r#"[{"name": "x", "sql": "SELECT 1", "min": "one"}]"#,
                ),
                (
                    "DRILL_VERIFY_QUERIES",
                    r#"[{"name": "x", "sql": "SELECT 1", "min": 1}, {"name": "x", "sql": "SELECT 2", "min": 1}]"#,
                ),
                (
                    "DRILL_VERIFY_QUERIES",
                    r#"[{"name": "x y", "sql": "SELECT 1", "min": 1}]"#,
                ),
                ("DRILL_TIMEOUT_MINUTES", "5"),
                ("DB_CONNECT_TIMEOUT_SECONDS", "0"),
                ("SCHEDULER_ROLE_ARN", "role"),
            ],
            DrillConfig::from_env,
        );
        assert!(misnamed.is_empty(), "{misnamed:#?}");
        for missing in ["SCHEDULE_GROUP", "SCHEDULER_ROLE_ARN"] {
            let pairs: Vec<_> = REQUIRED
                .iter()
                .filter(|(k, _)| *k != missing)
                .copied()
                .collect();
            assert_eq!(
                DrillConfig::from_env(&Env::from_pairs(pairs))
                    .unwrap_err()
                    .variable,
                missing
            );
        }
    }
}
