//! The words of a triage report, in Japanese and English.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use shared::console;
use shared::gather::Skip;
use shared::render::number;
use shared::time::format_local_and_utc;
use shared::{Finding, FindingStatus, Lang};

use crate::event::{AlarmEvent, AlarmState};

/// Report texts in one language and zone.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Texts {
    pub(crate) lang: Lang,
    pub(crate) tz: Tz,
}

/// `42.5 min`, `3 h 05 min`.
pub(crate) fn duration(d: TimeDelta) -> String {
    let minutes = d.num_minutes().max(0);
    if minutes < 60 {
        format!("{minutes} min")
    } else {
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    }
}

impl Texts {
    pub(crate) fn new(lang: Lang, tz: Tz) -> Self {
        Texts { lang, tz }
    }

    pub(crate) fn ja_en(&self, ja: String, en: String) -> String {
        self.lang.choose(ja, en)
    }

    pub(crate) fn time(&self, at: DateTime<Utc>) -> String {
        format_local_and_utc(at, self.tz)
    }

    /// The alarm itself: state, when, threshold against the evaluated values.
    pub(crate) fn alarm_finding(&self, event: &AlarmEvent) -> Finding {
        let values: Vec<String> = event
            .datapoints
            .iter()
            .filter_map(|d| d.value.map(number))
            .collect();
        let measured = match (event.threshold, values.is_empty()) {
            (Some(t), false) => self.ja_en(
                format!(
                    "、しきい値 {} に対して評価値 {}",
                    number(t),
                    values.join(", ")
                ),
                format!(
                    ", evaluated {} against the threshold {}",
                    values.join(", "),
                    number(t)
                ),
            ),
            (Some(t), true) => self.ja_en(
                format!("、しきい値 {}", number(t)),
                format!(", threshold {}", number(t)),
            ),
            _ => String::new(),
        };
        let status = match event.state {
            AlarmState::Alarm => FindingStatus::Critical,
            AlarmState::InsufficientData => FindingStatus::Warning,
            AlarmState::Ok => FindingStatus::Ok,
        };
        let detail = self.ja_en(
            format!(
                "{} が {} になりました（{}）{measured}。理由: {}",
                event.name,
                event.state.as_str(),
                self.time(event.changed_at),
                event.reason
            ),
            format!(
                "{} went {} at {}{measured}. Reason: {}",
                event.name,
                event.state.as_str(),
                self.time(event.changed_at),
                event.reason
            ),
        );
        let finding = Finding::new("alarm", status, detail);
        match (
            event.threshold,
            event.datapoints.iter().find_map(|d| d.value),
        ) {
            (Some(t), Some(v)) => finding.measured(v, t),
            _ => finding,
        }
    }

    /// A source that could not be read (the shared wording).
    pub(crate) fn skipped(&self, check: &str, source: &str, why: &Skip) -> Finding {
        why.finding(check, source, self.lang)
    }

    pub(crate) fn no_single_metric(&self, check: &str, alarm: &str) -> Finding {
        Finding::new(
            check,
            FindingStatus::Skipped,
            self.ja_en(
                format!(
                    "{alarm} は単一のメトリクスを持たないアラームのため、データ点は確認していません"
                ),
                format!("{alarm} has no single metric: datapoints not checked"),
            ),
        )
    }

    pub(crate) fn links(&self, region: &str, alarm: &str, log_group: Option<&str>) -> String {
        let mut out = self.ja_en(
            format!("アラーム: {}", console::alarm(region, alarm)),
            format!("Alarm: {}", console::alarm(region, alarm)),
        );
        if let Some(group) = log_group {
            out.push_str(&self.ja_en(
                format!("\nログ: {}", console::log_group(region, group)),
                format!("\nLogs: {}", console::log_group(region, group)),
            ));
        }
        out
    }
}

/// Texts of the latency and database playbooks.
impl Texts {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_minutes_or_hours() {
        assert_eq!(duration(TimeDelta::minutes(42)), "42 min");
        assert_eq!(duration(TimeDelta::minutes(185)), "3 h 05 min");
    }
}
