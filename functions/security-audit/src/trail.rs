//! A CloudTrail record, as the rules read it: who (the principal), what
//! (the event and its resources), from where (the source IP), when, and
//! whether it failed. Read from `LookupEvents`' `CloudTrailEvent` JSON or
//! from the `detail` of an EventBridge `AWS API Call via CloudTrail` event.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::Value;
pub use shared::cloudtrail::Principal;

/// One call, as the rules need it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailEvent {
    /// `EventId` / `eventID`.
    pub id: String,
    /// `eventName`.
    pub name: String,
    /// `eventTime`.
    pub time: DateTime<Utc>,
    /// Who made it.
    pub principal: Principal,
    /// `sourceIPAddress`: an address, or a service name (`rds.amazonaws.com`, `AWS Internal`).
    pub source_ip: Option<String>,
    /// What it acted on.
    pub resources: Vec<String>,
    /// `errorCode`: the call failed.
    pub error_code: Option<String>,
    /// The Region whose history (or event bus) it came from; global services'
    /// events are `us-east-1`'s.
    pub region: Option<String>,
    /// What the account-wide rules read besides: who acted on whose behalf,
    /// a sign-in's outcome, what an IAM call grants.
    pub facts: Facts,
}

/// The facts of a record the global rules need (root use, console sign-in,
/// IAM changes), read once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// `userIdentity.invokedBy`: an AWS service made the call on the
    /// principal's behalf (root's included).
    pub invoked_by: Option<String>,
    /// A `ConsoleLogin`'s outcome.
    pub sign_in: Option<SignIn>,
    /// What an IAM call grants.
    pub grant: Grant,
}

/// A console sign-in (`ConsoleLogin`), as CloudTrail records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignIn {
    /// `responseElements.ConsoleLogin` = `Failure` (or an `errorMessage`).
    pub failed: bool,
    /// `additionalEventData.MFAUsed`: `Some(false)` for `No`.
    pub mfa_used: Option<bool>,
}

/// What an IAM call's request grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    /// `requestParameters.policyArn` (AttachUserPolicy, AttachRolePolicy, …).
    pub policy_arn: Option<String>,
    /// `requestParameters.policyDocument` (PutUserPolicy, …, or the trust
    /// policy of UpdateAssumeRolePolicy) grants admin by the
    /// `iam-admin-access` rule.
    pub admin_document: bool,
    /// Whom it names: `userName`, `roleName` or `groupName`.
    pub target: Option<String>,
}

impl Facts {
    fn from_record(record: &Value) -> Facts {
        let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        let request = &record["requestParameters"];
        let sign_in = (record["eventName"] == "ConsoleLogin").then(|| SignIn {
            failed: record["responseElements"]["ConsoleLogin"] == "Failure"
                || text(&record["errorMessage"]).is_some(),
            mfa_used: match record["additionalEventData"]["MFAUsed"].as_str() {
                Some("Yes") => Some(true),
                Some("No") => Some(false),
                _ => None,
            },
        });
        let admin_document = text(&request["policyDocument"])
            .and_then(|raw| crate::policy::decode_document(&raw).ok())
            .is_some_and(|doc| crate::policy::grants_admin(&doc));
        Facts {
            invoked_by: text(&record["userIdentity"]["invokedBy"]),
            sign_in,
            grant: Grant {
                policy_arn: text(&request["policyArn"]),
                admin_document,
                target: ["userName", "roleName", "groupName"]
                    .iter()
                    .find_map(|k| text(&request[*k])),
            },
        }
    }
}

/// Request parameters that name the resource of a watched call.
const RESOURCE_PARAMETERS: [&str; 3] = ["dBClusterIdentifier", "dBInstanceIdentifier", "name"];

impl TrailEvent {
    /// Reads a CloudTrail record; `None` without a string `eventName`.
    /// `resources` come from `LookupEvents`' `Resources`; when there are none
    /// the identifiers in `requestParameters` are used (as in an EventBridge event).
    pub fn from_record(
        record: &Value,
        resources: Vec<String>,
        id: Option<&str>,
        at: Option<DateTime<Utc>>,
    ) -> Option<TrailEvent> {
        let name = record["eventName"].as_str()?.to_owned();
        // A time that is there must be readable; only a missing one falls back.
        let time = match record["eventTime"].as_str() {
            Some(t) => DateTime::parse_from_rfc3339(t).ok()?.with_timezone(&Utc),
            None => at?,
        };
        let resources = if resources.is_empty() {
            RESOURCE_PARAMETERS
                .iter()
                .filter_map(|k| record["requestParameters"][k].as_str())
                .map(str::to_owned)
                .collect()
        } else {
            resources
        };
        Some(TrailEvent {
            id: record["eventID"]
                .as_str()
                .or(id)
                .unwrap_or_default()
                .to_owned(),
            name,
            time,
            principal: Principal::from_identity(&record["userIdentity"]),
            source_ip: record["sourceIPAddress"].as_str().map(str::to_owned),
            resources,
            error_code: record["errorCode"]
                .as_str()
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
            region: record["awsRegion"].as_str().map(str::to_owned),
            facts: Facts::from_record(record),
        })
    }

    /// The source as an IP address (IPv4-mapped IPv6 as IPv4), when it is one.
    pub fn source_address(&self) -> Option<IpAddr> {
        let ip: IpAddr = self.source_ip.as_deref()?.trim().parse().ok()?;
        Some(ip.to_canonical())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn records_give_the_resource_from_request_parameters_when_none_are_listed() {
        let record = json!({
            "eventID": "e1", "eventName": "DeleteDBCluster", "eventTime": "2026-11-30T17:03:11Z",
            "userIdentity": {"type": "IAMUser", "userName": "github-actions-deploy"},
            "sourceIPAddress": "198.51.100.23",
            "requestParameters": {"dBClusterIdentifier": "goal-mandala-production", "skipFinalSnapshot": true},
            "errorCode": ""
        });
        let e = TrailEvent::from_record(&record, Vec::new(), None, None).unwrap();
        assert_eq!(e.resources, ["goal-mandala-production"]);
        assert_eq!(e.error_code, None);
        assert_eq!(e.source_address(), Some("198.51.100.23".parse().unwrap()));
        let listed = TrailEvent::from_record(&record, vec!["x".into()], None, None).unwrap();
        assert_eq!(listed.resources, ["x"]);
        assert!(
            TrailEvent::from_record(&json!({"eventName": 5}), Vec::new(), None, None).is_none()
        );
    }

    #[test]
    fn service_names_are_not_addresses_and_mapped_ipv6_is_ipv4() {
        let with_ip = |ip: &str| TrailEvent {
            id: String::new(),
            name: "GetObject".into(),
            time: Utc::now(),
            principal: Principal::Root,
            source_ip: Some(ip.into()),
            resources: Vec::new(),
            error_code: None,
            region: None,
            facts: Facts::default(),
        };
        assert_eq!(with_ip("rds.amazonaws.com").source_address(), None);
        assert_eq!(with_ip("AWS Internal").source_address(), None);
        assert_eq!(
            with_ip("::ffff:10.1.2.3").source_address(),
            Some("10.1.2.3".parse().unwrap())
        );
        assert_eq!(
            with_ip("2001:db8::1").source_address(),
            Some("2001:db8::1".parse().unwrap())
        );
    }
}
