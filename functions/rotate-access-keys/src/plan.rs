//! The rotation decisions: from one user's keys as IAM reports them, the
//! stored key and "now", what to do today and what comes next. Pure.
//!
//! The life of a key: created (stored in Secrets Manager) → the deploy
//! pipeline switches to it (IAM records its use) → `KEY_DEACTIVATE_DAYS`
//! after its creation the *previous* key is deactivated → `KEY_DELETE_DAYS`
//! after that the previous key is deleted → `KEY_ROTATE_DAYS` after its
//! creation the key is itself replaced. No step ever takes away the key the
//! pipeline is using: a previous key is deactivated only once the new one has
//! been used, and not while the previous one is still used after it.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use shared::runbook::Days;

/// An access key's status in IAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KeyStatus {
    /// Signs requests.
    Active,
    /// Kept for rollback; signs nothing.
    Inactive,
}

impl KeyStatus {
    /// IAM's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }
}

/// One access key, with every date the plan needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFacts {
    /// `AccessKeyId` (not secret, but reports show only its suffix).
    pub id: String,
    /// Active or inactive.
    pub status: KeyStatus,
    /// `CreateDate` from IAM.
    pub created: DateTime<Utc>,
    /// `LastUsedDate` from IAM, `None` if never used.
    pub last_used: Option<DateTime<Utc>>,
    /// When it was deactivated, from the user's tag `key-rotation/deactivated/<id>`.
    pub deactivated: Option<DateTime<Utc>>,
}

/// One user's keys and what the function keeps about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFacts {
    /// IAM user name.
    pub user: String,
    /// Tagged `key-rotation=exempt`: never touched, not even when forced.
    pub exempt: bool,
    /// Its access keys (at most two).
    pub keys: Vec<KeyFacts>,
    /// `AccessKeyId` of the key stored in Secrets Manager, `None` without a secret.
    pub stored_key: Option<String>,
    /// Deactivation tags of keys that no longer exist.
    pub stale_tags: Vec<String>,
    /// When a rotation began that never confirmed its key stored (the user
    /// tag `key-rotation/rotating-since`, set before `CreateAccessKey` and
    /// removed once the key is stored).
    pub rotation_started: Option<DateTime<Utc>>,
}

/// The intervals of the runbook's rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationPolicy {
    /// `KEY_ROTATE_DAYS` (90): replace an active key this old.
    pub rotate: Days,
    /// `KEY_DEACTIVATE_DAYS` (7): deactivate the previous key this long after the new one was created.
    pub deactivate: Days,
    /// `KEY_DELETE_DAYS` (14): delete an inactive key this long after its deactivation.
    pub delete: Days,
    /// `KEY_WARN_DAYS` (7): warn this long before each action.
    pub warn: Days,
}

/// A change the plan makes today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAction {
    /// Record today as the deactivation date of an inactive key that has none.
    RecordDeactivation { key: String },
    /// Delete a key whose material was lost (created, never stored, never used).
    DeleteOrphan { key: String },
    /// Delete an inactive key past its deletion date.
    Delete { key: String },
    /// Deactivate the previous key; records the date.
    Deactivate { key: String },
    /// Create a new key and store it in Secrets Manager.
    Rotate { replaces: String },
    /// Remove a deactivation tag of a key that no longer exists.
    ForgetTag { tag: String },
}

impl KeyAction {
    /// The report's stable action id.
    pub fn id(&self) -> &'static str {
        match self {
            KeyAction::RecordDeactivation { .. } => "record-deactivation-date",
            KeyAction::DeleteOrphan { .. } => "delete-orphan-key",
            KeyAction::Delete { .. } => "delete-key",
            KeyAction::Deactivate { .. } => "deactivate-key",
            KeyAction::Rotate { .. } => "create-key",
            KeyAction::ForgetTag { .. } => "remove-stale-tag",
        }
    }
}

