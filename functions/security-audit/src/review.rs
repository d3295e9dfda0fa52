//! The IAM review, judged: who holds admin, which active keys have gone
//! unused, which console users have no MFA. Pure.

use chrono::{DateTime, Utc};

use crate::iam::{Key, UserFacts};

/// Whole days an active key has gone unused: since its last use, or its
/// creation when it was never used.
pub fn unused_days(key: &Key, now: DateTime<Utc>) -> Option<i64> {
    let since = key.last_used.or(key.created)?;
    Some((now - since).num_days().max(0))
}

/// An active key unused for longer than the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusedKey<'a> {
    /// Whose.
    pub user: &'a str,
    /// The key.
    pub key: &'a Key,
    /// Whole days unused.
    pub days: i64,
}

/// Every **active** key unused for more than `limit` days.
pub fn unused_keys(users: &[UserFacts], now: DateTime<Utc>, limit: u32) -> Vec<UnusedKey<'_>> {
    users
        .iter()
        .flat_map(|u| u.keys.iter().map(move |k| (u, k)))
        .filter(|(_, k)| k.active)
        .filter_map(|(u, key)| {
            let days = unused_days(key, now)?;
            (days > i64::from(limit)).then_some(UnusedKey {
                user: &u.user,
                key,
                days,
            })
        })
        .collect()
}

/// Users with a console password and no MFA device.
pub fn console_without_mfa(users: &[UserFacts]) -> Vec<&UserFacts> {
    users.iter().filter(|u| u.console && !u.mfa).collect()
}

/// Users that hold admin by any route.
pub fn admins(users: &[UserFacts]) -> Vec<&UserFacts> {
    users.iter().filter(|u| !u.admin_via.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::iam::Grant;

    fn now() -> DateTime<Utc> {
        shared::time::parse_event_time("at", "2026-12-01T00:00:00Z").unwrap()
    }

    fn key(active: bool, created_days: i64, used_days: Option<i64>) -> Key {
        Key {
            id: "AKIAEXAMPLE000000001".into(),
            active,
            created: Some(now() - TimeDelta::days(created_days) - TimeDelta::hours(3)),
            last_used: used_days.map(|d| now() - TimeDelta::days(d) - TimeDelta::hours(3)),
        }
    }

    fn user(name: &str, keys: Vec<Key>) -> UserFacts {
        UserFacts {
            user: name.into(),
            admin_via: Vec::new(),
            console: false,
            mfa: false,
            keys,
        }
    }

    #[test]
    fn an_active_key_is_unused_after_ninety_days_since_its_last_use_or_creation() {
        let users = [
            user("a", vec![key(true, 400, Some(90))]),
            user("b", vec![key(true, 400, Some(91))]),
            user("c", vec![key(true, 91, None)]),
            user("d", vec![key(true, 90, None)]),
            user("e", vec![key(false, 400, None)]),
        ];
        let found: Vec<(&str, i64)> = unused_keys(&users, now(), 90)
            .iter()
            .map(|u| (u.user, u.days))
            .collect();
        assert_eq!(found, [("b", 91), ("c", 91)]);
    }

    #[test]
    fn console_users_without_mfa_and_admins_are_found() {
        let mut a = user("a", Vec::new());
        a.console = true;
        let mut b = user("b", Vec::new());
        b.console = true;
        b.mfa = true;
        let mut c = user("c", Vec::new());
        c.admin_via.push(Grant {
            policy: "AdministratorAccess".into(),
            kind: "aws-managed",
            group: None,
            statement: "action-star",
        });
        let users = [a, b, c];
        let names: Vec<&str> = console_without_mfa(&users)
            .iter()
            .map(|u| u.user.as_str())
            .collect();
        assert_eq!(names, ["a"]);
        let names: Vec<&str> = admins(&users).iter().map(|u| u.user.as_str()).collect();
        assert_eq!(names, ["c"]);
    }
}
