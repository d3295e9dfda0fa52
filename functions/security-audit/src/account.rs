//! The account-wide rules over the global services' events (IAM, STS,
//! AWS sign-in — kept in us-east-1's history): root's use, console
//! sign-ins, IAM changes that grant access or create credentials. Pure;
//! the same rules judge the daily review's merged events and one event in
//! real time.

use std::collections::BTreeMap;

use shared::FindingStatus;

use crate::trail::{Principal, TrailEvent};

/// AWS managed policies that make their holder an admin (by name; any
/// partition): the `iam-admin-access` rule counts both.
const ADMIN_POLICIES: [&str; 2] = ["AdministratorAccess", "PowerUserAccess"];

/// Events made by the root user itself — not those an AWS service made on
/// root's behalf (`invokedBy`).
pub fn root_activity(events: &[TrailEvent]) -> Vec<usize> {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.principal == Principal::Root && e.facts.invoked_by.is_none())
        .map(|(i, _)| i)
        .collect()
}

/// Console sign-ins that need a look.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignIns {
    /// Failed sign-ins per (principal, source IP).
    pub failures: Vec<FailedSignIns>,
    /// Successful sign-ins of IAM users without MFA, per user.
    pub without_mfa: Vec<(String, Vec<usize>)>,
}

/// Failed console sign-ins of one principal from one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedSignIns {
    /// Who tried (CloudTrail may record an unknown name as
    /// `HIDDEN_DUE_TO_SECURITY_REASONS`).
    pub principal: Principal,
    /// From where (`sourceIPAddress`).
    pub source: String,
    /// The attempts.
    pub events: Vec<usize>,
}

impl SignIns {
    /// Whether nothing needs a look.
    pub fn is_empty(&self) -> bool {
        self.failures.is_empty() && self.without_mfa.is_empty()
    }
}

/// `ConsoleLogin` events: failures grouped by (principal, source IP);
/// successes of IAM users that did not use MFA, grouped by user. Root's
/// sign-ins are root activity (critical) already.
pub fn sign_ins(events: &[TrailEvent]) -> SignIns {
    let mut failures: BTreeMap<(&Principal, &str), Vec<usize>> = BTreeMap::new();
    let mut without_mfa: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let Some(sign_in) = e.facts.sign_in else {
            continue;
        };
        if sign_in.failed {
            let source = e.source_ip.as_deref().unwrap_or("?");
            failures.entry((&e.principal, source)).or_default().push(i);
        } else if let (Some(user), Some(false)) = (e.principal.iam_user(), sign_in.mfa_used) {
            without_mfa.entry(user).or_default().push(i);
        }
    }
    SignIns {
        failures: failures
            .into_iter()
            .map(|((principal, source), events)| FailedSignIns {
                principal: principal.clone(),
                source: source.to_owned(),
                events,
            })
            .collect(),
        without_mfa: without_mfa
            .into_iter()
            .map(|(user, events)| (user.to_owned(), events))
            .collect(),
    }
}

/// One IAM change and its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IamChange {
    /// Index into the events.
    pub event: usize,
    /// It grants admin (an admin AWS policy attached, or an admin document put).
    pub grants_admin: bool,
    /// Made by a trusted principal (`AUDIT_TRUSTED_PRINCIPALS`).
    pub trusted: bool,
    /// The call failed (`errorCode`): nothing was granted.
    pub failed: bool,
}

impl IamChange {
    /// The verdict, decided here only: ok for a trusted principal; critical
    /// when it granted admin; else a warning (a failed admin grant granted
    /// nothing: a warning too).
    pub fn status(self) -> FindingStatus {
        if self.trusted {
            FindingStatus::Ok
        } else if self.grants_admin && !self.failed {
            FindingStatus::Critical
        } else {
            FindingStatus::Warning
        }
    }
}

/// Every event whose name is one of `names` (IAM calls that grant access or
/// create credentials), judged.
pub fn iam_changes(events: &[TrailEvent], names: &[String], trusted: &[String]) -> Vec<IamChange> {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| names.contains(&e.name))
        .map(|(event, e)| IamChange {
            event,
            grants_admin: e.facts.grant.admin_document
                || e.facts
                    .grant
                    .policy_arn
                    .as_deref()
                    .is_some_and(is_admin_policy),
            trusted: is_trusted(&e.principal, trusted),
            failed: e.error_code.is_some(),
        })
        .collect()
}

/// `arn:<partition>:iam::aws:policy/AdministratorAccess` or `…/PowerUserAccess`.
fn is_admin_policy(arn: &str) -> bool {
    arn.split_once(":iam::aws:policy/")
        .is_some_and(|(_, name)| ADMIN_POLICIES.contains(&name))
}

