//! The IAM review's facts: every user (every page), who holds admin and by
//! which route (AWS- or customer-managed, attached to the user or a group,
//! inline on either), console passwords, MFA devices and access keys with
//! their last use. Judged in `crate::review`.

use std::collections::HashMap;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::StatusType;
use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::Error;

use crate::policy::{AdminShape, admin_shape, decode_document};

/// A grant of admin: the policy and, for a group's, the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The policy's name.
    pub policy: String,
    /// `aws-managed`, `customer-managed` or `inline`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The group it comes through, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The statement shape that makes it admin: `action-star`,
    /// `not-action` or `not-resource`.
    pub statement: &'static str,
}

/// An access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The key id (reported by its last four characters only).
    pub id: String,
    /// Active or inactive.
    pub active: bool,
    /// `CreateDate`.
    pub created: Option<DateTime<Utc>>,
    /// `GetAccessKeyLastUsed`'s date; `None` when never used.
    pub last_used: Option<DateTime<Utc>>,
}

/// One user, reviewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFacts {
    /// The user name.
    pub user: String,
    /// Every grant of admin.
    pub admin_via: Vec<Grant>,
    /// Has a console password (login profile).
    pub console: bool,
    /// Has an MFA device.
    pub mfa: bool,
    /// The access keys.
    pub keys: Vec<Key>,
}

fn managed_kind(arn: &str) -> &'static str {
    if arn.contains(":iam::aws:policy/") {
        "aws-managed"
    } else {
        "customer-managed"
    }
}

/// Reads IAM for the review. Policy documents are read once per run each.
#[derive(Debug)]
pub struct Reviewer<'a> {
    client: &'a Client,
    managed: HashMap<String, Option<AdminShape>>,
    groups: HashMap<String, Vec<Grant>>,
}

impl<'a> Reviewer<'a> {
    /// A review over `client`.
    pub fn new(client: &'a Client) -> Self {
        Reviewer {
            client,
            managed: HashMap::new(),
            groups: HashMap::new(),
        }
    }

