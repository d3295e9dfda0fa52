//! The generic playbook (any other alarm): its metric's recent values
//! against its threshold.

use shared::render::number;
use shared::{Finding, FindingStatus};

use crate::event::AlarmEvent;
use crate::metrics::{self, Point};
use crate::playbook::Outcome;
use crate::text::Texts;
use crate::{AlarmTriage, window};

pub(crate) async fn gather(state: &AlarmTriage, texts: &Texts, alarm: &AlarmEvent) -> Outcome {
    let config = &state.config;
    let (start, end) = window(alarm, config.lookback);
    let mut outcome = Outcome::default();
    if let Some(metric) = &alarm.metric {
        match shared::gather::bounded(
            config.gather_timeout,
            metrics::values(&state.cloudwatch, metric, start, end),
        )
        .await
        {
            Ok(points) => {
                outcome
                    .findings
                    .push(texts.recent_values(&metric.name, &points, alarm.threshold))
            }
            Err(why) => outcome
                .findings
                .push(texts.skipped("metric-values", &metric.name, &why)),
        }
    }
    outcome.next_steps.push(texts.generic_step());
    outcome.headline = texts.headline_generic(alarm.metric.as_ref().map(|m| m.name.as_str()));
    outcome
}

impl Texts {
    pub(crate) fn recent_values(
        &self,
        metric: &str,
        points: &[Point],
        threshold: Option<f64>,
    ) -> Finding {
        let values: Vec<String> = points
            .iter()
            .rev()
            .take(6)
            .map(|p| {
                format!(
                    "{} {}",
                    p.at.with_timezone(&self.tz).format("%H:%M"),
                    number(p.value)
                )
            })
            .collect();
        let t = threshold.map_or_else(String::new, |t| {
            self.ja_en(
                format!("（しきい値 {}）", number(t)),
                format!(" (threshold {})", number(t)),
            )
        });
        Finding::new(
            "metric-values",
            FindingStatus::Ok,
            self.ja_en(
                format!(
                    "{metric} の直近の値{t}: {}",
                    if values.is_empty() {
                        "なし".to_owned()
                    } else {
                        values.join(", ")
                    }
                ),
                format!(
                    "recent values of {metric}{t}: {}",
                    if values.is_empty() {
                        "none".to_owned()
                    } else {
                        values.join(", ")
                    }
                ),
            ),
        )
    }

    pub(crate) fn headline_generic(&self, metric: Option<&str>) -> String {
        match metric {
            Some(m) => self.ja_en(
                format!("{m} がしきい値を超えました"),
                format!("{m} crossed its threshold"),
            ),
            None => self.ja_en(
                "しきい値を超えました".into(),
                "crossed its threshold".into(),
            ),
        }
    }

    pub(crate) fn generic_step(&self) -> String {
        self.ja_en(
            "このアラームには専用の手順がありません。メトリクスの推移と関連するログを確認してください。".into(),
            "This alarm has no playbook of its own; look at the metric's trend and the related logs.".into(),
        )
    }
}
