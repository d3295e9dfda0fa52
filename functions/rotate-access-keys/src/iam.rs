//! IAM: the facts about a user's keys, and the changes a plan makes.

use std::fmt;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{StatusType, Tag};
use chrono::{DateTime, Utc};
use shared::Error;

use crate::plan::{KeyFacts, KeyStatus, ROTATING_TAG, UserFacts};

/// The user tag that exempts a user from rotation (`key-rotation=exempt`).
pub const EXEMPT_TAG: (&str, &str) = ("key-rotation", "exempt");
/// Prefix of the user tags that record when a key was deactivated (IAM keeps no such date).
pub const DEACTIVATED_TAG_PREFIX: &str = "key-rotation/deactivated/";

/// The tag key recording `key_id`'s deactivation date.
pub fn deactivated_tag(key_id: &str) -> String {
    format!("{DEACTIVATED_TAG_PREFIX}{key_id}")
}

/// What IAM says about `user`: tags, keys, each key's last use. `None` when
/// the user does not exist.
pub async fn user_facts(
    client: &Client,
    user: &str,
    stored_key: Option<String>,
) -> Result<Option<UserFacts>, Error> {
    let mut tags: Vec<(String, String)> = Vec::new();
    let mut pages = client
        .list_user_tags()
        .user_name(user)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let Some(page) =
            shared::aws::found("ListUserTags", page, |e| e.is_no_such_entity_exception())?
        else {
            return Ok(None);
        };
        tags.extend(
            page.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        );
    }
    let exempt = tags
        .iter()
        .any(|(k, v)| k == EXEMPT_TAG.0 && v == EXEMPT_TAG.1);

    let mut keys = Vec::new();
    let mut pages = client
        .list_access_keys()
        .user_name(user)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("ListAccessKeys", e))?;
        for meta in page.access_key_metadata() {
            let (Some(id), Some(status), Some(created)) = (
                meta.access_key_id(),
                meta.status(),
                meta.create_date().and_then(shared::time::from_aws),
            ) else {
                continue;
            };
            let last_used = client
                .get_access_key_last_used()
                .access_key_id(id)
                .send()
                .await
                .map_err(|e| Error::aws("GetAccessKeyLastUsed", e))?
                .access_key_last_used()
                .and_then(|u| u.last_used_date())
                .and_then(shared::time::from_aws);
            let tag = deactivated_tag(id);
            let deactivated = tags
                .iter()
                .find(|(k, _)| *k == tag)
                .and_then(|(_, v)| DateTime::parse_from_rfc3339(v).ok())
                .map(|t| t.with_timezone(&Utc));
            keys.push(KeyFacts {
                id: id.to_owned(),
                status: if *status == StatusType::Active {
                    KeyStatus::Active
                } else {
                    KeyStatus::Inactive
                },
                created,
                last_used,
                deactivated,
            });
        }
    }
    let stale_tags = tags
        .iter()
        .filter_map(|(k, _)| k.strip_prefix(DEACTIVATED_TAG_PREFIX).map(|id| (k, id)))
        .filter(|(_, id)| !keys.iter().any(|key| key.id == *id))
        .map(|(k, _)| k.clone())
        .collect();
    let rotation_started = tags
        .iter()
        .find(|(k, _)| k == ROTATING_TAG)
        .and_then(|(_, v)| DateTime::parse_from_rfc3339(v).ok())
        .map(|t| t.with_timezone(&Utc));
    Ok(Some(UserFacts {
        user: user.to_owned(),
        exempt,
        keys,
        stored_key,
        stale_tags,
        rotation_started,
    }))
}

/// A key as IAM created it. The secret half is only ever handed to Secrets
/// Manager; it has no `Debug`/`Display` of its own.
pub struct NewKey {
    /// `AccessKeyId`.
    pub id: String,
    /// `CreateDate`.
    pub created: DateTime<Utc>,
    secret: String,
}

