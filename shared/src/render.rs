//! Reports rendered for people: plain text (email, SMS-less default) and the
//! Amazon Q Developer in chat applications (AWS Chatbot) custom notification.

use chrono_tz::Tz;
use serde_json::{Value, json};

use crate::lang::Lang;
use crate::report::{ActionResult, Finding, FindingStatus, Report, Severity};
use crate::time::format_local_and_utc;

/// The severity as a label people read.
pub fn severity_label(severity: Severity, lang: Lang) -> &'static str {
    match severity {
        Severity::Info => lang.pick("情報", "INFO"),
        Severity::Warning => lang.pick("警告", "WARNING"),
        Severity::Critical => lang.pick("重大", "CRITICAL"),
    }
}

fn status_label(status: FindingStatus, lang: Lang) -> &'static str {
    match status {
        FindingStatus::Ok => "OK",
        FindingStatus::Warning => lang.pick("警告", "WARNING"),
        FindingStatus::Critical => lang.pick("重大", "CRITICAL"),
        FindingStatus::Skipped => lang.pick("未確認", "SKIPPED"),
    }
}

fn result_label(result: ActionResult, lang: Lang) -> &'static str {
    match result {
        ActionResult::Done => lang.pick("完了", "DONE"),
        ActionResult::Planned => lang.pick("予定", "PLANNED"),
        ActionResult::Skipped => lang.pick("見送り", "SKIPPED"),
        ActionResult::Failed => lang.pick("失敗", "FAILED"),
    }
}

/// A number without a needless `.0`.
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// One finding as a list line, with its value and threshold.
fn push_finding(out: &mut String, f: &Finding, lang: Lang) {
    out.push_str(&format!(
        "- [{}] {}: {}",
        status_label(f.status, lang),
        f.check,
        f.detail
    ));
    match (f.value, f.threshold) {
        (Some(v), Some(t)) => out.push_str(&format!(
            " ({} {} / {} {})",
            lang.pick("値", "value"),
            number(v),
            lang.pick("しきい値", "threshold"),
            number(t)
        )),
        (Some(v), None) => out.push_str(&format!(" ({} {})", lang.pick("値", "value"), number(v))),
        _ => {}
    }
    out.push('\n');
}

/// The report as plain text: title, time in `tz` and UTC, summary,
/// findings and actions as lists, next steps.
pub fn text(report: &Report, lang: Lang, tz: Tz) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "[{}] {}\n",
        severity_label(report.severity, lang),
        report.title
    ));
    out.push_str(&format!(
        "{}: {}\n",
        lang.pick("日時", "Time"),
        format_local_and_utc(report.at, tz)
    ));
    out.push_str(&format!(
        "{}: {}\n",
        lang.pick("機能", "Function"),
        report.function
    ));
    if report.dry_run {
        out.push_str(lang.pick(
            "ドライラン: 何も変更していません（以下の操作は予定です）\n",
            "DRY RUN: nothing was changed (the actions below are planned)\n",
        ));
    }
    if !report.summary.is_empty() {
        out.push('\n');
        out.push_str(report.summary.trim_end());
        out.push('\n');
    }
    let unsectioned: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.section.is_none())
        .collect();
    if !unsectioned.is_empty() {
        out.push_str(&format!("\n■ {}\n", lang.pick("確認結果", "Findings")));
        for f in unsectioned {
            push_finding(&mut out, f, lang);
        }
    }
    // Sections in the order they first appear; their ok findings are one line.
    let mut sections: Vec<&str> = Vec::new();
    for f in &report.findings {
        if let Some(s) = f.section.as_deref()
            && !sections.contains(&s)
        {
            sections.push(s);
        }
    }
    for section in sections {
        out.push_str(&format!("\n■ {section}\n"));
        let listed = report
            .findings
            .iter()
            .filter(|f| f.section.as_deref() == Some(section));
        let mut ok = Vec::new();
        for f in listed {
            if f.status == FindingStatus::Ok {
                ok.push(f.check.as_str());
            } else {
                push_finding(&mut out, f, lang);
            }
        }
        if !ok.is_empty() {
            out.push_str(&format!(
                "- [{}] {}\n",
                status_label(FindingStatus::Ok, lang),
                lang.choose(
                    format!("{} 項目は問題ありません（{}）", ok.len(), ok.join(", ")),
                    format!("{} more as they should be ({})", ok.len(), ok.join(", ")),
                )
            ));
        }
    }
    if !report.actions.is_empty() {
        out.push_str(&format!("\n■ {}\n", lang.pick("操作", "Actions")));
        for a in &report.actions {
            out.push_str(&format!(
                "- [{}] {} {}: {}\n",
                result_label(a.result, lang),
                a.action,
                a.target,
                a.detail
            ));
        }
    }
    if !report.next_steps.is_empty() {
        out.push_str(&format!("\n■ {}\n", lang.pick("次の対応", "Next steps")));
        for step in &report.next_steps {
            out.push_str(&format!("- {step}\n"));
        }
    }
    out.push_str("\n-- goal-mandala-ops\n");
    out
}

