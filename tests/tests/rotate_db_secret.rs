//! rotate-db-secret driven step by step as Secrets Manager drives it, against
//! the emulated Secrets Manager and a real PostgreSQL (plain and verified TLS).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use aws_sdk_secretsmanager::Client as SecretsManager;
use bed::{Bed, Inbox, Postgres, PostgresOptions, capture_logs};
use lambda_runtime::{Context, LambdaEvent};
use rotate_db_secret::{RotateDbSecret, RotationConfig};
use serde_json::{Value, json};
use shared::entry::handle;
use shared::{Env, Error, ErrorType};

const SECRET: &str = "goal-mandala/production/database";
const USER: &str = "goal_mandala_user";
const FIRST_PASSWORD: &str = "Initial-Pass-0001-xyz";

/// The emulated account, a database with the app's role, and the secret.
struct Rotation {
    bed: Bed,
    pg: Postgres,
    sm: SecretsManager,
    inbox: Inbox,
    state: RotateDbSecret,
}

#[derive(Clone, Copy)]
enum Setup {
    /// Plain TCP, `"ssl": false` in the secret.
    Plain,
    /// TLS, no `ssl` key, `DB_CA_BUNDLE` = the server's CA.
    Tls,
    /// TLS, no `ssl` key, `DB_CA_BUNDLE` = some other CA.
    TlsWrongCa,
}

impl Rotation {
    async fn start(setup: Setup) -> Rotation {
        let tls = !matches!(setup, Setup::Plain);
        let pg = Postgres::start(PostgresOptions {
            tls,
            log_statements: true,
            ..PostgresOptions::default()
        })
        .unwrap();
        // Keep the test's own CREATE ROLE (with the first password) out of the server log.
        pg.psql_unlogged(&format!(
            "CREATE ROLE {USER} LOGIN PASSWORD '{FIRST_PASSWORD}'"
        ))
        .unwrap();
        pg.psql(&format!("CREATE DATABASE goal_mandala OWNER {USER}"))
            .unwrap();
        let bed = Bed::start().unwrap();
        let sdk = bed.sdk_config();
        let sm = SecretsManager::new(&sdk);
        let inbox = Inbox::ops(&sdk).await.unwrap();
        let mut secret = json!({
            "username": USER, "password": FIRST_PASSWORD, "host": "127.0.0.1",
            "port": pg.port(), "database": "goal_mandala", "app": {"pool": 5}
        });
        if !tls {
            secret["ssl"] = json!(false);
        }
        sm.create_secret()
            .name(SECRET)
            .secret_string(secret.to_string())
            .send()
            .await
            .unwrap();

        let mut env = Env::from_pairs([("NOTIFY_TOPIC_ARN", inbox.topic_arn.as_str())]);
        let _other;
        match setup {
            Setup::Plain => {}
            Setup::Tls => env.set("DB_CA_BUNDLE", pg.ca_file().display().to_string()),
            Setup::TlsWrongCa => {
                _other = Postgres::start(PostgresOptions {
                    tls: true,
                    log_statements: false,
                    ..PostgresOptions::default()
                })
                .unwrap();
                let copy = std::env::temp_dir().join(format!("wrong-ca-{}.pem", pg.port()));
                std::fs::copy(_other.ca_file(), &copy).unwrap();
                env.set("DB_CA_BUNDLE", copy.display().to_string());
            }
        }
        let state = RotateDbSecret::new(
            RotationConfig::from_env(&env).unwrap(),
            &bed.function_sdk_config("rotate-db-secret"),
        )
        .unwrap();
        Rotation {
            bed,
            pg,
            sm,
            inbox,
            state,
        }
    }