/// Something the team should know that the plan does not fix by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The new key has not been used since its creation: the pipeline still
    /// uses the previous key (update the deploy secret).
    NewKeyUnused { new: String, since: DateTime<Utc> },
    /// The previous key was used after the new one: deactivation waits.
    PreviousKeyStillUsed {
        previous: String,
        last_used: DateTime<Utc>,
    },
    /// A rotation is due but an inactive key holds the second slot until its deletion date.
    RotationBlocked {
        inactive: String,
        until: DateTime<Utc>,
    },
    /// A rotation is due (or forced) but both slots hold active keys.
    RotationWaitsForDeactivation { previous: String },
    /// The user has no active key: nothing is rotated (a contained user stays contained).
    NoActiveKey,
    /// The key in Secrets Manager is not one of the user's active keys.
    StoredKeyNotActive { stored: String },
    /// Two active keys and the older one is the stored one: not deactivated.
    StoredKeyIsPrevious { previous: String },
    /// The next action is within `KEY_WARN_DAYS`.
    DueSoon(NextAction),
}

/// What happens next, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextAction {
    /// `rotate`, `deactivate` or `delete`.
    pub action: &'static str,
    /// The key it concerns.
    #[serde(skip)]
    pub key: String,
    /// When (the run on or after this time does it).
    pub date: DateTime<Utc>,
}

/// One user's plan for today.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPlan {
    /// Changes, in the order they are made.
    pub actions: Vec<KeyAction>,
    /// What needs a person.
    pub warnings: Vec<Warning>,
    /// The earliest action after today.
    pub next: Option<NextAction>,
}

/// The user tag marking a rotation in progress (its value: when it began).
pub const ROTATING_TAG: &str = "key-rotation/rotating-since";

fn after(at: DateTime<Utc>, days: Days) -> DateTime<Utc> {
    at + days.to_delta()
}

