//! Does a policy document grant admin? (ARCHITECTURE §4 `iam-admin-access`.) A
//! statement does when it is `Allow`, its `Resource` is `*` (or a list with
//! `*`), and its `Action` is `*` (or a list with `*`) or it has any
//! `NotAction` (all but a few actions, like `PowerUserAccess`). `Deny`
//! never counts. Pure.

use serde_json::Value;

/// A policy document as IAM returns it: URL-encoded (RFC 3986) from most
/// operations, raw JSON from some; both are read. Percent-decoding only: a
/// `+` stays a `+` (this is not form encoding).
pub fn decode_document(raw: &str) -> Result<Value, String> {
    let text = raw.trim_start();
    let json = if text.starts_with('{') {
        text.to_owned()
    } else {
        percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .map_err(|e| format!("policy document is not UTF-8 after decoding: {e}"))?
            .into_owned()
    };
    serde_json::from_str(&json).map_err(|e| format!("policy document is not JSON: {e}"))
}

/// `value` is `*` or a list holding `*`.
fn is_or_has_star(value: &Value) -> bool {
    match value {
        Value::String(s) => s == "*",
        Value::Array(items) => items.iter().any(|v| v.as_str() == Some("*")),
        _ => false,
    }
}

/// Whether one statement grants admin.
pub fn statement_grants_admin(statement: &Value) -> bool {
    statement["Effect"].as_str() == Some("Allow")
        && is_or_has_star(&statement["Resource"])
        && (is_or_has_star(&statement["Action"]) || !statement["NotAction"].is_null())
}

/// Whether the document (its `Statement` an object or a list) grants admin.
pub fn grants_admin(document: &Value) -> bool {
    match &document["Statement"] {
        Value::Array(statements) => statements.iter().any(statement_grants_admin),
        statement @ Value::Object(_) => statement_grants_admin(statement),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// AWS's own documents, as IAM serves them.
    const ADMINISTRATOR_ACCESS: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    const POWER_USER_ACCESS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization","account:ListRegions","account:GetAccountInformation"],"Resource":"*"}]}"#;
    const READ_ONLY_ACCESS: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadOnlyActions","Effect":"Allow","Action":["a4b:Get*","a4b:List*","acm:Describe*","s3:Get*","s3:List*"],"Resource":"*"}]}"#;

    #[test]
    fn aws_managed_policies_are_judged_as_the_contract_says() {
        for (doc, admin) in [
            (ADMINISTRATOR_ACCESS, true),
            (POWER_USER_ACCESS, true),
            (READ_ONLY_ACCESS, false),
        ] {
            assert_eq!(grants_admin(&decode_document(doc).unwrap()), admin, "{doc}");
        }
    }

    #[test]
    fn statement_shapes_and_deny() {
        let cases = [
            // A single statement object, Action as a list with "*".
            (
                json!({"Statement": {"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": "*"}}),
                true,
            ),
            // Resource as a list containing "*".
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": ["arn:aws:s3:::b", "*"]}]}),
                true,
            ),
            // Deny * never counts.
            (
                json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}),
                false,
            ),
            // s3:* on one bucket is not admin.
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::front", "arn:aws:s3:::front/*"]}]}),
                false,
            ),
            // NotAction on one bucket: the Resource is not "*".
            (
                json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::front/*"}]}),
                false,
            ),
            // NotAction with Resource "*": all but a few actions.
            (
                json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}),
                true,
            ),
            // "s3:*" with Resource "*" is broad but not admin.
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
                false,
            ),
            (json!({"Statement": []}), false),
            (json!({}), false),
        ];
        for (doc, admin) in cases {
            assert_eq!(grants_admin(&doc), admin, "{doc}");
        }
    }

    #[test]
    fn url_encoded_documents_are_decoded_and_a_plus_stays_a_plus() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%2C%22Sid%22%3A%22a+b%22%7D%7D";
        let doc = decode_document(encoded).unwrap();
        assert!(grants_admin(&doc));
        assert_eq!(doc["Statement"]["Sid"], "a+b");
        assert!(decode_document("%7Bnot json").is_err());
        assert!(decode_document("%FF%FE").is_err());
    }
}