/// The conversation a report belongs to in a chat channel, decided here for
/// every function: each state change (and reminder) of one alarm in the
/// alarm's thread, an ops-action run in the thread of its action on its
/// target; everything else — the scheduled reports above all — is a message
/// of its own (`null`: no thread).
pub fn thread_id(report: &Report) -> Option<String> {
    let extra = |key: &str| report.extra.get(key).and_then(Value::as_str);
    match report.function.as_str() {
        "alarm-triage" => extra("alarm").map(|alarm| match extra("region") {
            Some(region) => format!("alarm-triage/{region}/{alarm}"),
            None => format!("alarm-triage/{alarm}"),
        }),
        "ops-action" => match (extra("action"), extra("target")) {
            (Some(action), Some(target)) => Some(format!("ops-action/{action}/{target}")),
            (Some(action), None) => Some(format!("ops-action/{action}")),
            _ => None,
        },
        _ => None,
    }
}

/// Longest Chatbot description we send; the channel shows the rest in the email.
const CHATBOT_DESCRIPTION_MAX: usize = 3_500;

/// The Amazon Q Developer (AWS Chatbot) custom-notification JSON, which
/// Slack and Teams channels render.
pub fn chatbot(report: &Report, lang: Lang, tz: Tz) -> Value {
    let icon = match report.severity {
        Severity::Info => ":information_source:",
        Severity::Warning => ":warning:",
        Severity::Critical => ":rotating_light:",
    };
    let mut description = format!(
        "*{}*: {}\n",
        lang.pick("日時", "Time"),
        format_local_and_utc(report.at, tz)
    );
    if report.dry_run {
        description.push_str(lang.pick(
            "*ドライラン*（変更なし）\n",
            "*Dry run* (nothing changed)\n",
        ));
    }
    description.push_str(report.summary.trim_end());
    description.push('\n');
    for f in report
        .findings
        .iter()
        .filter(|f| f.status != FindingStatus::Ok)
    {
        description.push_str(&format!(
            "• [{}] `{}` {}\n",
            status_label(f.status, lang),
            f.check,
            f.detail
        ));
    }
    for a in &report.actions {
        description.push_str(&format!(
            "• [{}] `{}` {}\n",
            result_label(a.result, lang),
            a.action,
            a.target
        ));
    }
    let description = crate::report::cut(&description, CHATBOT_DESCRIPTION_MAX);
    let resources: Vec<&str> = report.actions.iter().map(|a| a.target.as_str()).collect();
    json!({
        "version": "1.0",
        "source": "custom",
        "id": format!("{}-{}", report.function, report.at.timestamp()),
        "content": {
            "textType": "client-markdown",
            "title": format!("{icon} {}", report.title),
            "description": description,
            "nextSteps": report.next_steps,
            "keywords": [report.function.as_str(), report.severity.as_str()],
        },
        "metadata": {
            "threadId": thread_id(report),
            "summary": report.title,
            "eventType": report.function,
            "relatedResources": resources,
            "additionalContext": {
                "severity": report.severity.as_str(),
                "at": report.at.to_rfc3339(),
                "dry_run": report.dry_run.to_string(),
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::report::{Action, ReportBuilder};

    fn sample(dry_run: bool) -> Report {
        let at = DateTime::parse_from_rfc3339("2026-11-28T19:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut b = ReportBuilder::new("nightly-snapshot", at, dry_run);
        b.finding(
            Finding::new("snapshot-quota", FindingStatus::Warning, "85/100").measured(85.0, 80.0),
        );
        b.action(Action::new(
            "create-snapshot",
            "c-manual-20261129-043000",
            ActionResult::Done,
            "作成",
        ));
        b.next_step("古いスナップショットを削除する");
        b.build("スナップショット作成", "概要")
    }

    #[test]
    fn a_section_lists_what_differs_and_collapses_what_is_ok() {
        let at = DateTime::parse_from_rfc3339("2026-11-28T19:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut b = ReportBuilder::new("daily-health", at, false);
        b.finding(Finding::new("secret-age", FindingStatus::Ok, "30 日"));
        for (check, status) in [
            ("runbook-db-capacity", FindingStatus::Warning),
            ("runbook-db-backup", FindingStatus::Ok),
            ("runbook-alarms", FindingStatus::Ok),
        ] {
            b.finding(Finding::new(check, status, "…").in_section("運用手順との差分"));
        }
        let text = text(&b.build("t", "s"), Lang::Ja, chrono_tz::Asia::Tokyo);
        let findings = text.find("■ 確認結果").unwrap();
        let section = text.find("■ 運用手順との差分").unwrap();
        assert!(findings < section, "{text}");
        assert!(text.contains("- [警告] runbook-db-capacity: …"), "{text}");
        assert!(
            text.contains("- [OK] 2 項目は問題ありません（runbook-db-backup, runbook-alarms）"),
            "{text}"
        );
        assert!(!text.contains("- [OK] runbook-db-backup"), "{text}");
    }

    #[test]
    fn an_alarm_has_one_thread_an_ops_action_its_own_and_scheduled_reports_none() {
        let at = DateTime::parse_from_rfc3339("2026-11-28T19:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let report = |function: &str, extra: &[(&str, &str)]| {
            let mut b = ReportBuilder::new(function, at, false);
            for (k, v) in extra {
                b.extra(k, *v);
            }
            b.build("t", "s")
        };
        let thread = |r: &Report| {
            chatbot(r, Lang::Ja, chrono_tz::Asia::Tokyo)["metadata"]["threadId"].clone()
        };
        let alarm = [
            ("alarm", "goal-mandala-production-high-latency"),
            ("region", "ap-northeast-1"),
        ];
        assert_eq!(
            thread(&report("alarm-triage", &alarm)),
            json!("alarm-triage/ap-northeast-1/goal-mandala-production-high-latency")
        );
        let other = [
            ("alarm", "goal-mandala-production-high-error-rate"),
            ("region", "ap-northeast-1"),
        ];
        assert_ne!(
            thread(&report("alarm-triage", &alarm)),
            thread(&report("alarm-triage", &other))
        );
        assert_eq!(
            thread(&report(
                "ops-action",
                &[
                    ("action", "set-db-capacity"),
                    ("target", "goal-mandala-production")
                ]
            )),
            json!("ops-action/set-db-capacity/goal-mandala-production")
        );
        for scheduled in [
            "daily-health",
            "budget-alert",
            "security-audit",
            "nightly-snapshot",
        ] {
            assert_eq!(thread(&report(scheduled, &[])), Value::Null, "{scheduled}");
        }
    }

    #[test]
    fn japanese_text_shows_jst_and_utc_values_and_next_steps() {
        let text = text(&sample(false), Lang::Ja, chrono_tz::Asia::Tokyo);
        assert!(text.starts_with("[警告] スナップショット作成\n"), "{text}");
        assert!(text.contains("2026-11-29 04:30:00 JST (2026-11-28 19:30:00 UTC)"));
        assert!(text.contains("- [警告] snapshot-quota: 85/100 (値 85 / しきい値 80)"));
        assert!(text.contains("- [完了] create-snapshot c-manual-20261129-043000: 作成"));
        assert!(text.contains("■ 次の対応\n- 古いスナップショットを削除する"));
        assert!(!text.contains("ドライラン"));
    }

    #[test]
    fn english_text_flags_a_dry_run() {
        let text = text(&sample(true), Lang::En, chrono_tz::Asia::Tokyo);
        assert!(text.starts_with("[WARNING] "));
        assert!(text.contains("DRY RUN: nothing was changed"));
        assert!(text.contains("(value 85 / threshold 80)"));
    }

    #[test]
    fn chatbot_payload_is_a_custom_notification() {
        let value = chatbot(&sample(false), Lang::Ja, chrono_tz::Asia::Tokyo);
        assert_eq!(value["version"], "1.0");
        assert_eq!(value["source"], "custom");
        assert_eq!(value["content"]["textType"], "client-markdown");
        assert_eq!(
            value["content"]["nextSteps"][0],
            "古いスナップショットを削除する"
        );
        assert_eq!(
            value["metadata"]["relatedResources"][0],
            "c-manual-20261129-043000"
        );
        assert!(
            value["content"]["title"]
                .as_str()
                .unwrap()
                .starts_with(":warning:")
        );
    }
}
