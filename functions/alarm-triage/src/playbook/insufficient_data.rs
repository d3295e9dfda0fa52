//! The insufficient-data playbook (`INSUFFICIENT_DATA`): whether the alarm's
//! metric still arrives.

use shared::render::number;
use shared::{Finding, FindingStatus};

use crate::event::AlarmEvent;
use crate::metrics::{self, Point};
use crate::playbook::Outcome;
use crate::text::Texts;
use crate::{AlarmTriage, minutes, window};

pub(crate) async fn gather(state: &AlarmTriage, texts: &Texts, alarm: &AlarmEvent) -> Outcome {
    let config = &state.config;
    let (start, end) = window(alarm, config.lookback);
    let mut outcome = Outcome::default();
    let has_data = match &alarm.metric {
        None => {
            outcome
                .findings
                .push(texts.no_single_metric("metric-datapoints", &alarm.name));
            None
        }
        Some(metric) => match shared::gather::bounded(
            config.gather_timeout,
            metrics::values(&state.cloudwatch, metric, start, end),
        )
        .await
        {
            Ok(points) => {
                outcome.findings.push(texts.datapoints(
                    &metric.name,
                    &metric.namespace,
                    &points,
                    minutes(config.lookback),
                ));
                Some(!points.is_empty())
            }
            Err(why) => {
                outcome
                    .findings
                    .push(texts.skipped("metric-datapoints", &metric.name, &why));
                None
            }
        },
    };
    outcome.next_steps.push(texts.insufficient_step(has_data));
    outcome.headline = texts.headline_insufficient(has_data);
    outcome
}

impl Texts {
    pub(crate) fn datapoints(
        &self,
        metric: &str,
        namespace: &str,
        points: &[Point],
        minutes: i64,
    ) -> Finding {
        if let Some(last) = points.last() {
            return Finding::new(
                "metric-datapoints",
                FindingStatus::Ok,
                self.ja_en(
                    format!("{namespace} {metric} には直近 {minutes} 分に {} 件のデータがあります（最新 {}: {}）。メトリクスは送信されています", points.len(), self.time(last.at), number(last.value)),
                    format!("{namespace} {metric} has {} datapoints in the last {minutes} minutes (latest {}: {}); the metric is being sent", points.len(), self.time(last.at), number(last.value)),
                ),
            )
            .measured(points.len() as f64, 1.0);
        }
        let (ja, en) = if namespace.starts_with("AWS/") {
            (
                format!(
                    "{namespace} {metric} に直近 {minutes} 分のデータがありません。AWS のメトリクスは利用があるときだけ送られるため、トラフィックがない（呼び出されていない）可能性が高いです"
                ),
                format!(
                    "{namespace} {metric} has no datapoints in the last {minutes} minutes; AWS publishes it only when there is activity, so there is most likely no traffic"
                ),
            )
        } else {
            (
                format!(
                    "{namespace} {metric} に直近 {minutes} 分のデータがありません。アプリケーションがこのメトリクスを送信していません"
                ),
                format!(
                    "{namespace} {metric} has no datapoints in the last {minutes} minutes: the application is not sending this metric"
                ),
            )
        };
        Finding::new(
            "metric-datapoints",
            FindingStatus::Warning,
            self.ja_en(ja, en),
        )
        .measured(0.0, 1.0)
    }

    pub(crate) fn headline_insufficient(&self, has_data: Option<bool>) -> String {
        match has_data {
            Some(true) => self.ja_en(
                "データ不足（メトリクスは送信中）".into(),
                "insufficient data (metric is being sent)".into(),
            ),
            Some(false) => self.ja_en(
                "データ不足（直近のデータなし）".into(),
                "insufficient data (no recent datapoints)".into(),
            ),
            None => self.ja_en("データ不足".into(), "insufficient data".into()),
        }
    }

    pub(crate) fn insufficient_step(&self, has_data: Option<bool>) -> String {
        match has_data {
            Some(false) => self.ja_en(
                "API が呼ばれているか（API Gateway の Count）と、Lambda がデプロイ・有効化されているかを確認してください。トラフィックがないだけなら対応は不要です。".into(),
                "Check that the API is being called (API Gateway Count) and the Lambda is deployed and enabled; if there is simply no traffic, nothing to do.".into(),
            ),
            _ => self.ja_en(
                "アラームの評価期間と TreatMissingData の設定を確認してください。".into(),
                "Check the alarm's evaluation periods and TreatMissingData setting.".into(),
            ),
        }
    }
}
