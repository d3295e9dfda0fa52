//! `AUDIT_SUPPRESS`: known, accepted findings, each with a reason and an end
//! date, so a true finding is never drowned by a known one. A matching
//! finding is reported `ok` with the reason; its events stay listed, marked
//! `suppressed`; containment never acts on it. An entry past its date no
//! longer matches and is reported once (`audit-suppression-expired`).

use chrono::NaiveDate;
use ipnet::IpNet;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::ConfigError;

use crate::trail::TrailEvent;

/// The checks a suppression may name (those whose findings name a
/// principal or events).
pub const CHECKS: [&str; 10] = [
    "iam-admin-access",
    "iam-access-key-unused",
    "iam-console-without-mfa",
    "cloudtrail-destructive-call",
    "cloudtrail-night-activity",
    "cloudtrail-delete-burst",
    "cloudtrail-source-ip",
    "cloudtrail-root-activity",
    "cloudtrail-console-login",
    "cloudtrail-iam-change",
];

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The check it silences.
    pub check: String,
    /// Only findings of this principal (user or role name, `root`).
    pub principal: Option<String>,
    /// Only findings whose every event has this name.
    pub event: Option<String>,
    /// Only findings whose every event came from inside this network.
    pub cidr: Option<IpNet>,
    /// Why it is accepted (shown in every report).
    pub reason: String,
    /// The last day it applies (in `REPORT_TIMEZONE`).
    pub until: NaiveDate,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    check: String,
    principal: Option<String>,
    event: Option<String>,
    cidr: Option<String>,
    reason: Option<String>,
    until: Option<String>,
}

/// Reads `AUDIT_SUPPRESS` (a JSON list); unset or empty → none.
pub fn parse(raw: Option<&str>) -> Result<Vec<Suppression>, ConfigError> {
    const VARIABLE: &str = "AUDIT_SUPPRESS";
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let bad = |problem: String| ConfigError::new(VARIABLE, problem);
    let entries: Vec<Raw> = serde_json::from_str(raw).map_err(|e| {
        bad(format!(
            "expected a JSON list of {{\"check\", \"principal\"|\"event\"|\"cidr\", \"reason\", \"until\": \"YYYY-MM-DD\"}} ({e})"
        ))
    })?;
    entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let at = format!("entry {}", i + 1);
            if !CHECKS.contains(&e.check.as_str()) {
                let shown: String = e.check.chars().take(40).collect();
                return Err(bad(format!("{at}: `{shown}` is not a check ({})", CHECKS.join(", "))));
            }
            if e.principal.is_none() && e.event.is_none() && e.cidr.is_none() {
                return Err(bad(format!(
                    "{at}: needs at least one of `principal`, `event`, `cidr` (a suppression never silences a whole check)"
                )));
            }
            let reason = e
                .reason
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty())
                .ok_or_else(|| bad(format!("{at}: `reason` is required")))?;
            let until = e
                .until
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .ok_or_else(|| bad(format!("{at}: `until` is required, a date like 2026-12-31")))?;
            let cidr = match e.cidr.as_deref() {
                None => None,
                Some(c) => Some(c.trim().parse::<IpNet>().map_err(|_| {
                    bad(format!("{at}: `cidr` must be a CIDR like 203.0.113.0/24"))
                })?),
            };
            Ok(Suppression {
                check: e.check,
                principal: e.principal.map(|p| p.trim().to_owned()),
                event: e.event.map(|p| p.trim().to_owned()),
                cidr,
                reason,
                until,
            })
        })
        .collect()
}

impl Suppression {
    /// Whether it still applies on `today`.
    pub fn active(&self, today: NaiveDate) -> bool {
        today <= self.until
    }

    /// Whether it silences a finding of `check` about `principal` and `events`.
    fn matches(&self, check: &str, principal: Option<&str>, events: &[&TrailEvent]) -> bool {
        if self.check != check {
            return false;
        }
        if let Some(wanted) = &self.principal
            && principal != Some(wanted.as_str())
        {
            return false;
        }
        if let Some(name) = &self.event
            && (events.is_empty() || events.iter().any(|e| &e.name != name))
        {
            return false;
        }
        if let Some(net) = &self.cidr {
            let inside = |e: &&TrailEvent| e.source_address().is_some_and(|ip| net.contains(&ip));
            if events.is_empty() || !events.iter().all(inside) {
                return false;
            }
        }
        true
    }

