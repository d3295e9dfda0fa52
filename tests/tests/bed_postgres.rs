//! The bed's PostgreSQL: plain and TLS with a throwaway CA, SCRAM logins over TCP.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use bed::{Postgres, PostgresOptions};

fn login(pg: &Postgres, password: &str, ssl: &str) -> std::process::Output {
    let conninfo = format!(
        "host=127.0.0.1 port={} user=goal_mandala_user dbname=postgres {ssl} connect_timeout=5",
        pg.port()
    );
    Command::new("psql")
        .arg(conninfo)
        .args([
            "-tAc",
            "SELECT current_user, (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())",
        ])
        .env("PGPASSWORD", password)
        .output()
        .unwrap()
}

#[test]
fn plain_server_accepts_scram_logins_and_refuses_wrong_passwords() {
    let pg = Postgres::start(PostgresOptions::default()).unwrap();
    pg.psql("CREATE ROLE goal_mandala_user LOGIN PASSWORD 'bed-password-1'")
        .unwrap();

    let ok = login(&pg, "bed-password-1", "sslmode=disable");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout).trim(),
        "goal_mandala_user|f"
    );
    assert!(!login(&pg, "wrong", "sslmode=disable").status.success());
}

#[test]
fn tls_server_verifies_against_its_ca_and_not_another() {
    let pg = Postgres::start(PostgresOptions {
        tls: true,
        log_statements: false,
    })
    .unwrap();
    pg.psql("CREATE ROLE goal_mandala_user LOGIN PASSWORD 'bed-password-1'")
        .unwrap();
    let ca = pg.ca_file();

    let ok = login(
        &pg,
        "bed-password-1",
        &format!("sslmode=verify-full sslrootcert={}", ca.display()),
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout).trim(),
        "goal_mandala_user|t"
    );

    let other = Postgres::start(PostgresOptions {
        tls: true,
        log_statements: false,
    })
    .unwrap();
    let wrong = login(
        &pg,
        "bed-password-1",
        &format!(
            "sslmode=verify-full sslrootcert={}",
            other.ca_file().display()
        ),
    );
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("certificate verify failed"));
}

#[test]
fn a_stopped_server_refuses_connections_until_started_again() {
    let pg = Postgres::start(PostgresOptions {
        tls: false,
        log_statements: true,
    })
    .unwrap();
    pg.psql("CREATE ROLE goal_mandala_user LOGIN PASSWORD 'bed-password-1'")
        .unwrap();
    pg.stop().unwrap();
    assert!(
        !login(&pg, "bed-password-1", "sslmode=disable")
            .status
            .success()
    );
    pg.start_again().unwrap();
    assert!(
        login(&pg, "bed-password-1", "sslmode=disable")
            .status
            .success()
    );
    let log = std::fs::read_to_string(pg.server_log()).unwrap();
    assert!(
        log.contains("statement: SELECT current_user"),
        "log_statement=all is on"
    );
}
