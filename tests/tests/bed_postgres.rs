//! The bed's PostgreSQL: plain and TLS with a throwaway CA, SCRAM logins over TCP.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use bed::{Postgres, PostgresOptions};

const PASSWORD: &str = "bed-password-1";

/// A started server with the app's login role.
fn server(options: PostgresOptions) -> Postgres {
    let pg = Postgres::start(options).unwrap();
    pg.psql(&format!(
        "CREATE ROLE goal_mandala_user LOGIN PASSWORD '{PASSWORD}'"
    ))
    .unwrap();
    pg
}

fn login(pg: &Postgres, password: &str, ssl: &str) -> Output {
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

/// Asserts a successful login and whether it used TLS.
fn assert_logged_in(output: &Output, tls: bool) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = format!("goal_mandala_user|{}", if tls { "t" } else { "f" });
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), expected);
}

fn verify_full(ca: &std::path::Path) -> String {
    format!("sslmode=verify-full sslrootcert={}", ca.display())
}

#[test]
fn plain_server_accepts_scram_logins_and_refuses_wrong_passwords() {
    let pg = server(PostgresOptions::default());
    assert_logged_in(&login(&pg, PASSWORD, "sslmode=disable"), false);
    assert!(!login(&pg, "wrong", "sslmode=disable").status.success());
}

#[test]
fn tls_server_verifies_against_its_ca_and_not_another() {
    let tls = PostgresOptions {
        tls: true,
        log_statements: false,
        ..PostgresOptions::default()
    };
    let pg = server(tls);
    assert_logged_in(&login(&pg, PASSWORD, &verify_full(&pg.ca_file())), true);

    let other = Postgres::start(tls).unwrap();
    let wrong = login(&pg, PASSWORD, &verify_full(&other.ca_file()));
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("certificate verify failed"));
}

#[test]
fn a_stopped_server_refuses_connections_until_started_again() {
    let pg = server(PostgresOptions {
        tls: false,
        log_statements: true,
        ..PostgresOptions::default()
    });
    pg.stop().unwrap();
    assert!(!login(&pg, PASSWORD, "sslmode=disable").status.success());
    pg.start_again().unwrap();
    assert_logged_in(&login(&pg, PASSWORD, "sslmode=disable"), false);
    let log = std::fs::read_to_string(pg.server_log()).unwrap();
    assert!(
        log.contains("statement: SELECT current_user"),
        "log_statement=all is on"
    );
}
