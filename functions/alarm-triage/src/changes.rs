//! What changed just before the alarm (ARCHITECTURE §4 alarm-triage): one
//! CloudTrail `LookupEvents` scan of the writes (`ReadOnly=false`) in the
//! `TRIAGE_CHANGE_LOOKBACK_MINUTES` before the state change, at most three
//! pages, kept when they touch the operated system — the API function and
//! its versions and aliases, an API Gateway deployment, the cluster and its
//! instances, the cluster's security groups, the DB secret. Which of them
//! matter is the playbook's: the deciding is pure.

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::primitives::DateTime as AwsTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::cloudtrail::Principal;
use shared::{Error, FindingStatus};

use crate::playbook::Playbook;

/// Pages of 50 read at most: the writes of an hour fit; a busy account's
/// older writes are not this alarm's cause.
pub const MAX_PAGES: usize = 3;
/// Changes listed in the report at most.
pub const LISTED_MAX: usize = 10;

/// Lambda's write calls; CloudTrail names them with an API version suffix
/// (`UpdateFunctionCode20150331v2`), so they are matched by prefix.
const FUNCTION_CALLS: [&str; 7] = [
    "UpdateFunctionCode",
    "UpdateFunctionConfiguration",
    "PublishVersion",
    "UpdateAlias",
    "PutFunctionConcurrency",
    "PutProvisionedConcurrencyConfig",
    "DeleteProvisionedConcurrencyConfig",
];
const DEPLOYMENT_CALLS: [&str; 2] = ["CreateDeployment", "UpdateStage"];
const CLUSTER_CALLS: [&str; 5] = [
    "ModifyDBCluster",
    "ModifyDBInstance",
    "RebootDBInstance",
    "FailoverDBCluster",
    "StopDBCluster",
];
const SECURITY_GROUP_CALLS: [&str; 2] = [
    "AuthorizeSecurityGroupIngress",
    "RevokeSecurityGroupIngress",
];
const SECRET_CALLS: [&str; 3] = ["PutSecretValue", "UpdateSecretVersionStage", "RotateSecret"];

/// What a change touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touched {
    /// The API function, a version or an alias of it.
    Function,
    /// An API Gateway deployment or stage.
    ApiDeployment,
    /// The cluster or one of its instances.
    Cluster,
    /// One of the cluster's security groups.
    SecurityGroup,
    /// The DB secret.
    Secret,
}

/// One write to the operated system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `eventName` (with Lambda's version suffix, as recorded).
    pub event_name: String,
    /// `eventTime`.
    pub event_time: DateTime<Utc>,
    /// Who: the user or role name, else the ARN or type.
    pub principal: String,
    /// What: the function, API, cluster, group or secret it names.
    pub resource: String,
    /// Which kind of resource.
    pub touched: Touched,
    /// `sourceIPAddress`.
    pub source_ip: Option<String>,
}

/// The operated system's resources, by the names CloudTrail records.
#[derive(Debug, Clone, Default)]
pub struct Watched {
    /// `API_FUNCTION_NAME`.
    pub function: String,
    /// `DB_CLUSTER_ID`.
    pub cluster: String,
    /// The cluster's security group ids (from DescribeDBClusters).
    pub security_groups: Vec<String>,
    /// `DB_SECRET_ID`.
    pub secret: String,
}

impl Watched {
    /// The change a CloudTrail record makes to the operated system, if any.
    pub fn classify(&self, record: &Value) -> Option<Change> {
        let name = record["eventName"].as_str()?;
        let time = DateTime::parse_from_rfc3339(record["eventTime"].as_str()?)
            .ok()?
            .with_timezone(&Utc);
        let request = &record["requestParameters"];
        let text = |key: &str| request[key].as_str().filter(|s| !s.is_empty());
        let (touched, resource) = if FUNCTION_CALLS.iter().any(|c| name.starts_with(c)) {
            let function = text("functionName")?;
            names_function(function, &self.function)
                .then(|| (Touched::Function, self.function.clone()))?
        } else if DEPLOYMENT_CALLS.contains(&name) {
            // The system's one REST API; the event names it by its id.
            (Touched::ApiDeployment, text("restApiId")?.to_owned())
        } else if CLUSTER_CALLS.contains(&name) {
            let id = text("dBClusterIdentifier").or_else(|| text("dBInstanceIdentifier"))?;
            let ours = id == self.cluster || id.starts_with(&format!("{}-", self.cluster));
            ours.then(|| (Touched::Cluster, id.to_owned()))?
        } else if SECURITY_GROUP_CALLS.contains(&name) {
            let group = text("groupId")?;
            self.security_groups
                .iter()
                .any(|g| g == group)
                .then(|| (Touched::SecurityGroup, group.to_owned()))?
        } else if SECRET_CALLS.contains(&name) {
            let secret = text("secretId")?;
            names_secret(secret, &self.secret).then(|| (Touched::Secret, self.secret.clone()))?
        } else {
            return None;
        };
        Some(Change {
            event_name: name.to_owned(),
            event_time: time,
            principal: Principal::from_identity(&record["userIdentity"]).name(),
            resource,
            touched,
            source_ip: record["sourceIPAddress"].as_str().map(str::to_owned),
        })
    }
}

