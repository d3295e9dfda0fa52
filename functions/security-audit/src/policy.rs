//! Does a policy document grant admin? (ARCHITECTURE §4 `iam-admin-access`.) A
//! statement does when it is `Allow`, its `Action` is `*` (or a list with
//! `*`) or it has any `NotAction` (all but a few actions, like
//! `PowerUserAccess`), and it covers (nearly) every resource: `Resource` `*`
//! (or a list with `*`), or a `NotResource` other than `*` — every resource
//! but a few, as Prowler counts it (a `NotResource` of `*` grants nothing).
//! `Deny` never counts. Pure.

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

/// Which statement shape made a policy admin (`admin_via[].statement`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminShape {
    /// `Action: *` on `Resource: *`.
    AllActions,
    /// `NotAction` on `Resource: *`: all but a few actions.
    NotAction,
    /// `Action: *` or `NotAction` on a `NotResource`: all but a few resources.
    NotResource,
}

impl AdminShape {
    /// The stable id reports carry.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminShape::AllActions => "action-star",
            AdminShape::NotAction => "not-action",
            AdminShape::NotResource => "not-resource",
        }
    }
}

/// The shape by which one statement grants admin, if it does.
pub fn statement_admin_shape(statement: &Value) -> Option<AdminShape> {
    if statement["Effect"].as_str() != Some("Allow") {
        return None;
    }
    let all_actions = is_or_has_star(&statement["Action"]);
    let not_action = !statement["NotAction"].is_null();
    if !all_actions && !not_action {
        return None;
    }
    let not_resource = &statement["NotResource"];
    if is_or_has_star(&statement["Resource"]) {
        Some(if all_actions {
            AdminShape::AllActions
        } else {
            AdminShape::NotAction
        })
    } else if !not_resource.is_null() && !is_or_has_star(not_resource) {
        Some(AdminShape::NotResource)
    } else {
        None
    }
}

/// Whether one statement grants admin.
pub fn statement_grants_admin(statement: &Value) -> bool {
    statement_admin_shape(statement).is_some()
}

/// The first shape by which the document (its `Statement` an object or a
/// list) grants admin.
pub fn admin_shape(document: &Value) -> Option<AdminShape> {
    match &document["Statement"] {
        Value::Array(statements) => statements.iter().find_map(statement_admin_shape),
        statement @ Value::Object(_) => statement_admin_shape(statement),
        _ => None,
    }
}

/// Whether the document grants admin.
pub fn grants_admin(document: &Value) -> bool {
    admin_shape(document).is_some()
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
    fn not_resource_other_than_star_is_admin_and_the_shape_is_named() {
        let shape = |doc: Value| admin_shape(&doc);
        // Every action on all but the audit bucket: admin (Prowler counts it too).
        assert_eq!(
            shape(
                json!({"Statement": [{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::audit-logs/*"}]})
            ),
            Some(AdminShape::NotResource)
        );
        assert_eq!(
            shape(
                json!({"Statement": {"Effect": "Allow", "NotAction": "iam:*", "NotResource": ["arn:aws:s3:::a", "arn:aws:s3:::b"]}})
            ),
            Some(AdminShape::NotResource)
        );
        // A NotResource of "*" grants nothing.
        assert_eq!(
            shape(json!({"Statement": {"Effect": "Allow", "Action": "*", "NotResource": "*"}})),
            None
        );
        assert_eq!(
            shape(
                json!({"Statement": {"Effect": "Allow", "Action": "*", "NotResource": ["x", "*"]}})
            ),
            None
        );
        // Deny never counts; a narrow action on NotResource is not admin.
        assert_eq!(
            shape(json!({"Statement": {"Effect": "Deny", "Action": "*", "NotResource": "x"}})),
            None
        );
        assert_eq!(
            shape(json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "NotResource": "x"}})),
            None
        );
        assert_eq!(
            shape(json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})),
            Some(AdminShape::AllActions)
        );
        assert_eq!(
            admin_shape(&decode_document(POWER_USER_ACCESS).unwrap()),
            Some(AdminShape::NotAction)
        );
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
