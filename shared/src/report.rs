//! The run report, `goal-mandala-ops/report/v1` (ARCHITECTURE §3 "Report").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The report schema id.
pub const SCHEMA: &str = "goal-mandala-ops/report/v1";

/// Longest title, which doubles as the SNS subject: SNS requires subjects
/// "less than 100 characters", so 99 keeps both the report contract's ≤ 100 (ARCHITECTURE §3) and SNS happy.
pub const TITLE_MAX_CHARS: usize = 99;

/// How bad a run's outcome is, the worst of its findings and actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Nothing needs a person.
    Info,
    /// Look at it soon.
    Warning,
    /// Act now.
    Critical,
}

impl Severity {
    /// The lowercase contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingStatus {
    /// Within the runbook's range.
    Ok,
    /// Outside the normal range, not yet harmful.
    Warning,
    /// Harmful or about to be.
    Critical,
    /// Not checked (with the reason in `detail`).
    Skipped,
}

impl FindingStatus {
    /// `Ok` when the check passed, `otherwise` when it did not.
    pub fn ok_if(passed: bool, otherwise: FindingStatus) -> FindingStatus {
        if passed { FindingStatus::Ok } else { otherwise }
    }

    /// The severity this status contributes.
    pub fn severity(self) -> Severity {
        match self {
            FindingStatus::Ok | FindingStatus::Skipped => Severity::Info,
            FindingStatus::Warning => Severity::Warning,
            FindingStatus::Critical => Severity::Critical,
        }
    }
}

/// A check and what it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable kebab-case id of the check.
    pub check: String,
    /// Its outcome.
    pub status: FindingStatus,
    /// Human text in `REPORT_LANG`, with concrete values.
    pub detail: String,
    /// The measured value, when the check has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<f64>,
    /// The threshold it was compared with.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub threshold: Option<f64>,
    /// The heading it is listed under in the mail (in `REPORT_LANG`); none:
    /// the findings' own list. The ok findings of a section are one line.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub section: Option<String>,
}

impl Finding {
    /// A finding without numbers.
    pub fn new(check: impl Into<String>, status: FindingStatus, detail: impl Into<String>) -> Self {
        Finding {
            check: check.into(),
            status,
            detail: detail.into(),
            value: None,
            threshold: None,
            section: None,
        }
    }

    /// Lists it under the mail heading `section`.
    pub fn in_section(mut self, section: impl Into<String>) -> Self {
        self.section = Some(section.into());
        self
    }

    /// Adds the measured value and its threshold.
    pub fn measured(mut self, value: f64, threshold: f64) -> Self {
        self.value = Some(value);
        self.threshold = Some(threshold);
        self
    }
}

/// The outcome of one change (or planned change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionResult {
    /// Changed.
    Done,
    /// Would be changed; a dry run or an unconfirmed ad-hoc action.
    Planned,
    /// Deliberately not changed (reason in `detail`).
    Skipped,
    /// Tried and failed.
    Failed,
}

impl ActionResult {
    /// The severity this result contributes: only a failure is critical.
    pub fn severity(self) -> Severity {
        match self {
            ActionResult::Failed => Severity::Critical,
            _ => Severity::Info,
        }
    }
}

/// A change to the world, done or planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Stable kebab-case id of the action.
    pub action: String,
    /// The resource id it acts on.
    pub target: String,
    /// What came of it.
    pub result: ActionResult,
    /// Human text in `REPORT_LANG`.
    pub detail: String,
}

impl Action {
    /// An action on `target`.
    pub fn new(
        action: impl Into<String>,
        target: impl Into<String>,
        result: ActionResult,
        detail: impl Into<String>,
    ) -> Self {
        Action {
            action: action.into(),
            target: target.into(),
            result,
            detail: detail.into(),
        }
    }
}

/// A function's report: its Lambda response and the body of its notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The function (binary) name.
    pub function: String,
    /// The worst of the findings' statuses and the actions' results.
    pub severity: Severity,
    /// One line, also the SNS subject (≤ [`TITLE_MAX_CHARS`]).
    pub title: String,
    /// A few human-readable lines in `REPORT_LANG`.
    pub summary: String,
    /// The run's "now" (from the event).
    pub at: DateTime<Utc>,
    /// Whether nothing was changed on purpose.
    pub dry_run: bool,
    /// What was checked.
    pub findings: Vec<Finding>,
    /// What was changed or would be.
    pub actions: Vec<Action>,
    /// What a person should do next (the runbook's remedies), in `REPORT_LANG`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next_steps: Vec<String>,
    /// Function-specific top-level fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Builds a [`Report`] whose severity is always derived, never set by hand.
#[derive(Debug, Clone)]
pub struct ReportBuilder {
    report: Report,
}

impl ReportBuilder {
    /// Starts the report of `function` for the run at `at`.
    pub fn new(function: &str, at: DateTime<Utc>, dry_run: bool) -> Self {
        ReportBuilder {
            report: Report {
                schema: SCHEMA.to_owned(),
                function: function.to_owned(),
                severity: Severity::Info,
                title: String::new(),
                summary: String::new(),
                at,
                dry_run,
                findings: Vec::new(),
                actions: Vec::new(),
                next_steps: Vec::new(),
                extra: Map::new(),
            },
        }
    }

