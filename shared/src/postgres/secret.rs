//! The DB credentials secret: both shapes (the runbook's `database`, AWS's
//! `dbname` + `engine`), every other key kept with its value and JSON type.

use std::fmt;

use crate::{ConfigError, Error};
use serde_json::{Map, Value};

/// Port PostgreSQL listens on when the secret doesn't say.
pub const DEFAULT_PORT: u16 = 5432;
/// Database logged into when the secret doesn't say.
pub const DEFAULT_DATABASE: &str = "postgres";

/// How to reach the database, from the secret's `ssl` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// `ssl` absent or true: TLS, certificate and host name verified.
    VerifyFull,
    /// `"ssl": false`: plaintext, an explicit opt-out (logged as a warning).
    Disabled,
}

/// One version of the secret. `Debug` never shows the password.
#[derive(Clone, PartialEq)]
pub struct DbSecret {
    fields: Map<String, Value>,
}

impl fmt::Debug for DbSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbSecret")
            .field("username", &self.username())
            .field("host", &self.host())
            .field("port", &self.port())
            .field("database", &self.database())
            .field("password", &"<redacted>")
            .finish()
    }
}

fn malformed(problem: impl fmt::Display) -> Error {
    Error::Config(ConfigError::new(
        "DB_SECRET_ID",
        format!("the secret's value {problem}"),
    ))
}

impl DbSecret {
    /// Parses a `SecretString`. The error never quotes the value.
    pub fn parse(secret_string: &str) -> Result<Self, Error> {
        let value: Value =
            serde_json::from_str(secret_string).map_err(|_| malformed("is not a JSON object"))?;
        let Value::Object(fields) = value else {
            return Err(malformed("is not a JSON object"));
        };
        let secret = DbSecret { fields };
        for key in ["username", "password", "host"] {
            if secret.text(key).is_none_or(str::is_empty) {
                return Err(malformed(format!("has no `{key}` string")));
            }
        }
        secret.port_checked()?;
        secret.tls()?;
        if let Some(engine) = secret.text("engine")
            && !engine.starts_with("postgres")
        {
            return Err(malformed(format!(
                "is for engine `{engine}`, not PostgreSQL"
            )));
        }
        Ok(secret)
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }

    /// `username`.
    pub fn username(&self) -> &str {
        self.text("username").unwrap_or_default()
    }

    /// `password`.
    pub fn password(&self) -> &str {
        self.text("password").unwrap_or_default()
    }

    /// `host`.
    pub fn host(&self) -> &str {
        self.text("host").unwrap_or_default()
    }

    /// `port` (a number or a numeric string), 5432 when absent.
    pub fn port(&self) -> u16 {
        self.port_checked().unwrap_or(DEFAULT_PORT)
    }