/// A role or user named in `trusted` (names; ARNs were read as names).
fn is_trusted(principal: &Principal, trusted: &[String]) -> bool {
    match principal {
        Principal::Role(name) | Principal::IamUser(name) => {
            let name = name.rsplit('/').next().unwrap_or(name);
            trusted.iter().any(|t| t == name)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn event(record: Value) -> TrailEvent {
        TrailEvent::from_record(&record, Vec::new(), None, None).unwrap()
    }

    fn identity(kind: &str, name: &str) -> Value {
        match kind {
            "Root" => {
                json!({"type": "Root", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"})
            }
            "IAMUser" => {
                json!({"type": "IAMUser", "userName": name, "arn": format!("arn:aws:iam::123456789012:user/{name}")})
            }
            _ => {
                json!({"type": "AssumedRole", "arn": format!("arn:aws:sts::123456789012:assumed-role/{name}/s"),
                "sessionContext": {"sessionIssuer": {"type": "Role", "userName": name, "arn": format!("arn:aws:iam::123456789012:role/{name}")}}})
            }
        }
    }

    /// A `ConsoleLogin` record as AWS documents it.
    fn console_login(who: Value, ip: &str, outcome: &str, mfa: &str) -> Value {
        json!({"eventName": "ConsoleLogin", "eventTime": "2026-11-30T18:00:00Z",
            "eventSource": "signin.amazonaws.com", "userIdentity": who, "sourceIPAddress": ip,
            "responseElements": {"ConsoleLogin": outcome},
            "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No", "MFAUsed": mfa}})
    }

    #[test]
    fn root_counts_unless_a_service_acted_on_its_behalf() {
        let events = [
            event(console_login(
                identity("Root", ""),
                "198.51.100.7",
                "Success",
                "No",
            )),
            event(
                json!({"eventName": "GetBucketAcl", "eventTime": "2026-11-30T18:00:00Z",
                "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root", "invokedBy": "cloudtrail.amazonaws.com"}}),
            ),
            event(
                json!({"eventName": "ListUsers", "eventTime": "2026-11-30T18:00:00Z", "userIdentity": identity("IAMUser", "dave")}),
            ),
        ];
        assert_eq!(root_activity(&events), [0]);
    }

    #[test]
    fn failed_sign_ins_group_by_principal_and_address_and_no_mfa_by_user() {
        let events = [
            event(console_login(
                identity("IAMUser", "dave"),
                "198.51.100.7",
                "Failure",
                "No",
            )),
            event(console_login(
                identity("IAMUser", "dave"),
                "198.51.100.7",
                "Failure",
                "No",
            )),
            event(console_login(
                identity("IAMUser", "HIDDEN_DUE_TO_SECURITY_REASONS"),
                "198.51.100.9",
                "Failure",
                "No",
            )),
            event(console_login(
                identity("IAMUser", "erin"),
                "203.0.113.5",
                "Success",
                "No",
            )),
            event(console_login(
                identity("IAMUser", "frank"),
                "203.0.113.5",
                "Success",
                "Yes",
            )),
            // Root's own sign-in is root activity, not this rule's.
            event(console_login(
                identity("Root", ""),
                "203.0.113.5",
                "Success",
                "No",
            )),
            // A federated (role) sign-in has no MFAUsed to judge.
            event(console_login(
                identity("AssumedRole", "ops-admin"),
                "203.0.113.5",
                "Success",
                "No",
            )),
        ];
        let found = sign_ins(&events);
        assert_eq!(found.failures.len(), 2);
        assert_eq!(
            found.failures[0].principal,
            Principal::IamUser("HIDDEN_DUE_TO_SECURITY_REASONS".into())
        );
        assert_eq!(found.failures[1].events, [0, 1]);
        assert_eq!(found.failures[1].source, "198.51.100.7");
        assert_eq!(found.without_mfa, [("erin".to_owned(), vec![3])]);
    }

    #[test]
    fn an_admin_grant_is_critical_a_trusted_principal_ok_a_failure_a_warning() {
        let names: Vec<String> = ["AttachUserPolicy", "PutUserPolicy", "CreateAccessKey"]
            .map(String::from)
            .to_vec();
        let trusted = vec!["goal-mandala-production-rotate-access-keys-role".to_owned()];
        let call = |name: &str, who: Value, request: Value, error: Option<&str>| {
            let mut r = json!({"eventName": name, "eventTime": "2026-11-30T18:00:00Z",
                "eventSource": "iam.amazonaws.com", "userIdentity": who, "requestParameters": request});
            if let Some(code) = error {
                r["errorCode"] = json!(code);
            }
            event(r)
        };
        let admin_doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}).to_string();
        let events = [
            call(
                "AttachUserPolicy",
                identity("IAMUser", "mallory"),
                json!({"userName": "github-actions-deploy", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
                None,
            ),
            call(
                "AttachUserPolicy",
                identity("IAMUser", "mallory"),
                json!({"userName": "github-actions-deploy", "policyArn": "arn:aws-cn:iam::aws:policy/PowerUserAccess"}),
                None,
            ),
            call(
                "PutUserPolicy",
                identity("IAMUser", "mallory"),
                json!({"userName": "dave", "policyName": "x", "policyDocument": admin_doc}),
                None,
            ),
            call(
                "AttachUserPolicy",
                identity("IAMUser", "mallory"),
                json!({"userName": "dave", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
                Some("AccessDenied"),
            ),
            call(
                "AttachUserPolicy",
                identity("IAMUser", "mallory"),
                json!({"userName": "dave", "policyArn": "arn:aws:iam::123456789012:policy/AdministratorAccess"}),
                None,
            ),
            call(
                "CreateAccessKey",
                identity(
                    "AssumedRole",
                    "goal-mandala-production-rotate-access-keys-role",
                ),
                json!({"userName": "github-actions-deploy"}),
                None,
            ),
            call("ListUsers", identity("IAMUser", "mallory"), json!({}), None),
        ];
        let statuses: Vec<FindingStatus> = iam_changes(&events, &names, &trusted)
            .iter()
            .map(|c| c.status())
            .collect();
        assert_eq!(
            statuses,
            [
                FindingStatus::Critical,
                FindingStatus::Critical,
                FindingStatus::Critical,
                FindingStatus::Warning,
                // A customer policy that merely shares the name is judged by its name only when AWS's.
                FindingStatus::Warning,
                FindingStatus::Ok,
            ]
        );
        assert_eq!(
            events[0].facts.grant.target.as_deref(),
            Some("github-actions-deploy")
        );
    }
}