/// Decides one user's day. `force` rotates now whatever the key's age
/// (still never beyond two keys, never for an exempt user).
pub fn plan_user(
    facts: &UserFacts,
    now: DateTime<Utc>,
    policy: RotationPolicy,
    force: bool,
) -> UserPlan {
    let mut plan = UserPlan::default();
    if facts.exempt {
        return plan;
    }
    for tag in &facts.stale_tags {
        plan.actions.push(KeyAction::ForgetTag { tag: tag.clone() });
    }
    if facts.rotation_started.is_some() {
        plan.actions.push(KeyAction::ForgetTag {
            tag: ROTATING_TAG.to_owned(),
        });
    }
    let mut keys: Vec<KeyFacts> = facts.keys.clone();
    keys.sort_by_key(|k| k.created);
    let mut upcoming: Vec<NextAction> = Vec::new();

    // Inactive keys: make sure each has its deactivation date, delete those past it.
    for key in keys.iter_mut().filter(|k| k.status == KeyStatus::Inactive) {
        if key.deactivated.is_none() {
            plan.actions.push(KeyAction::RecordDeactivation {
                key: key.id.clone(),
            });
            key.deactivated = Some(now);
        }
    }
    let stored = facts.stored_key.as_deref();
    let stored_active = keys
        .iter()
        .find(|k| Some(k.id.as_str()) == stored && k.status == KeyStatus::Active)
        .map(|k| k.created);
    keys.retain(|key| {
        if key.status == KeyStatus::Inactive {
            let due = after(key.deactivated.unwrap_or(now), policy.delete);
            if now >= due {
                plan.actions.push(KeyAction::Delete {
                    key: key.id.clone(),
                });
                return false;
            }
            upcoming.push(NextAction {
                action: "delete",
                key: key.id.clone(),
                date: due,
            });
            return true;
        }
        // An orphan: created by an unfinished rotation (after the stored key,
        // or after a rotation began that never confirmed), never stored,
        // never used — its secret half was lost. Nobody can use it.
        let orphan = key.last_used.is_none()
            && Some(key.id.as_str()) != stored
            && (stored_active.is_some_and(|stored_created| key.created > stored_created)
                || facts
                    .rotation_started
                    .is_some_and(|started| key.created >= started));
        if orphan {
            plan.actions.push(KeyAction::DeleteOrphan {
                key: key.id.clone(),
            });
            return false;
        }
        true
    });

    let active: Vec<&KeyFacts> = keys
        .iter()
        .filter(|k| k.status == KeyStatus::Active)
        .collect();
    if let Some(stored) = stored
        && !active.iter().any(|k| k.id == stored)
    {
        plan.warnings.push(Warning::StoredKeyNotActive {
            stored: stored.to_owned(),
        });
    }
    match active.as_slice() {
        [] => plan.warnings.push(Warning::NoActiveKey),
        [current] => {
            let due = after(current.created, policy.rotate);
            if force || now >= due {
                match keys.iter().find(|k| k.status == KeyStatus::Inactive) {
                    None => {
                        plan.actions.push(KeyAction::Rotate {
                            replaces: current.id.clone(),
                        });
                        upcoming.clear();
                        upcoming.push(NextAction {
                            action: "deactivate",
                            key: current.id.clone(),
                            date: after(now, policy.deactivate),
                        });
                    }
                    Some(inactive) => {
                        let until = after(inactive.deactivated.unwrap_or(now), policy.delete);
                        plan.warnings.push(Warning::RotationBlocked {
                            inactive: inactive.id.clone(),
                            until,
                        });
                    }
                }
            } else {
                upcoming.push(NextAction {
                    action: "rotate",
                    key: current.id.clone(),
                    date: due,
                });
            }
        }
        [previous, new, ..] => {
            let due = after(new.created, policy.deactivate);
            // Both slots are taken; a rotation is due once the newer key is
            // itself old. A key made within the hour is this forced run's own
            // (a retried event), not a reason to ask for another.
            let fresh = new.created >= now - TimeDelta::hours(1);
            let rotation_due = (force && !fresh) || now >= after(new.created, policy.rotate);
            match (new.last_used, previous.last_used) {
                (None, _) => {
                    if now >= due {
                        plan.warnings.push(Warning::NewKeyUnused {
                            new: new.id.clone(),
                            since: new.created,
                        });
                    } else {
                        upcoming.push(NextAction {
                            action: "deactivate",
                            key: previous.id.clone(),
                            date: due,
                        });
                    }
                }
                (Some(new_used), Some(previous_used)) if previous_used > new_used => {
                    plan.warnings.push(Warning::PreviousKeyStillUsed {
                        previous: previous.id.clone(),
                        last_used: previous_used,
                    });
                }
                (Some(_), _) if Some(previous.id.as_str()) == stored => {
                    plan.warnings.push(Warning::StoredKeyIsPrevious {
                        previous: previous.id.clone(),
                    });
                }
                (Some(_), _) if now >= due => {
                    plan.actions.push(KeyAction::Deactivate {
                        key: previous.id.clone(),
                    });
                    upcoming.push(NextAction {
                        action: "delete",
                        key: previous.id.clone(),
                        date: after(now, policy.delete),
                    });
                }
                (Some(_), _) => upcoming.push(NextAction {
                    action: "deactivate",
                    key: previous.id.clone(),
                    date: due,
                }),
            }
            let deactivating = plan
                .actions
                .iter()
                .any(|a| matches!(a, KeyAction::Deactivate { .. }));
            if rotation_due && !deactivating {
                plan.warnings.push(Warning::RotationWaitsForDeactivation {
                    previous: previous.id.clone(),
                });
            }
        }
    }
    plan.next = upcoming.into_iter().min_by_key(|n| n.date);
    if let Some(next) = &plan.next
        && next.date - now <= policy.warn.to_delta()
        && next.date > now
    {
        plan.warnings.push(Warning::DueSoon(next.clone()));
    }
    plan
}

