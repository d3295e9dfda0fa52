//! Containment (ARCHITECTURE §4): the offenders are the IAM users named by a
//! critical finding of this run; each of their **active** keys gets one
//! `deactivate-access-key`. Nothing else is ever changed. Pure plan; the
//! one call, `UpdateAccessKey Status=Inactive`, is made by the handler.

use std::collections::BTreeSet;

use crate::iam::Key;

/// What becomes of one active key of an offender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containment {
    /// `AUDIT_AUTO_CONTAIN=true`: deactivate it now.
    Deactivate,
    /// `AUDIT_AUTO_CONTAIN=true` in a dry run: it would be deactivated.
    Planned,
    /// `AUDIT_AUTO_CONTAIN` unset: recommended, with how to do it by hand.
    Recommended,
}

/// One key to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyContainment {
    /// The offender.
    pub user: String,
    /// The active key.
    pub key: Key,
    /// What to do with it.
    pub containment: Containment,
}

/// The actions for `offenders`' active keys (`keys_of` gives a user's keys).
pub fn plan_containment(
    offenders: &BTreeSet<String>,
    keys_of: impl Fn(&str) -> Vec<Key>,
    auto_contain: bool,
    dry_run: bool,
) -> Vec<KeyContainment> {
    let containment = match (auto_contain, dry_run) {
        (true, false) => Containment::Deactivate,
        (true, true) => Containment::Planned,
        (false, _) => Containment::Recommended,
    };
    offenders
        .iter()
        .flat_map(|user| {
            keys_of(user)
                .into_iter()
                .filter(|k| k.active)
                .map(move |key| KeyContainment {
                    user: user.clone(),
                    key,
                    containment,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, active: bool) -> Key {
        Key {
            id: id.into(),
            active,
            created: None,
            last_used: None,
        }
    }

    fn keys_of(user: &str) -> Vec<Key> {
        match user {
            "github-actions-deploy" => vec![
                key("AKIA0000000000000001", true),
                key("AKIA0000000000000002", false),
            ],
            _ => vec![key("AKIA0000000000000003", true)],
        }
    }

    #[test]
    fn only_active_keys_of_offenders_and_the_flag_decides_what_happens() {
        let offenders: BTreeSet<String> = ["github-actions-deploy".to_owned()].into();
        for (auto, dry, expected) in [
            (true, false, Containment::Deactivate),
            (true, true, Containment::Planned),
            (false, false, Containment::Recommended),
            (false, true, Containment::Recommended),
        ] {
            let plan = plan_containment(&offenders, keys_of, auto, dry);
            assert_eq!(plan.len(), 1, "the inactive key gets no action");
            assert_eq!(plan[0].key.id, "AKIA0000000000000001");
            assert_eq!(plan[0].containment, expected);
        }
        assert!(plan_containment(&BTreeSet::new(), keys_of, true, false).is_empty());
    }
}