    /// Adds a finding.
    pub fn finding(&mut self, finding: Finding) -> &mut Self {
        self.report.findings.push(finding);
        self
    }

    /// Adds an action.
    pub fn action(&mut self, action: Action) -> &mut Self {
        self.report.actions.push(action);
        self
    }

    /// Adds a next step.
    pub fn next_step(&mut self, step: impl Into<String>) -> &mut Self {
        self.report.next_steps.push(step.into());
        self
    }

    /// Sets a function-specific field.
    pub fn extra(&mut self, key: &str, value: impl Serialize) -> &mut Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.report.extra.insert(key.to_owned(), value);
        self
    }

    /// The findings so far.
    pub fn findings(&self) -> &[Finding] {
        &self.report.findings
    }

    /// The actions so far.
    pub fn actions(&self) -> &[Action] {
        &self.report.actions
    }

    /// The severity the report would have now.
    pub fn severity(&self) -> Severity {
        worst_severity(&self.report.findings, &self.report.actions)
    }

    /// Finishes with a title (cut to one line of ≤ [`TITLE_MAX_CHARS`]) and a summary.
    pub fn build(mut self, title: &str, summary: impl Into<String>) -> Report {
        self.report.severity = self.severity();
        self.report.title = one_line(title, TITLE_MAX_CHARS);
        self.report.summary = summary.into();
        self.report
    }
}

/// The worst of the findings' statuses and the actions' results.
pub fn worst_severity(findings: &[Finding], actions: &[Action]) -> Severity {
    findings
        .iter()
        .map(|f| f.status.severity())
        .chain(actions.iter().map(|a| a.result.severity()))
        .max()
        .unwrap_or(Severity::Info)
}

/// `text` as one line of at most `max` characters (not bytes: Japanese is
/// multi-byte), control characters replaced, cut with an ellipsis.
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cut(flat.trim(), max)
}

/// At most `max` characters of `text` (its lines kept), cut on a character
/// boundary with an ellipsis: for fields with a length limit (a chat
/// description, an OpsItem's).
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T19:30:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn severity_is_the_worst_of_findings_and_actions() {
        let mut b = ReportBuilder::new("nightly-snapshot", at(), false);
        assert_eq!(b.severity(), Severity::Info);
        b.finding(Finding::new("a", FindingStatus::Skipped, ""));
        b.action(Action::new("x", "t", ActionResult::Planned, ""));
        assert_eq!(b.severity(), Severity::Info);
        b.finding(Finding::new("b", FindingStatus::Warning, ""));
        assert_eq!(b.severity(), Severity::Warning);
        b.action(Action::new("y", "t", ActionResult::Failed, ""));
        assert_eq!(b.build("t", "s").severity, Severity::Critical);
    }

    #[test]
    fn report_json_has_the_v1_shape() {
        let mut b = ReportBuilder::new("nightly-snapshot", at(), true);
        b.finding(Finding::new("quota", FindingStatus::Ok, "12/100").measured(12.0, 80.0));
        b.extra("snapshot_id", "x-manual-20261129-043000");
        let json = serde_json::to_value(b.build("title", "summary")).unwrap();
        assert_eq!(json["schema"], "goal-mandala-ops/report/v1");
        assert_eq!(json["severity"], "info");
        assert_eq!(json["at"], "2026-11-28T19:30:00Z");
        assert_eq!(json["dry_run"], true);
        assert_eq!(json["findings"][0]["status"], "ok");
        assert_eq!(json["findings"][0]["threshold"], 80.0);
        assert_eq!(json["actions"], serde_json::json!([]));
        assert_eq!(json["snapshot_id"], "x-manual-20261129-043000");
    }

    #[test]
    fn titles_are_cut_on_character_boundaries() {
        let long = "スナップショット".repeat(20);
        let cut = one_line(&long, TITLE_MAX_CHARS);
        assert_eq!(cut.chars().count(), TITLE_MAX_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(one_line("a\nb\tc", 10), "a b c");
        assert_eq!(one_line("短い", 10), "短い");
    }
}

/// The last four characters of an access key id — how reports and logs
/// name a key (`id_suffix`): enough to tell keys apart, never the key.
pub fn key_id_suffix(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// A key id as texts show it: `…` and its last four characters.
pub fn masked_key_id(id: &str) -> String {
    format!("…{}", key_id_suffix(id))
}

#[cfg(test)]
mod key_id_tests {
    use super::*;

    #[test]
    fn a_key_is_named_by_its_last_four_characters_only() {
        assert_eq!(key_id_suffix("AKIAIOSFODNN7EXAMPLE"), "MPLE");
        assert_eq!(key_id_suffix("AB"), "AB");
        assert_eq!(masked_key_id("AKIAIOSFODNN7EXAMPLE"), "…MPLE");
        assert_eq!(masked_key_id("abc"), "…abc");
    }
}