    fn port_checked(&self) -> Result<u16, Error> {
        let bad = || malformed("has a `port` that is not a TCP port");
        match self.fields.get("port") {
            None | Some(Value::Null) => Ok(DEFAULT_PORT),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(bad),
            Some(Value::String(s)) => s.trim().parse().map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    }

    /// `database` (the runbook's key), else `dbname` (AWS's), else `postgres`.
    pub fn database(&self) -> &str {
        self.text("database")
            .or_else(|| self.text("dbname"))
            .filter(|d| !d.is_empty())
            .unwrap_or(DEFAULT_DATABASE)
    }

    /// TLS from `ssl`: absent or true → verify-full; false → plaintext.
    /// Anything else is an error, never a silent downgrade.
    pub fn tls(&self) -> Result<Tls, Error> {
        match self.fields.get("ssl") {
            None | Some(Value::Null) | Some(Value::Bool(true)) => Ok(Tls::VerifyFull),
            Some(Value::Bool(false)) => Ok(Tls::Disabled),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Tls::VerifyFull),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Tls::Disabled),
            Some(_) => Err(malformed("has an `ssl` that is neither true nor false")),
        }
    }

    /// This secret with `password` replaced and every other key untouched.
    pub fn with_password(&self, password: &str) -> DbSecret {
        let mut fields = self.fields.clone();
        fields.insert("password".to_owned(), Value::String(password.to_owned()));
        DbSecret { fields }
    }

    /// This secret with `ssl` taken from `other` (a previous version is
    /// tried with the current TLS settings, as AWS's template does).
    pub fn with_tls_of(&self, other: &DbSecret) -> DbSecret {
        let mut fields = self.fields.clone();
        match other.fields.get("ssl") {
            Some(ssl) => fields.insert("ssl".to_owned(), ssl.clone()),
            None => fields.remove("ssl"),
        };
        DbSecret { fields }
    }

    /// This secret pointed at another endpoint (a restored copy of the
    /// cluster): `host` and `port` replaced, every other key untouched.
    pub fn at_endpoint(&self, host: &str, port: u16) -> DbSecret {
        let mut fields = self.fields.clone();
        fields.insert("host".to_owned(), Value::String(host.to_owned()));
        fields.insert("port".to_owned(), Value::from(port));
        DbSecret { fields }
    }

    /// The JSON to store as a `SecretString`.
    pub fn to_secret_string(&self) -> String {
        Value::Object(self.fields.clone()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const RUNBOOK: &str = r#"{"username":"goal_mandala_user","password":"old-Pass-1","host":"goal-mandala-production.cluster-abc.ap-northeast-1.rds.amazonaws.com","port":5432,"database":"goal_mandala"}"#;
    const AWS: &str = r#"{"engine":"postgres","username":"app","password":"old-Pass-1","host":"db.example","port":"6432","dbname":"appdb","masterarn":"arn:x","ssl":"true"}"#;

    #[test]
    fn the_runbook_shape_is_read() {
        let s = DbSecret::parse(RUNBOOK).unwrap();
        assert_eq!(s.username(), "goal_mandala_user");
        assert_eq!(s.port(), 5432);
        assert_eq!(s.database(), "goal_mandala");
        assert_eq!(s.tls().unwrap(), Tls::VerifyFull);
    }

    #[test]
    fn the_aws_shape_is_read() {
        let s = DbSecret::parse(AWS).unwrap();
        assert_eq!(
            (s.username(), s.host(), s.port(), s.database()),
            ("app", "db.example", 6432, "appdb")
        );
        assert_eq!(s.tls().unwrap(), Tls::VerifyFull);
    }

    #[test]
    fn a_new_password_keeps_every_other_key_and_its_json_type() {
        let s = DbSecret::parse(AWS).unwrap().with_password("new-Pass-2");
        let v: Value = serde_json::from_str(&s.to_secret_string()).unwrap();
        let expected: Value =
            serde_json::from_str(&AWS.replace("old-Pass-1", "new-Pass-2")).unwrap();
        assert_eq!(v, expected);
        assert_eq!(v["port"], json!("6432"), "a string port stays a string");
        let s = DbSecret::parse(RUNBOOK).unwrap().with_password("x");
        let v: Value = serde_json::from_str(&s.to_secret_string()).unwrap();
        assert_eq!(v["port"], json!(5432), "a number port stays a number");
    }

    #[test]
    fn ssl_false_is_an_explicit_opt_out_and_junk_is_refused() {
        for (ssl, expected) in [
            (json!(false), Tls::Disabled),
            (json!("FALSE"), Tls::Disabled),
            (json!(true), Tls::VerifyFull),
        ] {
            let mut v: Value = serde_json::from_str(RUNBOOK).unwrap();
            v["ssl"] = ssl;
            assert_eq!(
                DbSecret::parse(&v.to_string()).unwrap().tls().unwrap(),
                expected
            );
        }
        let mut v: Value = serde_json::from_str(RUNBOOK).unwrap();
        v["ssl"] = json!("maybe");
        assert!(DbSecret::parse(&v.to_string()).is_err());
    }

    #[test]
    fn malformed_secrets_are_refused_without_quoting_the_value() {
        for bad in [
            "not json old-Pass-1".to_owned(),
            "[\"old-Pass-1\"]".to_owned(),
            RUNBOOK.replace("\"username\"", "\"user\""),
            RUNBOOK.replace("5432", "70000"),
            AWS.replace("\"postgres\"", "\"mysql\""),
        ] {
            let err = DbSecret::parse(&bad).unwrap_err();
            assert!(!err.to_string().contains("old-Pass-1"), "{err}");
            assert_eq!(err.error_type(), crate::ErrorType::Config);
        }
    }

    #[test]
    fn debug_never_shows_the_password() {
        let s = DbSecret::parse(RUNBOOK).unwrap();
        assert!(!format!("{s:?}").contains("old-Pass-1"));
    }

    #[test]
    fn a_previous_version_is_tried_with_the_current_tls_settings() {
        let mut current: Value = serde_json::from_str(RUNBOOK).unwrap();
        current["ssl"] = json!(false);
        let current = DbSecret::parse(&current.to_string()).unwrap();
        let previous = DbSecret::parse(AWS).unwrap();
        assert_eq!(previous.with_tls_of(&current).tls().unwrap(), Tls::Disabled);
    }
}