/// Whole days from `from` to `to` (0 when `to` is earlier: a replayed event).
pub fn age_days(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).max(TimeDelta::zero()).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-11-28T01:00:00Z";

    fn now() -> DateTime<Utc> {
        NOW.parse().unwrap()
    }

    fn days_ago(days: i64) -> DateTime<Utc> {
        now() - TimeDelta::days(days)
    }

    fn policy() -> RotationPolicy {
        RotationPolicy {
            rotate: Days(90),
            deactivate: Days(7),
            delete: Days(14),
            warn: Days(7),
        }
    }

    fn active(id: &str, age: i64, used: Option<i64>) -> KeyFacts {
        KeyFacts {
            id: id.into(),
            status: KeyStatus::Active,
            created: days_ago(age),
            last_used: used.map(days_ago),
            deactivated: None,
        }
    }

    fn inactive(id: &str, age: i64, deactivated: Option<i64>) -> KeyFacts {
        KeyFacts {
            id: id.into(),
            status: KeyStatus::Inactive,
            created: days_ago(age),
            last_used: Some(days_ago(age.min(30))),
            deactivated: deactivated.map(days_ago),
        }
    }

    fn user(keys: Vec<KeyFacts>, stored: Option<&str>) -> UserFacts {
        UserFacts {
            user: "github-actions-deploy".into(),
            exempt: false,
            keys,
            stored_key: stored.map(String::from),
            stale_tags: Vec::new(),
            rotation_started: None,
        }
    }

    fn plan(facts: &UserFacts) -> UserPlan {
        plan_user(facts, now(), policy(), false)
    }

    fn rotate(id: &str) -> KeyAction {
        KeyAction::Rotate {
            replaces: id.into(),
        }
    }

    #[test]
    fn one_young_active_key_waits_for_its_rotation_date() {
        let p = plan(&user(vec![active("AKIAOLD", 30, Some(1))], Some("AKIAOLD")));
        assert!(p.actions.is_empty() && p.warnings.is_empty());
        let next = p.next.unwrap();
        assert_eq!(
            (next.action, next.date),
            ("rotate", days_ago(30) + TimeDelta::days(90))
        );
    }

    #[test]
    fn a_rotation_within_the_warning_window_is_announced() {
        let p = plan(&user(vec![active("AKIAOLD", 85, Some(1))], None));
        assert!(p.actions.is_empty());
        assert!(matches!(&p.warnings[..], [Warning::DueSoon(n)] if n.action == "rotate"));
    }

    #[test]
    fn an_active_key_at_90_days_is_rotated_and_89_is_not() {
        assert_eq!(
            plan(&user(vec![active("AKIAOLD", 90, Some(1))], None)).actions,
            [rotate("AKIAOLD")]
        );
        assert!(
            plan(&user(vec![active("AKIAOLD", 89, Some(1))], None))
                .actions
                .is_empty()
        );
        // Never used at all: still rotated by age.
        assert_eq!(
            plan(&user(vec![active("AKIAOLD", 120, None)], None)).actions,
            [rotate("AKIAOLD")]
        );
    }

    #[test]
    fn force_rotates_a_young_key_but_never_an_exempt_user() {
        let facts = user(vec![active("AKIAOLD", 3, Some(1))], None);
        assert_eq!(
            plan_user(&facts, now(), policy(), true).actions,
            [rotate("AKIAOLD")]
        );
        let exempt = UserFacts {
            exempt: true,
            ..user(vec![active("AKIAOLD", 400, Some(1))], None)
        };
        assert_eq!(
            plan_user(&exempt, now(), policy(), true),
            UserPlan::default()
        );
    }

    #[test]
    fn the_previous_key_is_deactivated_only_after_the_new_one_was_used() {
        // New key 8 days old, used yesterday; previous last used 5 days ago.
        let keys = vec![
            active("AKIAPREV", 98, Some(5)),
            active("AKIANEW", 8, Some(1)),
        ];
        let p = plan(&user(keys, Some("AKIANEW")));
        assert_eq!(
            p.actions,
            [KeyAction::Deactivate {
                key: "AKIAPREV".into()
            }]
        );
        assert_eq!(
            p.next.as_ref().map(|n| (n.action, n.date)),
            Some(("delete", now() + TimeDelta::days(14)))
        );

        // Same, but the new key never used: warn every day, change nothing.
        let keys = vec![active("AKIAPREV", 98, Some(0)), active("AKIANEW", 8, None)];
        let p = plan(&user(keys, Some("AKIANEW")));
        assert!(p.actions.is_empty());
        assert!(matches!(p.warnings[..], [Warning::NewKeyUnused { .. }]));

        // Used, but the previous key was used after it: the pipeline is not switched.
        let keys = vec![
            active("AKIAPREV", 98, Some(0)),
            active("AKIANEW", 8, Some(2)),
        ];
        let p = plan(&user(keys, Some("AKIANEW")));
        assert!(p.actions.is_empty());
        assert!(matches!(
            p.warnings[..],
            [Warning::PreviousKeyStillUsed { .. }]
        ));
    }

    #[test]
    fn deactivation_waits_for_its_date_even_when_the_new_key_is_used() {
        let keys = vec![
            active("AKIAPREV", 95, Some(3)),
            active("AKIANEW", 5, Some(1)),
        ];
        let p = plan(&user(keys, Some("AKIANEW")));
        assert!(p.actions.is_empty());
        let next = p.next.unwrap();
        assert_eq!(
            (next.action, next.key.as_str(), next.date),
            ("deactivate", "AKIAPREV", days_ago(5) + TimeDelta::days(7))
        );
        assert!(matches!(&p.warnings[..], [Warning::DueSoon(_)]));
    }

    #[test]
    fn an_inactive_key_is_deleted_14_days_after_its_deactivation() {
        let keys = vec![
            inactive("AKIAPREV", 110, Some(14)),
            active("AKIANEW", 20, Some(1)),
        ];
        assert_eq!(
            plan(&user(keys, Some("AKIANEW"))).actions,
            [KeyAction::Delete {
                key: "AKIAPREV".into()
            }]
        );
        let keys = vec![
            inactive("AKIAPREV", 110, Some(13)),
            active("AKIANEW", 20, Some(1)),
        ];
        let p = plan(&user(keys, Some("AKIANEW")));
        assert!(p.actions.is_empty());
        assert_eq!(p.next.map(|n| n.action), Some("delete"));
    }

    #[test]
    fn an_inactive_key_without_a_date_gets_today_and_is_kept_14_days() {
        let keys = vec![
            inactive("AKIAPREV", 200, None),
            active("AKIANEW", 20, Some(1)),
        ];
        let p = plan(&user(keys, Some("AKIANEW")));
        assert_eq!(
            p.actions,
            [KeyAction::RecordDeactivation {
                key: "AKIAPREV".into()
            }]
        );
        assert_eq!(p.next.map(|n| n.date), Some(now() + TimeDelta::days(14)));
    }

    #[test]
    fn an_inactive_key_blocking_a_rotation_is_deleted_first_when_its_time_has_come() {
        let keys = vec![
            inactive("AKIAPREV", 200, Some(20)),
            active("AKIACUR", 91, Some(1)),
        ];
        let p = plan(&user(keys, Some("AKIACUR")));
        assert_eq!(
            p.actions,
            [
                KeyAction::Delete {
                    key: "AKIAPREV".into()
                },
                rotate("AKIACUR")
            ]
        );
        // Not yet deletable: the rotation waits, and says until when.
        let keys = vec![
            inactive("AKIAPREV", 200, Some(3)),
            active("AKIACUR", 91, Some(1)),
        ];
        let p = plan(&user(keys, Some("AKIACUR")));
        assert!(p.actions.is_empty());
        assert!(
            matches!(&p.warnings[..], [Warning::RotationBlocked { until, .. }] if *until == days_ago(3) + TimeDelta::days(14))
        );
    }

    #[test]
    fn two_old_active_keys_retire_the_older_before_any_rotation() {
        let keys = vec![
            active("AKIAA", 300, Some(40)),
            active("AKIAB", 200, Some(1)),
        ];
        let p = plan(&user(keys, None));
        assert_eq!(
            p.actions,
            [KeyAction::Deactivate {
                key: "AKIAA".into()
            }]
        );
        // Forced with both slots active and nothing to retire yet: a warning, no third key.
        let keys = vec![active("AKIAA", 300, Some(0)), active("AKIAB", 200, Some(1))];
        let p = plan_user(&user(keys, None), now(), policy(), true);
        assert!(p.actions.is_empty());
        assert!(p.warnings.contains(&Warning::RotationWaitsForDeactivation {
            previous: "AKIAA".into()
        }));
    }

    #[test]
    fn a_retried_forced_rotation_finds_its_key_and_asks_for_nothing_more() {
        let mut new = active("AKIANEW", 0, None);
        new.created = now() + TimeDelta::seconds(3);
        let keys = vec![active("AKIACUR", 30, Some(1)), new];
        let p = plan_user(&user(keys, Some("AKIANEW")), now(), policy(), true);
        assert!(p.actions.is_empty());
        assert_eq!(p.warnings, []);
        assert_eq!(p.next.map(|n| n.action), Some("deactivate"));
    }

    #[test]
    fn a_key_whose_secret_was_never_stored_is_deleted_as_an_orphan() {
        // Created yesterday, never used, not the stored key: storing it failed.
        let keys = vec![active("AKIACUR", 100, Some(0)), active("AKIALOST", 1, None)];
        let p = plan(&user(keys, Some("AKIACUR")));
        assert_eq!(
            p.actions,
            [
                KeyAction::DeleteOrphan {
                    key: "AKIALOST".into()
                },
                rotate("AKIACUR")
            ]
        );
        // Without a stored secret nothing tells a lost key from a hand-made one: kept…
        let keys = vec![active("AKIACUR", 100, Some(0)), active("AKIAHAND", 1, None)];
        assert!(plan(&user(keys.clone(), None)).actions.is_empty());
        // …unless an unfinished rotation began before it was created.
        let mut facts = user(keys, None);
        facts.rotation_started = Some(days_ago(1) - TimeDelta::seconds(1));
        assert_eq!(
            plan(&facts).actions,
            [
                KeyAction::ForgetTag {
                    tag: ROTATING_TAG.into()
                },
                KeyAction::DeleteOrphan {
                    key: "AKIAHAND".into()
                },
                rotate("AKIACUR")
            ]
        );
    }

    #[test]
    fn no_active_key_is_never_rotated_or_revived() {
        let p = plan(&user(vec![inactive("AKIAX", 100, Some(2))], None));
        assert!(p.actions.is_empty());
        assert!(p.warnings.contains(&Warning::NoActiveKey));
        let p = plan_user(&user(vec![], None), now(), policy(), true);
        assert_eq!(p.actions, []);
        assert_eq!(p.warnings, [Warning::NoActiveKey]);
    }

    #[test]
    fn the_stored_key_is_never_the_one_deactivated() {
        let keys = vec![
            active("AKIAPREV", 98, Some(5)),
            active("AKIANEW", 8, Some(1)),
        ];
        let p = plan(&user(keys, Some("AKIAPREV")));
        assert!(p.actions.is_empty());
        assert!(p.warnings.contains(&Warning::StoredKeyIsPrevious {
            previous: "AKIAPREV".into()
        }));
    }

    #[test]
    fn tags_of_deleted_keys_are_forgotten() {
        let mut facts = user(vec![active("AKIACUR", 10, Some(1))], Some("AKIACUR"));
        facts.stale_tags = vec!["key-rotation/deactivated/AKIAGONE".into()];
        assert_eq!(
            plan(&facts).actions,
            [KeyAction::ForgetTag {
                tag: "key-rotation/deactivated/AKIAGONE".into()
            }]
        );
    }

    #[test]
    fn a_replayed_event_older_than_the_keys_sees_age_zero() {
        assert_eq!(age_days(now(), days_ago(3)), 0);
        assert_eq!(age_days(days_ago(3), now()), 3);
    }
}

