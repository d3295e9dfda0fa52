//! Logging in to PostgreSQL with a DB secret: verified TLS (rustls with the
//! SDK's aws-lc-rs provider), a bounded login, and why a login failed.
//! Behind the `postgres` feature: only the functions that reach the
//! database pay for the driver.

mod secret;

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

pub use self::secret::{DEFAULT_DATABASE, DEFAULT_PORT, DbSecret, Tls};
use crate::ConfigError;

/// The DB secret's value at `stage` (and `version`, when given); `None` when
/// there is no such version or it has no value yet. Always names the stage:
/// a bare get can return a stale version while labels move.
pub async fn secret_at(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    stage: &str,
    version: Option<&str>,
) -> Result<Option<DbSecret>, crate::Error> {
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .version_stage(stage)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await;
    let out = crate::aws::found("GetSecretValue", out, |e| {
        e.is_resource_not_found_exception()
    })?;
    match out.as_ref().and_then(|o| o.secret_string()) {
        Some(value) if !value.is_empty() => DbSecret::parse(value).map(Some),
        _ => Ok(None),
    }
}

/// The default and the longest `DB_CONNECT_TIMEOUT_SECONDS`: one login
/// attempt, TLS and authentication included.
pub const CONNECT_TIMEOUT_MAX_SECONDS: u64 = 5;

/// `DB_CONNECT_TIMEOUT_SECONDS` (5; 1–5), read the one way every function
/// that logs in reads it.
pub fn connect_timeout(env: &crate::Env) -> Result<Duration, ConfigError> {
    let seconds: u64 = env.parse_or("DB_CONNECT_TIMEOUT_SECONDS", CONNECT_TIMEOUT_MAX_SECONDS)?;
    if !(1..=CONNECT_TIMEOUT_MAX_SECONDS).contains(&seconds) {
        return Err(ConfigError::new(
            "DB_CONNECT_TIMEOUT_SECONDS",
            format!("expected 1 to {CONNECT_TIMEOUT_MAX_SECONDS} seconds"),
        ));
    }
    Ok(Duration::from_secs(seconds))
}

/// How a function connects: verified TLS roots, the login time limit and its name.
#[derive(Clone)]
pub struct Connector {
    roots: Roots,
    /// The TLS set-up, made at the first TLS login (a run that never logs in
    /// over TLS never loads the system's roots).
    tls: Arc<OnceLock<Result<MakeRustlsConnect, String>>>,
    timeout: Duration,
    application_name: &'static str,
}

/// What the database certificate must chain to.
#[derive(Clone)]
enum Roots {
    /// `DB_CA_BUNDLE`, read and checked at start-up.
    Bundle(Arc<RootCertStore>),
    /// The system's roots, loaded when first needed.
    System,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// TLS trusting `ca_bundle` (`DB_CA_BUNDLE`, PEM; read and checked now)
    /// or, when `None`, the system's roots (loaded at the first TLS login);
    /// certificates and host names are always verified. Each login gives up
    /// after `timeout` and names itself `application_name`.
    pub fn new(
        ca_bundle: Option<&Path>,
        timeout: Duration,
        application_name: &'static str,
    ) -> Result<Self, ConfigError> {
        let roots = match ca_bundle {
            Some(path) => {
                let bad = |e: &dyn std::fmt::Display| {
                    ConfigError::new("DB_CA_BUNDLE", format!("{}: {e}", path.display()))
                };
                let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                    .map_err(|e| bad(&e))?
                    .collect::<Result<_, _>>()
                    .map_err(|e| bad(&e))?;
                let mut store = RootCertStore::empty();
                let (added, _) = store.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(ConfigError::new(
                        "DB_CA_BUNDLE",
                        format!("{} holds no usable CA certificate", path.display()),
                    ));
                }
                Roots::Bundle(Arc::new(store))
            }
            None => Roots::System,
        };
        Ok(Connector {
            roots,
            tls: Arc::new(OnceLock::new()),
            timeout,
            application_name,
        })
    }

    /// The verified-TLS set-up, made once.
    fn tls(&self) -> Result<MakeRustlsConnect, LoginError> {
        self.tls
            .get_or_init(|| {
                let roots = match &self.roots {
                    Roots::Bundle(store) => store.as_ref().clone(),
                    Roots::System => {
                        let mut store = RootCertStore::empty();
                        let found = rustls_native_certs::load_native_certs();
                        store.add_parsable_certificates(found.certs);
                        store
                    }
                };
                let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
                rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map(|b| {
                        MakeRustlsConnect::new(
                            b.with_root_certificates(roots).with_no_client_auth(),
                        )
                    })
                    .map_err(|e| format!("TLS set-up: {e}"))
            })
            .clone()
            .map_err(LoginError::Other)
    }

    /// Logs in as the secret's user. The error says why, never with the password.
    pub async fn login(&self, secret: &DbSecret) -> Result<Client, LoginError> {
        let mut pg = tokio_postgres::Config::new();
        pg.host(secret.host())
            .port(secret.port())
            .user(secret.username())
            .password(secret.password())
            .dbname(secret.database())
            .application_name(self.application_name)
            .connect_timeout(self.timeout);
        let tls = secret.tls().map_err(|e| LoginError::Other(e.to_string()))?;
        let tls_setup = match tls {
            Tls::VerifyFull => Some(self.tls()?),
            Tls::Disabled => None,
        };
        let attempt = async {
            match tls_setup {
                Some(verified) => {
                    pg.ssl_mode(SslMode::Require);
                    let (client, connection) = pg.connect(verified).await?;
                    tokio::spawn(connection);
                    Ok::<_, tokio_postgres::Error>(client)
                }
                None => {
                    tracing::warn!(
                        host = secret.host(),
                        "the secret sets \"ssl\": false: connecting WITHOUT TLS"
                    );
                    pg.ssl_mode(SslMode::Disable);
                    let (client, connection) = pg.connect(NoTls).await?;
                    tokio::spawn(connection);
                    Ok(client)
                }
            }
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Err(_) => Err(LoginError::Unreachable(format!(
                "no answer within {} s",
                self.timeout.as_secs()
            ))),
            Ok(Ok(client)) => Ok(client),
            Ok(Err(err)) => Err(LoginError::classify(&err)),
        }
    }
}

/// Why a login failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// The server refused the credentials (wrong password or no such role).
    Refused(String),
    /// No server answered: down, network or security group, TLS failure.
    Unreachable(String),
    /// The server is at its connection limit, or the role at its own
    /// (SQLSTATE 53300, `too_many_connections`).
    TooManyConnections(String),
    /// Anything else.
    Other(String),
}

impl LoginError {
    fn classify(err: &tokio_postgres::Error) -> Self {
        let text = db_error_text(err);
        match err.code() {
            Some(code)
                if *code == SqlState::INVALID_PASSWORD
                    || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
            {
                LoginError::Refused(text)
            }
            Some(code) if *code == SqlState::TOO_MANY_CONNECTIONS => {
                LoginError::TooManyConnections(text)
            }
            Some(_) => LoginError::Other(text),
            None => LoginError::Unreachable(text),
        }
    }
}

impl std::fmt::Display for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoginError::Refused(e) => write!(f, "login refused: {e}"),
            LoginError::Unreachable(e) => write!(f, "database unreachable: {e}"),
            LoginError::TooManyConnections(e) => write!(f, "too many connections: {e}"),
            LoginError::Other(e) => write!(f, "login failed: {e}"),
        }
    }
}

impl std::error::Error for LoginError {}

/// The driver's message with its cause chain; tokio-postgres never puts the
/// password in an error.
pub fn db_error_text(err: &tokio_postgres::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