    /// As the report lists it (`suppressions`).
    pub fn entry(&self) -> Value {
        json!({
            "check": self.check,
            "principal": self.principal,
            "event": self.event,
            "cidr": self.cidr.map(|c| c.to_string()),
            "reason": self.reason,
            "until": self.until.format("%Y-%m-%d").to_string(),
        })
    }
}

/// The suppressions of one run: those in force today, and those expired.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    /// In force.
    pub active: Vec<Suppression>,
    /// Past their date.
    pub expired: Vec<Suppression>,
}

impl Suppressions {
    /// Splits `all` on `today`.
    pub fn on(all: &[Suppression], today: NaiveDate) -> Suppressions {
        let (active, expired) = all.iter().cloned().partition(|s| s.active(today));
        Suppressions { active, expired }
    }

    /// The active suppression that silences this finding, if one does.
    pub fn silencing(
        &self,
        check: &str,
        principal: Option<&str>,
        events: &[&TrailEvent],
    ) -> Option<&Suppression> {
        self.active
            .iter()
            .find(|s| s.matches(check, principal, events))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(name: &str, ip: &str) -> TrailEvent {
        TrailEvent::from_record(
            &json!({"eventName": name, "eventTime": "2026-11-30T18:00:00Z",
                "userIdentity": {"type": "IAMUser", "userName": "ci-bot"}, "sourceIPAddress": ip}),
            Vec::new(),
            None,
            None,
        )
        .unwrap()
    }

    #[test]
    fn entries_need_a_matcher_a_reason_and_a_date() {
        let ok = parse(Some(
            r#"[{"check": "cloudtrail-source-ip", "principal": "ci-bot", "cidr": "198.51.100.0/24", "reason": "CI runners", "until": "2026-12-31"}]"#,
        ))
        .unwrap();
        assert_eq!(ok[0].until, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        for bad in [
            "not json",
            r#"{"check": "cloudtrail-source-ip"}"#,
            r#"[{"check": "cloudtrail-source-ip", "reason": "r", "until": "2026-12-31"}]"#,
            r#"[{"check": "cloudtrail-source-ip", "principal": "p", "until": "2026-12-31"}]"#,
            r#"[{"check": "cloudtrail-source-ip", "principal": "p", "reason": " ", "until": "2026-12-31"}]"#,
            r#"[{"check": "cloudtrail-source-ip", "principal": "p", "reason": "r"}]"#,
            r#"[{"check": "cloudtrail-source-ip", "principal": "p", "reason": "r", "until": "31/12/2026"}]"#,
            r#"[{"check": "cloudtrail-sorce-ip", "principal": "p", "reason": "r", "until": "2026-12-31"}]"#,
            r#"[{"check": "cloudtrail-source-ip", "cidr": "10.0.0.0/33", "reason": "r", "until": "2026-12-31"}]"#,
            r#"[{"check": "cloudtrail-source-ip", "principal": "p", "reason": "r", "until": "2026-12-31", "extra": 1}]"#,
        ] {
            let err = parse(Some(bad)).unwrap_err();
            assert!(err.to_string().contains("AUDIT_SUPPRESS"), "{bad}: {err}");
        }
        assert!(parse(None).unwrap().is_empty());
    }

    #[test]
    fn every_matcher_given_must_hold_for_every_event_and_the_date_is_inclusive() {
        let all = parse(Some(
            r#"[{"check": "cloudtrail-source-ip", "principal": "ci-bot", "cidr": "198.51.100.0/24", "reason": "CI runners", "until": "2026-12-01"},
                {"check": "cloudtrail-night-activity", "event": "ListBuckets", "reason": "backup job", "until": "2026-11-30"}]"#,
        ))
        .unwrap();
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let today = Suppressions::on(&all, day(1));
        assert_eq!((today.active.len(), today.expired.len()), (1, 1));
        let (inside, outside) = (
            event("GetObject", "198.51.100.7"),
            event("GetObject", "203.0.113.9"),
        );
        assert!(
            today
                .silencing("cloudtrail-source-ip", Some("ci-bot"), &[&inside])
                .is_some()
        );
        assert!(
            today
                .silencing("cloudtrail-source-ip", Some("ci-bot"), &[&inside, &outside])
                .is_none()
        );
        assert!(
            today
                .silencing("cloudtrail-source-ip", Some("mallory"), &[&inside])
                .is_none()
        );
        assert!(
            today
                .silencing("cloudtrail-night-activity", Some("ci-bot"), &[&inside])
                .is_none(),
            "expired"
        );
        assert!(Suppressions::on(&all, day(2)).active.is_empty());
    }
}