#[cfg(test)]
mod property {
    //! Daily runs against a simulated IAM and a deploy pipeline that switches
    //! to the stored key after some delay (or never): the key the pipeline
    //! uses is never deactivated or deleted, a user never has more than two
    //! keys nor loses its last active key, and a pipeline that switches
    //! promptly never runs on a key much older than the rotation period.

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    struct SimKey {
        id: String,
        active: bool,
        created: DateTime<Utc>,
        last_used: Option<DateTime<Utc>>,
        deactivated: Option<DateTime<Utc>>,
    }

    struct World {
        keys: Vec<SimKey>,
        stored: Option<String>,
        rotation_started: Option<DateTime<Utc>>,
        pipeline: String,
        switch_after: Option<i64>,
        next_id: u32,
    }

    fn start() -> DateTime<Utc> {
        "2026-01-01T01:00:00Z".parse().unwrap()
    }

    impl World {
        fn facts(&self) -> UserFacts {
            UserFacts {
                user: "github-actions-deploy".into(),
                exempt: false,
                keys: self
                    .keys
                    .iter()
                    .map(|k| KeyFacts {
                        id: k.id.clone(),
                        status: if k.active {
                            KeyStatus::Active
                        } else {
                            KeyStatus::Inactive
                        },
                        created: k.created,
                        last_used: k.last_used,
                        deactivated: k.deactivated,
                    })
                    .collect(),
                stored_key: self.stored.clone(),
                stale_tags: Vec::new(),
                rotation_started: self.rotation_started,
            }
        }