    /// Starts a rotation as Secrets Manager would: a new version staged
    /// AWSPENDING, AWSCURRENT and AWSPREVIOUS where they were (moto moves
    /// AWSCURRENT itself, so the labels are put back: `bed::rotation::begin`).
    async fn begin(&self) -> String {
        let holder = |stages: &[(String, Vec<String>)], stage: &str| {
            stages
                .iter()
                .find(|(_, s)| s.iter().any(|x| x == stage))
                .map(|(v, _)| v.clone())
        };
        let current = holder(&self.stages().await, "AWSCURRENT").unwrap();
        let token = bed::rotation::begin(&self.sm, SECRET).await.unwrap();
        let stages = self.stages().await;
        assert_eq!(
            stages.iter().find(|(v, _)| *v == token).unwrap().1,
            vec!["AWSPENDING".to_owned()]
        );
        assert_eq!(holder(&stages, "AWSCURRENT"), Some(current));
        token
    }

    async fn stages(&self) -> Vec<(String, Vec<String>)> {
        bed::rotation::stages(&self.sm, SECRET).await.unwrap()
    }

    async fn value(&self, stage: &str) -> Value {
        let out = self
            .sm
            .get_secret_value()
            .secret_id(SECRET)
            .version_stage(stage)
            .send()
            .await
            .unwrap();
        serde_json::from_str(out.secret_string().unwrap()).unwrap()
    }

    /// The AWSPENDING value of version `token`.
    async fn pending(&self, token: &str) -> Value {
        let out = self
            .sm
            .get_secret_value()
            .secret_id(SECRET)
            .version_id(token)
            .version_stage("AWSPENDING")
            .send()
            .await
            .unwrap();
        serde_json::from_str(out.secret_string().unwrap()).unwrap()
    }

    /// Runs `steps` in order, each of which must succeed.
    async fn steps(&self, token: &str, steps: &[&str]) {
        for step in steps {
            self.step(token, step)
                .await
                .unwrap_or_else(|e| panic!("{step}: {e}"));
        }
    }

    async fn step(&self, token: &str, step: &str) -> Result<(), Error> {
        let event = json!({"SecretId": SECRET, "ClientRequestToken": token, "Step": step});
        handle(
            &self.state,
            LambdaEvent::new(event.into(), Context::default()),
        )
        .await
    }

    async fn rotate(&self, token: &str) {
        self.steps(
            token,
            &["createSecret", "setSecret", "testSecret", "finishSecret"],
        )
        .await;
    }

    /// Whether `password` logs in as the app's user (with the server's CA when TLS).
    fn logs_in(&self, password: &str, tls: bool) -> bool {
        let ssl = if tls {
            format!(
                "sslmode=verify-full sslrootcert={}",
                self.pg.ca_file().display()
            )
        } else {
            "sslmode=disable".to_owned()
        };
        Command::new("psql")
            .arg(format!(
                "host=127.0.0.1 port={} user={USER} dbname=goal_mandala {ssl} connect_timeout=5",
                self.pg.port()
            ))
            .args(["-tAc", "SELECT 1"])
            .env("PGPASSWORD", password)
            .output()
            .unwrap()
            .status
            .success()
    }
}

