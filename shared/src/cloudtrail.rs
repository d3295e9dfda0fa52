//! Who made a CloudTrail-recorded call, read the one way every function
//! reads a record's `userIdentity` (security-audit's rules, alarm-triage's
//! change scan).

use serde::Serialize;
use serde_json::Value;

/// Who made a call.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Principal {
    /// An IAM user, by name: the only principal containment acts on.
    IamUser(String),
    /// A role session, by the role's name (or ARN).
    Role(String),
    /// The account's root user.
    Root,
    /// An AWS service acting on its own (`invokedBy`).
    Service(String),
    /// Anything else, by ARN or type.
    Other(String),
}

impl Principal {
    /// How reports name it: the user name, the role, `root`, the service.
    pub fn name(&self) -> String {
        match self {
            Principal::IamUser(name) | Principal::Role(name) | Principal::Other(name) => {
                name.clone()
            }
            Principal::Root => "root".to_owned(),
            Principal::Service(service) => service.clone(),
        }
    }

    /// The IAM user name, when it is one.
    pub fn iam_user(&self) -> Option<&str> {
        match self {
            Principal::IamUser(name) => Some(name),
            _ => None,
        }
    }

    /// From a record's `userIdentity`: the user name of an `IAMUser`, else
    /// the role (session issuer) or ARN.
    pub fn from_identity(identity: &Value) -> Principal {
        let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        let arn = text(&identity["arn"]);
        match identity["type"].as_str().unwrap_or_default() {
            "IAMUser" => match text(&identity["userName"])
                .or_else(|| arn.as_deref().and_then(last_segment))
            {
                Some(name) => Principal::IamUser(name),
                None => Principal::Other("IAMUser".to_owned()),
            },
            "AssumedRole" | "Role" => {
                let issuer = &identity["sessionContext"]["sessionIssuer"];
                let role = text(&issuer["userName"])
                    .or_else(|| text(&issuer["arn"]).as_deref().and_then(last_segment))
                    .or(arn);
                Principal::Role(role.unwrap_or_else(|| "unknown role".to_owned()))
            }
            "Root" => Principal::Root,
            "AWSService" => Principal::Service(
                text(&identity["invokedBy"]).unwrap_or_else(|| "AWS service".to_owned()),
            ),
            other => Principal::Other(arn.unwrap_or_else(|| {
                if other.is_empty() {
                    "unknown".to_owned()
                } else {
                    other.to_owned()
                }
            })),
        }
    }
}

fn last_segment(arn: &str) -> Option<String> {
    arn.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn principals_are_the_user_the_role_or_the_service() {
        let p = |identity: Value| Principal::from_identity(&identity);
        assert_eq!(
            p(
                json!({"type": "IAMUser", "userName": "github-actions-deploy", "arn": "arn:aws:iam::123456789012:user/github-actions-deploy"})
            ),
            Principal::IamUser("github-actions-deploy".into())
        );
        assert_eq!(
            p(
                json!({"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/ops-admin/alice",
                     "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::123456789012:role/ops-admin", "userName": "ops-admin"}}})
            ),
            Principal::Role("ops-admin".into())
        );
        assert_eq!(
            p(json!({"type": "Root", "arn": "arn:aws:iam::123456789012:root"})),
            Principal::Root
        );
        assert_eq!(
            p(json!({"type": "AWSService", "invokedBy": "rds.amazonaws.com"})).name(),
            "rds.amazonaws.com"
        );
        assert_eq!(p(json!({})), Principal::Other("unknown".into()));
    }
}