        fn apply(&mut self, action: &KeyAction, now: DateTime<Utc>, store_fails: bool) {
            match action {
                KeyAction::RecordDeactivation { key } => self.key(key).deactivated = Some(now),
                KeyAction::Delete { key } | KeyAction::DeleteOrphan { key } => {
                    self.keys.retain(|k| &k.id != key);
                }
                KeyAction::Deactivate { key } => {
                    let k = self.key(key);
                    k.active = false;
                    k.deactivated = Some(now);
                }
                KeyAction::Rotate { .. } => {
                    assert!(
                        self.keys.len() < 2,
                        "IAM allows two keys; the plan asked for a third"
                    );
                    self.next_id += 1;
                    let id = format!("AKIA{:04}", self.next_id);
                    self.keys.push(SimKey {
                        id: id.clone(),
                        active: true,
                        created: now,
                        last_used: None,
                        deactivated: None,
                    });
                    // The marker goes on before the key is created, and comes
                    // off only once it is stored (a crash in between leaves it).
                    self.rotation_started = Some(now);
                    if !store_fails {
                        self.stored = Some(id);
                        self.rotation_started = None;
                    }
                }
                KeyAction::ForgetTag { tag } if tag == ROTATING_TAG => self.rotation_started = None,
                KeyAction::ForgetTag { .. } => {}
            }
        }

