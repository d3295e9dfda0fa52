//! Setting a password and proving a login, over the shared connector.

use shared::Error;
use shared::postgres::db_error_text;
pub use shared::postgres::{Connector, LoginError};
use tokio_postgres::Client;

use crate::scram::{alter_role_sql, verifier};

/// Sets `user`'s password to the SCRAM verifier of `password`: the plaintext
/// never leaves this process.
pub async fn set_password(client: &Client, user: &str, password: &str) -> Result<(), Error> {
    client
        .batch_execute(&alter_role_sql(user, &verifier(password)))
        .await
        .map_err(|e| Error::Database {
            message: format!("ALTER ROLE for {user} failed: {}", db_error_text(&e)),
            source: Some(Box::new(e)),
        })
}

/// Runs a query as the logged-in user, proving the login is usable.
pub async fn check_query(client: &Client) -> Result<(), Error> {
    client
        .simple_query("SELECT now()")
        .await
        .map(drop)
        .map_err(|e| Error::Database {
            message: format!("test query failed: {}", db_error_text(&e)),
            source: Some(Box::new(e)),
        })
}