/// A function name, a qualified name or an ARN (`…:function:NAME[:QUALIFIER]`).
fn names_function(given: &str, function: &str) -> bool {
    let name = match given.split_once(":function:") {
        Some((_, rest)) => rest,
        None => given,
    };
    name.split(':').next() == Some(function)
}

/// A secret's name or ARN (`…:secret:NAME-AbCdEf`).
fn names_secret(given: &str, secret: &str) -> bool {
    given == secret
        || given.split_once(":secret:").is_some_and(|(_, rest)| {
            rest.rsplit_once('-')
                .is_some_and(|(name, _)| name == secret)
        })
}

/// The writes to the operated system with `start ≤ eventTime ≤ end`, newest
/// first, from at most [`MAX_PAGES`] pages.
pub async fn scan(
    client: &Client,
    watched: &Watched,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Change>, Error> {
    let mut pages = client
        .lookup_events()
        .lookup_attributes(
            LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::ReadOnly)
                .attribute_value("false")
                .build()
                .map_err(|e| Error::Unexpected(e.to_string()))?,
        )
        .start_time(AwsTime::from_secs(start.timestamp()))
        .end_time(AwsTime::from_secs(end.timestamp()))
        .max_results(50)
        .into_paginator()
        .send();
    let mut changes = Vec::new();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("LookupEvents", e))?;
        for event in page.events() {
            let record: Value = event
                .cloud_trail_event()
                .and_then(|raw| serde_json::from_str(raw).ok())
                .unwrap_or(Value::Null);
            changes.extend(watched.classify(&record));
        }
        read += 1;
        if read == MAX_PAGES {
            break;
        }
    }
    changes.sort_by_key(|c| std::cmp::Reverse(c.event_time));
    Ok(changes)
}

/// Whether `touched` is one of the resources `playbook`'s alarm depends on.
pub fn concerns(playbook: Playbook, touched: Touched) -> bool {
    match playbook {
        Playbook::ErrorRate | Playbook::Latency => {
            matches!(touched, Touched::Function | Touched::ApiDeployment)
        }
        Playbook::DatabaseConnection => matches!(
            touched,
            Touched::Cluster | Touched::SecurityGroup | Touched::Secret
        ),
        Playbook::Recovered | Playbook::InsufficientData | Playbook::Generic => false,
    }
}

/// The verdict: a warning when a change touched a resource of the alarm's
/// playbook; otherwise ok (the generic playbook lists without judging).
pub fn judge(playbook: Playbook, changes: &[Change]) -> FindingStatus {
    if changes.iter().any(|c| concerns(playbook, c.touched)) {
        FindingStatus::Warning
    } else {
        FindingStatus::Ok
    }
}

/// The report's `changes`: newest first, at most [`LISTED_MAX`].
pub fn listed(changes: &[Change], changed_at: DateTime<Utc>) -> Vec<Value> {
    changes
        .iter()
        .take(LISTED_MAX)
        .map(|c| {
            json!({
                "event_name": c.event_name,
                "event_time": shared::time::rfc3339(c.event_time),
                "principal": c.principal,
                "resource": c.resource,
                "minutes_before": minutes_before(c, changed_at),
                "source_ip": c.source_ip,
            })
        })
        .collect()
}