    /// Every user, reviewed.
    pub async fn users(&mut self) -> Result<Vec<UserFacts>, Error> {
        let mut names = Vec::new();
        let mut pages = self.client.list_users().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListUsers", e))?;
            names.extend(page.users().iter().map(|u| u.user_name().to_owned()));
        }
        let mut out = Vec::with_capacity(names.len());
        for user in names {
            out.push(self.user(user).await?);
        }
        Ok(out)
    }

    async fn user(&mut self, user: String) -> Result<UserFacts, Error> {
        let mut admin_via = Vec::new();
        // Managed policies attached to the user.
        let mut pages = self
            .client
            .list_attached_user_policies()
            .user_name(&user)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListAttachedUserPolicies", e))?;
            for p in page.attached_policies() {
                let (Some(arn), name) = (p.policy_arn(), p.policy_name().unwrap_or_default())
                else {
                    continue;
                };
                if let Some(shape) = self.managed_admin_shape(arn).await? {
                    admin_via.push(Grant {
                        policy: name.to_owned(),
                        kind: managed_kind(arn),
                        group: None,
                        statement: shape.as_str(),
                    });
                }
            }
        }
        // Inline policies on the user.
        let mut pages = self
            .client
            .list_user_policies()
            .user_name(&user)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListUserPolicies", e))?;
            for name in page.policy_names() {
                let out = self
                    .client
                    .get_user_policy()
                    .user_name(&user)
                    .policy_name(name)
                    .send()
                    .await
                    .map_err(|e| Error::aws("GetUserPolicy", e))?;
                if let Some(shape) = document_admin_shape(out.policy_document()) {
                    admin_via.push(Grant {
                        policy: name.clone(),
                        kind: "inline",
                        group: None,
                        statement: shape.as_str(),
                    });
                }
            }
        }
        // Through its groups.
        let mut pages = self
            .client
            .list_groups_for_user()
            .user_name(&user)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListGroupsForUser", e))?;
            for group in page.groups() {
                admin_via.extend(self.group_grants(group.group_name()).await?);
            }
        }
        Ok(UserFacts {
            console: self.has_login_profile(&user).await?,
            mfa: self.has_mfa(&user).await?,
            keys: self.keys(&user).await?,
            admin_via,
            user,
        })
    }

    /// The admin grants of group `group` (read once per run).
    async fn group_grants(&mut self, group: &str) -> Result<Vec<Grant>, Error> {
        if let Some(grants) = self.groups.get(group) {
            return Ok(grants.clone());
        }
        let mut grants = Vec::new();
        let mut pages = self
            .client
            .list_attached_group_policies()
            .group_name(group)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListAttachedGroupPolicies", e))?;
            for p in page.attached_policies() {
                let Some(arn) = p.policy_arn() else {
                    continue;
                };
                if let Some(shape) = self.managed_admin_shape(arn).await? {
                    grants.push(Grant {
                        policy: p.policy_name().unwrap_or_default().to_owned(),
                        kind: managed_kind(arn),
                        group: Some(group.to_owned()),
                        statement: shape.as_str(),
                    });
                }
            }
        }
        let mut pages = self
            .client
            .list_group_policies()
            .group_name(group)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListGroupPolicies", e))?;
            for name in page.policy_names() {
                let out = self
                    .client
                    .get_group_policy()
                    .group_name(group)
                    .policy_name(name)
                    .send()
                    .await
                    .map_err(|e| Error::aws("GetGroupPolicy", e))?;
                if let Some(shape) = document_admin_shape(out.policy_document()) {
                    grants.push(Grant {
                        policy: name.clone(),
                        kind: "inline",
                        group: Some(group.to_owned()),
                        statement: shape.as_str(),
                    });
                }
            }
        }
        self.groups.insert(group.to_owned(), grants.clone());
        Ok(grants)
    }

    /// How managed policy `arn`'s default version grants admin, if it does
    /// (read once per run).
    async fn managed_admin_shape(&mut self, arn: &str) -> Result<Option<AdminShape>, Error> {
        if let Some(admin) = self.managed.get(arn) {
            return Ok(*admin);
        }
        let policy = self
            .client
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| Error::aws("GetPolicy", e))?;
        let version = policy
            .policy()
            .and_then(|p| p.default_version_id())
            .unwrap_or("v1")
            .to_owned();
        let out = self
            .client
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(|e| Error::aws("GetPolicyVersion", e))?;
        let admin = out
            .policy_version()
            .and_then(|v| v.document())
            .and_then(document_admin_shape);
        self.managed.insert(arn.to_owned(), admin);
        Ok(admin)
    }

    async fn has_login_profile(&self, user: &str) -> Result<bool, Error> {
        let answer = self.client.get_login_profile().user_name(user).send().await;
        Ok(shared::aws::found("GetLoginProfile", answer, |e| {
            e.is_no_such_entity_exception()
        })?
        .is_some())
    }

    async fn has_mfa(&self, user: &str) -> Result<bool, Error> {
        let mut pages = self
            .client
            .list_mfa_devices()
            .user_name(user)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListMFADevices", e))?;
            if !page.mfa_devices().is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The user's keys with their last use.
    pub async fn keys(&self, user: &str) -> Result<Vec<Key>, Error> {
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_access_keys()
            .user_name(user)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::aws("ListAccessKeys", e))?;
            for k in page.access_key_metadata() {
                let Some(id) = k.access_key_id() else {
                    continue;
                };
                let used = self
                    .client
                    .get_access_key_last_used()
                    .access_key_id(id)
                    .send()
                    .await
                    .map_err(|e| Error::aws("GetAccessKeyLastUsed", e))?;
                keys.push(Key {
                    id: id.to_owned(),
                    active: k.status() == Some(&StatusType::Active),
                    created: k.create_date().and_then(shared::time::from_aws),
                    last_used: used
                        .access_key_last_used()
                        .and_then(|u| u.last_used_date())
                        .and_then(shared::time::from_aws),
                });
            }
        }
        Ok(keys)
    }
}

/// A document as IAM sends it; one that cannot be read grants nothing (and is logged).
fn document_admin_shape(raw: &str) -> Option<AdminShape> {
    match decode_document(raw) {
        Ok(doc) => admin_shape(&doc),
        Err(e) => {
            tracing::warn!(error = %e, "unreadable policy document");
            None
        }
    }
}
