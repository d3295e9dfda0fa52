//! The recovered playbook (back to `OK`): how long the alarm lasted and what
//! to check after it.

use shared::{Finding, FindingStatus};

use crate::event::{AlarmEvent, AlarmState};
use crate::playbook::Outcome;
use crate::text::{Texts, duration};

pub(crate) fn gather(texts: &Texts, alarm: &AlarmEvent) -> Outcome {
    Outcome {
        findings: vec![texts.recovered(alarm)],
        next_steps: vec![texts.recovered_step()],
        headline: texts.headline_recovered(alarm),
        ..Outcome::default()
    }
}

impl Texts {
    pub(crate) fn recovered(&self, event: &AlarmEvent) -> Finding {
        let detail = match event.previous_changed_at {
            Some(since) if event.previous_state == Some(AlarmState::Alarm) => self.ja_en(
                format!(
                    "{} は {} に回復しました。アラーム状態は {} 続きました（{} から）",
                    event.name,
                    self.time(event.changed_at),
                    duration(event.changed_at - since),
                    self.time(since)
                ),
                format!(
                    "{} recovered at {}; it was in ALARM for {} (since {})",
                    event.name,
                    self.time(event.changed_at),
                    duration(event.changed_at - since),
                    self.time(since)
                ),
            ),
            _ => self.ja_en(
                format!(
                    "{} は {} に OK になりました（前の状態: {}）",
                    event.name,
                    self.time(event.changed_at),
                    event.previous_state.map_or("?", |s| s.as_str())
                ),
                format!(
                    "{} went OK at {} (previous state: {})",
                    event.name,
                    self.time(event.changed_at),
                    event.previous_state.map_or("?", |s| s.as_str())
                ),
            ),
        };
        Finding::new("recovered", FindingStatus::Ok, detail)
    }

    pub(crate) fn headline_recovered(&self, event: &AlarmEvent) -> String {
        match event.previous_changed_at {
            Some(since) if event.previous_state == Some(AlarmState::Alarm) => self.ja_en(
                format!("回復（{} 継続）", duration(event.changed_at - since)),
                format!("recovered after {}", duration(event.changed_at - since)),
            ),
            _ => self.ja_en("回復".into(), "recovered".into()),
        }
    }

    pub(crate) fn recovered_step(&self) -> String {
        self.ja_en(
            "対応は不要です。原因の記録（発生時刻、影響、対応）をインシデントノートに残してください。".into(),
            "Nothing to do now; record the cause, impact and response in the incident notes.".into(),
        )
    }
}
