//! Setting a password without sending it: the SCRAM-SHA-256 verifier is
//! computed here, so only the verifier reaches the server (and its logs).

/// The `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` verifier of
/// `password`, with a fresh random salt, as PostgreSQL stores it. Computed by
/// `postgres-protocol` (SASLprep, 4096 iterations, 16-byte salt), libpq's
/// `PQencryptPasswordConn` equivalent.
pub fn verifier(password: &str) -> String {
    postgres_protocol::password::scram_sha_256(password.as_bytes())
}

/// `name` as a PostgreSQL identifier: double-quoted, inner quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `value` as a PostgreSQL string literal (standard_conforming_strings).
fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The statement that sets `user`'s password to an already-hashed verifier.
/// (Utility statements take no bind parameters, hence the quoting.)
pub fn alter_role_sql(user: &str, verifier: &str) -> String {
    format!(
        "ALTER ROLE {} PASSWORD {}",
        quote_ident(user),
        quote_literal(verifier)
    )
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as B64;
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};

    use super::*;

    fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    /// RFC 5802 §3: (StoredKey, ServerKey, ClientKey) of a password.
    fn keys(password: &str, salt: &[u8], iterations: u32) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut salted);
        let client_key = hmac(&salted, b"Client Key");
        let stored_key = Sha256::digest(&client_key).to_vec();
        let server_key = hmac(&salted, b"Server Key");
        (stored_key, server_key, client_key)
    }

    #[test]
    fn key_derivation_matches_the_rfc_7677_example() {
        // RFC 7677 §3: user "user", password "pencil".
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let (stored, server, client) = keys("pencil", &salt, 4096);
        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,\
            r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\
            c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let server_signature = hmac(&server, auth_message.as_bytes());
        assert_eq!(
            B64.encode(server_signature),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        let client_signature = hmac(&stored, auth_message.as_bytes());
        let proof: Vec<u8> = client
            .iter()
            .zip(&client_signature)
            .map(|(a, b)| a ^ b)
            .collect();
        assert_eq!(
            B64.encode(proof),
            "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
    }

    #[test]
    fn the_verifier_holds_the_rfc_keys_of_the_password() {
        let password = "n3w-Rotated_Passw0rd!~";
        let v = verifier(password);
        let rest = v.strip_prefix("SCRAM-SHA-256$").unwrap();
        let (params, keys_part) = rest.split_once('$').unwrap();
        let (iterations, salt) = params.split_once(':').unwrap();
        let (stored, server) = keys_part.split_once(':').unwrap();
        let iterations: u32 = iterations.parse().unwrap();
        assert!(iterations >= 4096);
        let (expected_stored, expected_server, _) =
            keys(password, &B64.decode(salt).unwrap(), iterations);
        assert_eq!(B64.decode(stored).unwrap(), expected_stored);
        assert_eq!(B64.decode(server).unwrap(), expected_server);
        assert!(!v.contains(password));
    }

    #[test]
    fn each_verifier_has_its_own_salt() {
        assert_ne!(verifier("same"), verifier("same"));
    }

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(quote_ident("goal_mandala_user"), "\"goal_mandala_user\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(
            quote_ident("Robert'); DROP TABLE goals;--"),
            "\"Robert'); DROP TABLE goals;--\""
        );
        assert_eq!(
            alter_role_sql("a\"b", "SCRAM-SHA-256$4096:c2FsdA==$a2V5:a2V5"),
            "ALTER ROLE \"a\"\"b\" PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:a2V5'"
        );
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
