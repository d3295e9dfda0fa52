//! What gmops prints: the report in the e-mail's words (the shared renderer),
//! its severity coloured on a terminal, a spinner while the function runs,
//! and an ops plan as a table.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono_tz::Tz;
use serde_json::Value;
use shared::render;
use shared::{Lang, Report, Severity};

/// How the terminal is written to.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Severity colours (a terminal, and `NO_COLOR` not set).
    pub colour: bool,
    /// The language of gmops's own words and the headings.
    pub lang: Lang,
    /// The zone times are shown in.
    pub timezone: Tz,
}

impl Style {
    /// Colours only when stdout is a terminal and `NO_COLOR` is unset or empty
    /// (no-color.org).
    pub fn new(lang: Lang, timezone: Tz) -> Style {
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            colour: std::io::stdout().is_terminal() && !no_colour,
            lang,
            timezone,
        }
    }
}

/// The response as a report, if it is one.
pub fn report(raw: &[u8]) -> Option<Report> {
    serde_json::from_slice(raw).ok()
}

/// The report as the e-mail reads, with the severity labels coloured.
pub fn report_text(report: &Report, style: Style) -> String {
    let text = render::text(report, style.lang, style.timezone);
    if !style.colour {
        return text;
    }
    let labels = [
        (
            render::severity_label(Severity::Critical, style.lang),
            "1;31",
        ),
        (
            render::severity_label(Severity::Warning, style.lang),
            "1;33",
        ),
        (render::severity_label(Severity::Info, style.lang), "1;32"),
        ("OK", "32"),
    ];
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let (lead, rest) = match line.strip_prefix("- [") {
            Some(rest) => ("- [", rest),
            None => match line.strip_prefix('[') {
                Some(rest) => ("[", rest),
                None => {
                    out.push_str(line);
                    continue;
                }
            },
        };
        match labels
            .iter()
            .find(|(label, _)| rest.starts_with(&format!("{label}]")))
        {
            Some((label, code)) => {
                out.push_str(lead);
                out.push_str(&format!("\x1b[{code}m{label}\x1b[0m"));
                out.push_str(&rest[label.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Prints a response that is not a report (e.g. rotate-db-secret's `null`).
pub fn other_response(raw: &[u8]) -> String {
    match serde_json::from_slice::<Value>(raw) {
        Ok(value) => serde_json::to_string_pretty(&value).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(raw).into_owned(),
    }
}

/// The plan of an ops action: each field, its current value → the proposed one.
pub fn plan_table(response: &Value, lang: Lang) -> String {
    let empty = serde_json::Map::new();
    let current = response["current"].as_object().unwrap_or(&empty);
    let proposed = response["proposed"].as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = current.keys().collect();
    for key in proposed.keys() {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    // One order whatever the JSON map keeps: a range lower bound first,
    // then by name.
    let rank = |key: &str| match key {
        "min" => 0,
        "max" => 1,
        _ => 2,
    };
    keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    let mut out = format!(
        "{}: {} → {}\n",
        lang.pick("計画", "Plan"),
        response["action"].as_str().unwrap_or("?"),
        response["target"].as_str().unwrap_or("?"),
    );
    if keys.is_empty() {
        return out;
    }
    let header = [
        lang.pick("項目", "field"),
        lang.pick("現在", "current"),
        lang.pick("変更後", "proposed"),
    ];
    let rows: Vec<[String; 3]> = keys
        .iter()
        .map(|key| {
            [
                (*key).clone(),
                cell(current.get(key.as_str())),
                cell(proposed.get(key.as_str())),
            ]
        })
        .collect();
    let width = |i: usize| {
        rows.iter()
            .map(|r| display_width(&r[i]))
            .chain([display_width(header[i])])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1) = (width(0), width(1));
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(display_width(s))));
    out.push_str(&format!(
        "  {}  {}     {}\n",
        pad(header[0], w0),
        pad(header[1], w1),
        header[2]
    ));
    for [field, now, then] in &rows {
        let mark = if now == then { "=" } else { "→" };
        out.push_str(&format!(
            "  {}  {}  {mark}  {then}\n",
            pad(field, w0),
            pad(now, w1)
        ));
    }
    out
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "—".into(),
        Some(Value::String(s)) => s.clone(),
        // 0.5 ACU stays 0.5, 2.0 reads 2.
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            Some(f) => f.to_string(),
            None => n.to_string(),
        },
        Some(other) => other.to_string(),
    }
}

/// Columns a string takes on a terminal (CJK characters take two).
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

/// A spinner on stderr while the function runs, only on a terminal.
#[derive(Debug)]
pub struct Spinner {
    running: Option<(Arc<AtomicBool>, tokio::task::JoinHandle<()>)>,
}

impl Spinner {
    /// Starts spinning with `message`, if stderr is a terminal.
    pub fn start(message: String) -> Spinner {
        if !std::io::stderr().is_terminal() {
            return Spinner { running: None };
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut frame = 0;
            while !flag.load(Ordering::Relaxed) {
                eprint!("\r{} {message}", FRAMES[frame % FRAMES.len()]);
                let _ = std::io::stderr().flush();
                frame += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Spinner {
            running: Some((stop, task)),
        }
    }

    /// Stops and clears the spinner's line.
    pub async fn stop(self) {
        if let Some((stop, task)) = self.running {
            stop.store(true, Ordering::Relaxed);
            let _ = task.await;
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_plan_lists_each_field_current_and_proposed() {
        let response = json!({
            "action": "set-db-capacity", "target": "goal-mandala-production",
            "current": {"min": 0.5, "max": 2.0}, "proposed": {"min": 1.0, "max": 2.0}
        });
        let table = plan_table(&response, Lang::En);
        assert!(
            table.starts_with("Plan: set-db-capacity → goal-mandala-production\n"),
            "{table}"
        );
        assert!(
            table.contains("\n  min    0.5      →  1\n  max    2        =  2\n"),
            "{table}"
        );
    }

    #[test]
    fn colour_marks_only_the_severity_labels() {
        let report: Report = serde_json::from_value(json!({
            "schema": "goal-mandala-ops/report/v1", "function": "daily-health",
            "severity": "critical", "title": "t", "summary": "s",
            "at": "2026-12-01T00:00:00Z", "dry_run": false,
            "findings": [{"check": "a", "status": "warning", "detail": "[警告] quoted"}],
            "actions": []
        }))
        .unwrap();
        let style = Style {
            colour: true,
            lang: Lang::Ja,
            timezone: chrono_tz::Asia::Tokyo,
        };
        let text = report_text(&report, style);
        assert!(text.starts_with("[\x1b[1;31m重大\x1b[0m] t\n"), "{text}");
        assert!(
            text.contains("- [\x1b[1;33m警告\x1b[0m] a: [警告] quoted\n"),
            "{text}"
        );
        let plain = report_text(
            &report,
            Style {
                colour: false,
                ..style
            },
        );
        assert!(!plain.contains('\x1b'));
    }
}