#[tokio::test]
async fn a_full_rotation_over_verified_tls_changes_the_password_and_leaks_it_nowhere() {
    let (logs, _guard) = capture_logs();
    let r = Rotation::start(Setup::Tls).await;
    let before = r.value("AWSCURRENT").await;
    let token = r.begin().await;

    r.rotate(&token).await;

    let after = r.value("AWSCURRENT").await;
    let new_password = after["password"].as_str().unwrap().to_owned();
    assert_ne!(new_password, FIRST_PASSWORD);
    assert_eq!(new_password.chars().count(), 32);
    assert!(!new_password.chars().any(|c| ":/@\"'\\ ".contains(c)));
    let mut expected = before.clone();
    expected["password"] = json!(new_password);
    assert_eq!(
        after, expected,
        "every other key keeps its value and JSON type"
    );
    assert!(r.logs_in(&new_password, true));
    assert!(!r.logs_in(FIRST_PASSWORD, true));
    let stages = r.stages().await;
    assert!(
        stages
            .iter()
            .find(|(v, _)| *v == token)
            .unwrap()
            .1
            .contains(&"AWSCURRENT".to_owned())
    );
    assert_eq!(r.value("AWSPREVIOUS").await["password"], FIRST_PASSWORD);

    let reports = r.inbox.take().await.unwrap();
    assert_eq!(
        reports.len(),
        1,
        "one notification, at the end of finishSecret"
    );
    assert_eq!(reports[0]["severity"], "info");
    assert!(
        reports[0]["findings"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("次回")
    );

    let server_log = std::fs::read_to_string(r.pg.server_log()).unwrap();
    assert!(
        server_log.contains("ALTER ROLE"),
        "log_statement=all captured the change"
    );
    let captured = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(captured.contains("rotation step finished"));
    for (place, text) in [
        ("server log", &server_log),
        ("function logs", &captured),
        ("report", &reports[0].to_string()),
    ] {
        for secret in [FIRST_PASSWORD, new_password.as_str()] {
            if let Some(at) = text.find(secret) {
                panic!(
                    "a password appears in the {place}: …{}…",
                    &text[at.saturating_sub(200)..(at + 40).min(text.len())]
                );
            }
        }
    }
    assert!(
        !captured.contains("SCRAM-SHA-256$"),
        "no verifier in the function logs"
    );
}

#[tokio::test]
async fn every_step_twice_and_a_second_rotation_work() {
    let r = Rotation::start(Setup::Plain).await;
    let token = r.begin().await;
    r.step(&token, "createSecret").await.unwrap();
    let pending = r.pending(&token).await;
    r.step(&token, "createSecret").await.unwrap();
    let again = r.pending(&token).await;
    assert_eq!(pending, again, "createSecret never regenerates");
    r.steps(
        &token,
        &[
            "setSecret",
            "setSecret",
            "testSecret",
            "testSecret",
            "finishSecret",
            "finishSecret",
        ],
    )
    .await;
    let first = r.value("AWSCURRENT").await["password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(r.logs_in(&first, false));
    assert_eq!(
        r.inbox.take().await.unwrap().len(),
        1,
        "a repeated finishSecret does not notify again"
    );

    let second_token = r.begin().await;
    r.rotate(&second_token).await;
    let second = r.value("AWSCURRENT").await["password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(second, first);
    assert!(r.logs_in(&second, false));
    assert!(!r.logs_in(&first, false));
    assert_eq!(r.value("AWSPREVIOUS").await["password"], json!(first));
}

#[tokio::test]
async fn a_database_still_on_the_awsprevious_password_is_moved_with_it() {
    let r = Rotation::start(Setup::Plain).await;
    r.rotate(&r.begin().await).await;
    // The database went back to the first password (a restore, a manual
    // change): AWSCURRENT no longer logs in, AWSPREVIOUS does.
    r.pg.psql_unlogged(&format!("ALTER ROLE {USER} PASSWORD '{FIRST_PASSWORD}'"))
        .unwrap();
    assert_eq!(r.value("AWSPREVIOUS").await["password"], FIRST_PASSWORD);

    let token = r.begin().await;
    r.rotate(&token).await;

    let newest = r.value("AWSCURRENT").await["password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(r.logs_in(&newest, false));
    assert!(!r.logs_in(FIRST_PASSWORD, false));
}

#[tokio::test]
async fn database_down_at_set_secret_keeps_awscurrent_working_and_a_rerun_completes() {
    let r = Rotation::start(Setup::Plain).await;
    let token = r.begin().await;
    r.step(&token, "createSecret").await.unwrap();
    r.pg.stop().unwrap();

    let err = r.step(&token, "setSecret").await.unwrap_err();

    assert_eq!(err.error_type(), ErrorType::Database, "{err}");
    let reports = r.inbox.take().await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["severity"], "critical");
    r.pg.start_again().unwrap();
    assert!(r.logs_in(FIRST_PASSWORD, false), "AWSCURRENT still logs in");
    r.steps(&token, &["setSecret", "testSecret", "finishSecret"])
        .await;
    let new_password = r.value("AWSCURRENT").await["password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(r.logs_in(&new_password, false));
}

#[tokio::test]
async fn a_password_already_set_in_the_database_is_not_set_again() {
    let r = Rotation::start(Setup::Plain).await;
    let token = r.begin().await;
    r.step(&token, "createSecret").await.unwrap();
    let pending = r.pending(&token).await;
    let password = pending["password"].as_str().unwrap();
    r.pg.psql_unlogged(&format!("ALTER ROLE {USER} PASSWORD '{password}'"))
        .unwrap();
    let statements_before = std::fs::read_to_string(r.pg.server_log())
        .unwrap()
        .matches("ALTER ROLE")
        .count();

    r.steps(&token, &["setSecret", "testSecret", "finishSecret"])
        .await;

    let statements_after = std::fs::read_to_string(r.pg.server_log())
        .unwrap()
        .matches("ALTER ROLE")
        .count();
    assert_eq!(
        statements_before, statements_after,
        "no ALTER ROLE when the pending password already works"
    );
    assert!(r.logs_in(password, false));
}

#[tokio::test]
async fn a_wrong_token_or_step_is_invalid_input_and_changes_nothing() {
    let r = Rotation::start(Setup::Plain).await;
    let token = r.begin().await;
    let before = r.stages().await;
    for (token, step) in [
        ("not-a-version", "createSecret"),
        (token.as_str(), "rotateSecret"),
    ] {
        let err = r.step(token, step).await.unwrap_err();
        assert_eq!(err.error_type(), ErrorType::InvalidInput, "{err}");
    }
    let current = r
        .stages()
        .await
        .into_iter()
        .find(|(_, s)| s.contains(&"AWSCURRENT".to_owned()))
        .unwrap()
        .0;
    let err = r.step(&current, "createSecret").await;
    assert!(err.is_ok(), "a token already AWSCURRENT is a no-op");
    let mut after = r.stages().await;
    let mut before = before;
    after.sort();
    before.sort();
    assert_eq!(before, after);
    assert!(
        r.inbox.take().await.unwrap().is_empty(),
        "bad input is not notified"
    );
    assert!(r.logs_in(FIRST_PASSWORD, false));
}

#[tokio::test]
async fn a_database_certificate_from_another_ca_is_refused_and_nothing_changes() {
    let r = Rotation::start(Setup::TlsWrongCa).await;
    let token = r.begin().await;
    r.step(&token, "createSecret").await.unwrap();

    let err = r.step(&token, "setSecret").await.unwrap_err();

    assert_eq!(err.error_type(), ErrorType::Database);
    assert!(
        err.to_string().to_lowercase().contains("certificate")
            || err.to_string().contains("unreachable"),
        "{err}"
    );
    assert!(
        r.logs_in(FIRST_PASSWORD, true),
        "the password was not changed"
    );
    let _ = &r.bed;
}

#[tokio::test]
async fn a_new_password_that_cannot_log_in_is_rolled_back_to_awscurrent() {
    let r = Rotation::start(Setup::Plain).await;
    let token = r.begin().await;
    r.step(&token, "createSecret").await.unwrap();
    // One connection per role: setSecret's own session takes it, so the
    // fresh login that proves the new password is refused.
    r.pg.psql(&format!("ALTER ROLE {USER} CONNECTION LIMIT 1"))
        .unwrap();

    let err = r.step(&token, "setSecret").await.unwrap_err();

    assert_eq!(err.error_type(), ErrorType::Database, "{err}");
    assert!(err.to_string().contains("put back"), "{err}");
    r.pg.psql(&format!("ALTER ROLE {USER} CONNECTION LIMIT -1"))
        .unwrap();
    assert!(r.logs_in(FIRST_PASSWORD, false), "AWSCURRENT logs in again");
    let pending = r.pending(&token).await;
    assert!(!r.logs_in(pending["password"].as_str().unwrap(), false));
    let reports = r.inbox.take().await.unwrap();
    assert_eq!(reports[0]["severity"], "critical");
    // Once the cause is gone, the rerun completes the rotation.
    r.steps(&token, &["setSecret", "testSecret", "finishSecret"])
        .await;
    assert!(r.logs_in(
        r.value("AWSCURRENT").await["password"].as_str().unwrap(),
        false
    ));
}