impl NewKey {
    /// The secret access key, for the one place that stores it.
    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for NewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKey")
            .field("id", &self.id)
            .field("created", &self.created)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// `CreateAccessKey` for `user`.
pub async fn create_key(client: &Client, user: &str, now: DateTime<Utc>) -> Result<NewKey, Error> {
    let out = client
        .create_access_key()
        .user_name(user)
        .send()
        .await
        .map_err(|e| Error::aws("CreateAccessKey", e))?;
    let key = out
        .access_key()
        .ok_or_else(|| Error::Unexpected("CreateAccessKey returned no key".into()))?;
    Ok(NewKey {
        id: key.access_key_id().to_owned(),
        created: key
            .create_date()
            .and_then(shared::time::from_aws)
            .unwrap_or(now),
        secret: key.secret_access_key().to_owned(),
    })
}

/// Deactivates `key` and records the date on the user.
pub async fn deactivate_key(
    client: &Client,
    user: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    client
        .update_access_key()
        .user_name(user)
        .access_key_id(key)
        .status(StatusType::Inactive)
        .send()
        .await
        .map_err(|e| Error::aws("UpdateAccessKey", e))?;
    record_deactivation(client, user, key, now).await
}

/// Tags `user` with `key`'s deactivation date.
pub async fn record_deactivation(
    client: &Client,
    user: &str,
    key: &str,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    tag_user(client, user, &deactivated_tag(key), at).await
}

/// Marks a rotation of `user` as begun at `at` (IAM's clock, which stamps
/// the key's `CreateDate`), before the key is created.
pub async fn mark_rotation(client: &Client, user: &str, at: DateTime<Utc>) -> Result<(), Error> {
    tag_user(client, user, ROTATING_TAG, at).await
}

async fn tag_user(client: &Client, user: &str, key: &str, at: DateTime<Utc>) -> Result<(), Error> {
    let tag = Tag::builder()
        .key(key)
        .value(shared::time::rfc3339(at))
        .build()
        .map_err(|e| Error::Unexpected(format!("tag: {e}")))?;
    client
        .tag_user()
        .user_name(user)
        .tags(tag)
        .send()
        .await
        .map_err(|e| Error::aws("TagUser", e))?;
    Ok(())
}

/// Deletes `key` and forgets its deactivation date.
pub async fn delete_key(client: &Client, user: &str, key: &str) -> Result<(), Error> {
    client
        .delete_access_key()
        .user_name(user)
        .access_key_id(key)
        .send()
        .await
        .map_err(|e| Error::aws("DeleteAccessKey", e))?;
    forget_tag(client, user, &deactivated_tag(key)).await
}

/// Removes the user tag `tag`.
pub async fn forget_tag(client: &Client, user: &str, tag: &str) -> Result<(), Error> {
    client
        .untag_user()
        .user_name(user)
        .tag_keys(tag)
        .send()
        .await
        .map_err(|e| Error::aws("UntagUser", e))?;
    Ok(())
}

/// A user outside `ROTATE_USERS` with an old active key (report only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmanagedKey {
    /// IAM user.
    pub user: String,
    /// `AccessKeyId`.
    pub key: String,
    /// `CreateDate`.
    pub created: DateTime<Utc>,
}

/// Every active key of a user not in `managed` created before `older_than`.
pub async fn unmanaged_old_keys(
    client: &Client,
    managed: &[String],
    older_than: DateTime<Utc>,
) -> Result<Vec<UnmanagedKey>, Error> {
    let mut found = Vec::new();
    let mut users = client.list_users().into_paginator().items().send();
    while let Some(user) = users.next().await {
        let user = user.map_err(|e| Error::aws("ListUsers", e))?;
        let name = user.user_name();
        if managed.iter().any(|m| m == name) {
            continue;
        }
        let mut keys = client
            .list_access_keys()
            .user_name(name)
            .into_paginator()
            .items()
            .send();
        while let Some(meta) = keys.next().await {
            let meta = meta.map_err(|e| Error::aws("ListAccessKeys", e))?;
            let created = meta.create_date().and_then(shared::time::from_aws);
            if let (Some(id), Some(StatusType::Active), Some(created)) =
                (meta.access_key_id(), meta.status(), created)
                && created <= older_than
            {
                found.push(UnmanagedKey {
                    user: name.to_owned(),
                    key: id.to_owned(),
                    created,
                });
            }
        }
    }
    Ok(found)
}
