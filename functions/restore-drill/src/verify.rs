//! The proof: log in to the restored cluster with the DB secret (verified
//! TLS; `AWSCURRENT`, then `AWSPREVIOUS` — the snapshot may predate the last
//! rotation), and in a read-only transaction count the user tables and run
//! the verification queries.

use aws_sdk_secretsmanager::Client as Secrets;
use chrono::{DateTime, Utc};
use shared::Error;
use shared::postgres::{Connector, LoginError, db_error_text, secret_at};

use crate::config::VerifyQuery;
use crate::request::{QueryValue, Verified};

/// Why the verification could not log in, in words (never the password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoLogin(pub String);

/// Logs in at `host:port` with `AWSCURRENT`, then (refused) `AWSPREVIOUS`;
/// returns the session and which version worked.
pub async fn login(
    connector: &Connector,
    secrets: &Secrets,
    secret_id: &str,
    host: &str,
    port: u16,
) -> Result<Result<(tokio_postgres::Client, &'static str), NoLogin>, Error> {
    let Some(current) = secret_at(secrets, secret_id, "AWSCURRENT", None).await? else {
        return Ok(Err(NoLogin(format!(
            "{secret_id} has no AWSCURRENT version"
        ))));
    };
    let refused_current = match connector.login(&current.at_endpoint(host, port)).await {
        Ok(client) => return Ok(Ok((client, "AWSCURRENT"))),
        Err(LoginError::Refused(why)) => why,
        Err(other) => return Ok(Err(NoLogin(other.to_string()))),
    };
    let Some(previous) = secret_at(secrets, secret_id, "AWSPREVIOUS", None).await? else {
        return Ok(Err(NoLogin(format!(
            "AWSCURRENT refused ({refused_current}); the secret has no AWSPREVIOUS"
        ))));
    };
    let previous = previous.with_tls_of(&current).at_endpoint(host, port);
    match connector.login(&previous).await {
        Ok(client) => Ok(Ok((client, "AWSPREVIOUS"))),
        Err(err) => Ok(Err(NoLogin(format!(
            "AWSCURRENT refused ({refused_current}); AWSPREVIOUS: {err}"
        )))),
    }
}

/// User tables: every base table outside the system schemas.
const TABLES: &str = "SELECT count(*) FROM information_schema.tables \
     WHERE table_type = 'BASE TABLE' \
     AND table_schema NOT IN ('pg_catalog', 'information_schema')";

/// One integer from the first column of the only row, whatever its width.
async fn one_integer(client: &tokio_postgres::Client, sql: &str) -> Result<i64, String> {
    let rows = client
        .query(sql, &[])
        .await
        .map_err(|e| db_error_text(&e))?;
    let [row] = rows.as_slice() else {
        return Err(format!("returned {} rows, not one", rows.len()));
    };
    if row.len() != 1 {
        return Err(format!("returned {} columns, not one", row.len()));
    }
    row.try_get::<_, i64>(0)
        .or_else(|_| row.try_get::<_, i32>(0).map(i64::from))
        .or_else(|_| row.try_get::<_, i16>(0).map(i64::from))
        .map_err(|_| {
            format!(
                "returned a {}, not an integer",
                row.columns().first().map_or("value", |c| c.type_().name())
            )
        })
}

/// Counts the tables and runs `queries` in one read-only transaction.
pub async fn check(
    client: &tokio_postgres::Client,
    min_tables: i64,
    queries: &[VerifyQuery],
    credentials: &'static str,
    logged_in_at: DateTime<Utc>,
) -> Verified {
    let mut verified = Verified {
        logged_in_at: Some(logged_in_at),
        credentials: Some(credentials.to_owned()),
        tables: None,
        queries: Vec::new(),
        passed: false,
    };
    if let Err(e) = client
        .batch_execute("BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = '30s'")
        .await
    {
        verified.queries.push(QueryValue {
            name: "read-only-transaction".into(),
            value: None,
            min: 0,
            status: "critical".into(),
            error: Some(db_error_text(&e)),
        });
        return verified;
    }
    let tables = one_integer(client, TABLES).await;
    verified.tables = tables.as_ref().ok().copied();
    let mut passed = tables.is_ok_and(|n| n >= min_tables);
    for q in queries {
        let value = one_integer(client, &q.sql).await;
        // A failed statement aborts the transaction: the next one starts clean.
        if value.is_err() {
            let _ = client
                .batch_execute(
                    "ROLLBACK; BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = '30s'",
                )
                .await;
        }
        let ok = value.as_ref().is_ok_and(|v| *v >= q.min);
        passed &= ok;
        verified.queries.push(QueryValue {
            name: q.name.clone(),
            value: value.as_ref().ok().copied(),
            min: q.min,
            status: if ok { "ok" } else { "critical" }.into(),
            error: value.err(),
        });
    }
    let _ = client.batch_execute("ROLLBACK").await;
    verified.passed = passed;
    verified
}