        fn key(&mut self, id: &str) -> &mut SimKey {
            self.keys.iter_mut().find(|k| k.id == id).unwrap()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn daily_runs_never_take_away_the_key_the_pipeline_uses(
            initial_age in 0i64..400,
            switch_after in proptest::option::weighted(0.8, 0i64..30),
            store_failures in proptest::collection::vec(any::<bool>(), 0..8),
            used_daily in 0.5f64..1.0,
            seed in any::<u64>(),
        ) {
            let mut world = World {
                keys: vec![SimKey {
                    id: "AKIA0000".into(),
                    active: true,
                    created: start() - TimeDelta::days(initial_age),
                    last_used: None,
                    deactivated: None,
                }],
                stored: None,
                rotation_started: None,
                pipeline: "AKIA0000".into(),
                switch_after,
                next_id: 0,
            };
            let mut rng = seed;
            let mut rotations = 0usize;
            for day in 0..500 {
                let now = start() + TimeDelta::days(day);
                // The pipeline deploys on most days, with its key, before the run.
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                if ((rng >> 33) as f64 / (1u64 << 31) as f64) < used_daily {
                    let pipeline = world.pipeline.clone();
                    world.key(&pipeline).last_used = Some(now - TimeDelta::hours(2));
                }
                let plan = plan_user(&world.facts(), now, RotationPolicy {
                    rotate: Days(90), deactivate: Days(7), delete: Days(14), warn: Days(7),
                }, false);
                for action in &plan.actions {
                    let fails = matches!(action, KeyAction::Rotate { .. })
                        && store_failures.get(rotations).copied().unwrap_or(false);
                    if matches!(action, KeyAction::Rotate { .. }) {
                        rotations += 1;
                    }
                    world.apply(action, now, fails);
                }
                // The pipeline switches to the stored key some days after it was created.
                if let (Some(stored), Some(delay)) = (world.stored.clone(), world.switch_after) {
                    let created = world.keys.iter().find(|k| k.id == stored).map(|k| k.created);
                    if stored != world.pipeline && created.is_some_and(|c| now >= c + TimeDelta::days(delay)) {
                        world.pipeline = stored;
                    }
                }
                let pipeline_key = world.keys.iter().find(|k| k.id == world.pipeline);
                prop_assert!(pipeline_key.is_some_and(|k| k.active), "day {day}: the pipeline's key {} is gone or inactive", world.pipeline);
                prop_assert!(world.keys.len() <= 2, "day {day}: {} keys", world.keys.len());
                prop_assert!(world.keys.iter().any(|k| k.active), "day {day}: no active key left");
                if let (Some(delay), Some(key)) = (world.switch_after, pipeline_key) {
                    // Once the first rotation has settled (an initially old key is
                    // replaced on day 0, a failed store is retried the next day),
                    // the pipeline runs on a key at most 90 d + its switch delay
                    // + a day per failed store old.
                    let failures = store_failures.iter().filter(|f| **f).count() as i64;
                    let bound = 90 + delay + failures + 2;
                    if day > 45 {
                        prop_assert!(age_days(key.created, now) <= bound, "day {day}: pipeline key is {} days old (bound {bound})", age_days(key.created, now));
                    }
                }
            }
        }
    }
}