/// Whole minutes from the change to the state change.
pub fn minutes_before(c: &Change, changed_at: DateTime<Utc>) -> i64 {
    (changed_at - c.event_time).num_minutes().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watched() -> Watched {
        Watched {
            function: "goal-mandala-production-api".into(),
            cluster: "goal-mandala-production".into(),
            security_groups: vec!["sg-0a1b2c3d4e5f60718".into()],
            secret: "goal-mandala/production/database".into(),
        }
    }

    fn record(name: &str, request: Value) -> Value {
        json!({"eventName": name, "eventTime": "2026-12-01T00:52:00Z", "requestParameters": request,
            "userIdentity": {"type": "IAMUser", "userName": "github-actions-deploy"}, "sourceIPAddress": "203.0.113.20"})
    }

    #[test]
    fn writes_to_the_operated_system_are_recognised_by_name_arn_and_prefix() {
        let w = watched();
        let kind =
            |name: &str, request: Value| w.classify(&record(name, request)).map(|c| c.touched);
        let arn =
            "arn:aws:lambda:ap-northeast-1:123456789012:function:goal-mandala-production-api:live";
        assert_eq!(
            kind(
                "UpdateFunctionCode20150331v2",
                json!({"functionName": "goal-mandala-production-api"})
            ),
            Some(Touched::Function)
        );
        assert_eq!(
            kind(
                "UpdateAlias20150331",
                json!({"functionName": arn, "name": "live"})
            ),
            Some(Touched::Function)
        );
        assert_eq!(
            kind(
                "PublishVersion20150331",
                json!({"functionName": "other-function"})
            ),
            None
        );
        assert_eq!(
            kind("CreateDeployment", json!({"restApiId": "a1b2c3d4e5"})),
            Some(Touched::ApiDeployment)
        );
        assert_eq!(
            kind(
                "ModifyDBCluster",
                json!({"dBClusterIdentifier": "goal-mandala-production"})
            ),
            Some(Touched::Cluster)
        );
        assert_eq!(
            kind(
                "RebootDBInstance",
                json!({"dBInstanceIdentifier": "goal-mandala-production-instance-1"})
            ),
            Some(Touched::Cluster)
        );
        assert_eq!(
            kind(
                "ModifyDBCluster",
                json!({"dBClusterIdentifier": "goal-mandala-staging"})
            ),
            None
        );
        assert_eq!(
            kind(
                "AuthorizeSecurityGroupIngress",
                json!({"groupId": "sg-0a1b2c3d4e5f60718"})
            ),
            Some(Touched::SecurityGroup)
        );
        assert_eq!(
            kind(
                "AuthorizeSecurityGroupIngress",
                json!({"groupId": "sg-other"})
            ),
            None
        );
        assert_eq!(
            kind(
                "PutSecretValue",
                json!({"secretId": "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:goal-mandala/production/database-AbCdEf"})
            ),
            Some(Touched::Secret)
        );
        assert_eq!(
            kind(
                "RotateSecret",
                json!({"secretId": "goal-mandala/production/database"})
            ),
            Some(Touched::Secret)
        );
        assert_eq!(kind("DeleteBucket", json!({"bucketName": "x"})), None);
        assert_eq!(
            kind("UpdateFunctionCode20150331v2", json!({})),
            None,
            "no function named"
        );
    }

    #[test]
    fn a_change_matters_when_it_touched_what_the_playbook_depends_on() {
        let w = watched();
        let code = w
            .classify(&record(
                "UpdateFunctionCode20150331v2",
                json!({"functionName": "goal-mandala-production-api"}),
            ))
            .unwrap();
        let secret = w
            .classify(&record(
                "PutSecretValue",
                json!({"secretId": "goal-mandala/production/database"}),
            ))
            .unwrap();
        assert_eq!(
            judge(Playbook::ErrorRate, std::slice::from_ref(&code)),
            FindingStatus::Warning
        );
        assert_eq!(
            judge(Playbook::Latency, std::slice::from_ref(&code)),
            FindingStatus::Warning
        );
        assert_eq!(
            judge(Playbook::DatabaseConnection, std::slice::from_ref(&code)),
            FindingStatus::Ok
        );
        assert_eq!(
            judge(Playbook::DatabaseConnection, std::slice::from_ref(&secret)),
            FindingStatus::Warning
        );
        assert_eq!(
            judge(Playbook::Generic, &[code.clone(), secret]),
            FindingStatus::Ok
        );
        assert_eq!(judge(Playbook::ErrorRate, &[]), FindingStatus::Ok);
        let at = DateTime::parse_from_rfc3339("2026-12-01T01:00:30Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(minutes_before(&code, at), 8);
        assert_eq!(listed(&[code], at)[0]["minutes_before"], 8);
    }
}
