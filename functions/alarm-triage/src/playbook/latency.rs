//! The latency playbook (`…-high-latency`): where the slowest requests spent
//! their time — X-Ray's slowest traces split into database, downstream and
//! Lambda time — with API Gateway's and Lambda's latency metrics against the
//! runbook's limits; gathered, decided and worded here.
//!
//! X-Ray marks a database call with an `sql` object and any other
//! downstream call with `namespace` `remote` (HTTP) or `aws` (SDK); what is
//! left of the function's own segment is Lambda time.

use aws_sdk_xray::Client;
use aws_sdk_xray::primitives::DateTime as AwsTime;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::Value;
use shared::Error;
use shared::render::number;
use shared::runbook::Verdict;
use shared::{Finding, FindingStatus};

use crate::event::{AlarmEvent, MetricRef};
use crate::metrics;
use crate::playbook::Outcome;
use crate::text::Texts;
use crate::{AlarmTriage, minutes, window};

/// Traces broken down per triage: the slowest ones carry the signal.
pub const SLOWEST: usize = 5;
/// Summaries read at most (pages of up to 100).
const MAX_SUMMARIES: usize = 1_000;

/// A trace's segment documents (JSON strings) and its response time.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Trace id.
    pub id: String,
    /// Seconds, from the summary.
    pub response_time: f64,
    /// Segment documents.
    pub documents: Vec<String>,
}

/// The [`SLOWEST`] traces between `start` and `end` (whole seconds; no
/// filter expression — filtering, if any, is done here).
pub async fn slowest_traces(
    client: &Client,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Trace>, Error> {
    let mut summaries: Vec<(String, f64)> = Vec::new();
    let mut pages = client
        .get_trace_summaries()
        .start_time(AwsTime::from_secs(start.timestamp()))
        .end_time(AwsTime::from_secs(end.timestamp()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("GetTraceSummaries", e))?;
        for s in page.trace_summaries() {
            if let Some(id) = s.id() {
                summaries.push((
                    id.to_owned(),
                    s.response_time().or(s.duration()).unwrap_or(0.0),
                ));
            }
        }
        if summaries.len() >= MAX_SUMMARIES {
            break;
        }
    }
    summaries.sort_by(|a, b| b.1.total_cmp(&a.1));
    summaries.truncate(SLOWEST);
    if summaries.is_empty() {
        return Ok(Vec::new());
    }
    let out = client
        .batch_get_traces()
        .set_trace_ids(Some(summaries.iter().map(|(id, _)| id.clone()).collect()))
        .send()
        .await
        .map_err(|e| Error::aws("BatchGetTraces", e))?;
    Ok(summaries
        .into_iter()
        .map(|(id, response_time)| {
            let documents = out
                .traces()
                .iter()
                .find(|t| t.id() == Some(id.as_str()))
                .map(|t| {
                    t.segments()
                        .iter()
                        .filter_map(|s| s.document().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            Trace {
                id,
                response_time,
                documents,
            }
        })
        .collect())
}

/// Where the time went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bottleneck {
    /// The function's own code (CPU, memory, cold starts).
    Lambda,
    /// SQL calls.
    Database,
    /// HTTP and AWS SDK calls.
    External,
}

impl Bottleneck {
    /// The report's `bottleneck` id.
    pub fn as_str(self) -> &'static str {
        match self {
            Bottleneck::Lambda => "lambda",
            Bottleneck::Database => "database",
            Bottleneck::External => "external",
        }
    }
}

/// Seconds spent per kind, in one trace or summed over several.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TimeSplit {
    /// Lambda's own time.
    pub lambda: f64,
    /// Database calls.
    pub database: f64,
    /// External calls.
    pub external: f64,
}

impl TimeSplit {
    /// Everything.
    pub fn total(&self) -> f64 {
        self.lambda + self.database + self.external
    }

    /// The largest part; `None` when nothing was measured.
    pub fn bottleneck(&self) -> Option<Bottleneck> {
        if self.total() <= 0.0 {
            return None;
        }
        [
            (Bottleneck::Lambda, self.lambda),
            (Bottleneck::Database, self.database),
            (Bottleneck::External, self.external),
        ]
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(b, _)| b)
    }

    fn add(&mut self, other: &TimeSplit) {
        self.lambda += other.lambda;
        self.database += other.database;
        self.external += other.external;
    }
}

fn span(doc: &Value) -> f64 {
    match (
        doc.get("start_time").and_then(Value::as_f64),
        doc.get("end_time").and_then(Value::as_f64),
    ) {
        (Some(start), Some(end)) if end > start => end - start,
        _ => 0.0,
    }
}

/// Database and external time under `doc`: a call counts once, at the
/// outermost subsegment that is one (its own children are part of it).
fn downstream(doc: &Value, split: &mut TimeSplit) {
    for sub in doc
        .get("subsegments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if sub.get("sql").is_some() {
            split.database += span(sub);
        } else if matches!(
            sub.get("namespace").and_then(Value::as_str),
            Some("remote" | "aws")
        ) {
            split.external += span(sub);
        } else {
            downstream(sub, split);
        }
    }
}

/// One trace's split, from its segment documents (JSON strings as
/// `BatchGetTraces` returns them). Lambda time is the function's segment
/// (`origin` `AWS::Lambda::Function`, else the longest segment) minus its
/// downstream calls.
pub fn split_trace<'a>(documents: impl IntoIterator<Item = &'a str>) -> TimeSplit {
    let docs: Vec<Value> = documents
        .into_iter()
        .filter_map(|d| serde_json::from_str(d).ok())
        .collect();
    let function = docs
        .iter()
        .find(|d| d.get("origin").and_then(Value::as_str) == Some("AWS::Lambda::Function"))
        .or_else(|| docs.iter().max_by(|a, b| span(a).total_cmp(&span(b))));
    let Some(function) = function else {
        return TimeSplit::default();
    };
    let mut split = TimeSplit::default();
    downstream(function, &mut split);
    split.lambda = (span(function) - split.database - split.external).max(0.0);
    split
}

/// The sum over several traces' splits.
pub fn sum_splits<'a>(splits: impl IntoIterator<Item = &'a TimeSplit>) -> TimeSplit {
    let mut total = TimeSplit::default();
    for s in splits {
        total.add(s);
    }
    total
}

pub(crate) async fn gather(state: &AlarmTriage, texts: &Texts, alarm: &AlarmEvent) -> Outcome {
    let config = &state.config;
    let runbook = &config.common.runbook;
    let (start, end) = window(alarm, config.lookback);
    let mut outcome = Outcome::default();

    // X-Ray: the window, widened to three times the lookback if it is empty.
    let mut traces = shared::gather::bounded(
        config.gather_timeout,
        slowest_traces(&state.xray, start, end),
    )
    .await;
    let mut looked = minutes(config.lookback);
    if matches!(&traces, Ok(t) if t.is_empty()) {
        let wider = end - TimeDelta::minutes(looked * 3);
        looked *= 3;
        traces = shared::gather::bounded(
            config.gather_timeout,
            slowest_traces(&state.xray, wider, end),
        )
        .await;
    }
    match &traces {
        Ok(traces) if !traces.is_empty() => {
            let splits: Vec<_> = traces
                .iter()
                .map(|t| split_trace(t.documents.iter().map(String::as_str)))
                .collect();
            let split = sum_splits(&splits);
            let slowest = traces.iter().map(|t| t.response_time).fold(0.0, f64::max);
            outcome
                .findings
                .push(texts.split_finding(&split, traces.len(), slowest));
            outcome.bottleneck = split.bottleneck();
        }
        Ok(_) => outcome.findings.push(texts.no_traces(looked)),
        Err(why) => outcome
            .findings
            .push(texts.skipped("xray-time-split", "X-Ray", why)),
    }

    // API Gateway and Lambda metrics for the same window.
    let api = |name: &str| MetricRef {
        namespace: "AWS/ApiGateway".into(),
        name: name.into(),
        dimensions: vec![("ApiName".into(), config.common.api_gateway_name.clone())],
        stat: Some("Average".into()),
        period: Some(60),
    };
    let mean = |points: &[metrics::Point]| {
        (!points.is_empty())
            .then(|| points.iter().map(|p| p.value).sum::<f64>() / points.len() as f64)
    };
    let gateway = shared::gather::bounded(config.gather_timeout, async {
        let latency = metrics::values(&state.cloudwatch, &api("Latency"), start, end).await?;
        let integration =
            metrics::values(&state.cloudwatch, &api("IntegrationLatency"), start, end).await?;
        Ok((mean(&latency), mean(&integration)))
    })
    .await;
    match gateway {
        Ok((latency, integration)) => {
            let verdict = latency.map(|l| runbook.judge_api_latency(l));
            outcome
                .findings
                .push(texts.api_latency(latency, integration, verdict))
        }
        Err(why) => {
            outcome
                .findings
                .push(texts.skipped("apigw-latency", "API Gateway metrics", &why))
        }
    }
    let duration_metric = MetricRef {
        namespace: "AWS/Lambda".into(),
        name: "Duration".into(),
        dimensions: vec![(
            "FunctionName".into(),
            config.common.api_function_name.clone(),
        )],
        stat: Some("Average".into()),
        period: Some(60),
    };
    match shared::gather::bounded(
        config.gather_timeout,
        metrics::values(&state.cloudwatch, &duration_metric, start, end),
    )
    .await
    {
        Ok(points) => {
            let avg = mean(&points);
            let verdict = avg.map(|d| runbook.judge_lambda_duration(d));
            outcome.findings.push(texts.lambda_duration(avg, verdict));
            // Without traces, a slow function is still a finding of where the time goes.
            let slow = verdict.is_some_and(|v| v.status != FindingStatus::Ok);
            if outcome.bottleneck.is_none() && slow {
                outcome.bottleneck = Some(Bottleneck::Lambda);
            }
        }
        Err(why) => {
            outcome
                .findings
                .push(texts.skipped("lambda-duration", "Lambda Duration", &why))
        }
    }
    if let Some(b) = outcome.bottleneck {
        outcome.next_steps.push(texts.bottleneck_remedy(b));
    }
    outcome.headline = texts.headline_latency(outcome.bottleneck);
    outcome
}

impl Texts {
    pub(crate) fn split_finding(&self, split: &TimeSplit, traces: usize, slowest: f64) -> Finding {
        let total = split.total().max(f64::EPSILON);
        let pct = |v: f64| v / total * 100.0;
        Finding::new(
            "xray-time-split",
            FindingStatus::Warning,
            self.ja_en(
                format!(
                    "X-Ray の遅いトレース {traces} 件（最長 {} ms）の内訳: Lambda {} ms（{:.0}%）、データベース {} ms（{:.0}%）、外部呼び出し {} ms（{:.0}%）",
                    number(slowest * 1000.0), number(split.lambda * 1000.0), pct(split.lambda), number(split.database * 1000.0), pct(split.database), number(split.external * 1000.0), pct(split.external)
                ),
                format!(
                    "{traces} slowest X-Ray traces (slowest {} ms): Lambda {} ms ({:.0} %), database {} ms ({:.0} %), external calls {} ms ({:.0} %)",
                    number(slowest * 1000.0), number(split.lambda * 1000.0), pct(split.lambda), number(split.database * 1000.0), pct(split.database), number(split.external * 1000.0), pct(split.external)
                ),
            ),
        )
    }

    pub(crate) fn no_traces(&self, minutes: i64) -> Finding {
        Finding::new(
            "xray-time-split",
            FindingStatus::Skipped,
            self.ja_en(
                format!("直近 {minutes} 分（広げた範囲を含む）に X-Ray のトレースがありません（トレースが有効か確認してください）"),
                format!("no X-Ray traces in the last {minutes} minutes, widened window included (is tracing active?)"),
            ),
        )
    }

    pub(crate) fn api_latency(
        &self,
        latency: Option<f64>,
        integration: Option<f64>,
        verdict: Option<Verdict>,
    ) -> Finding {
        let (Some(latency), Some(integration), Some(verdict)) = (latency, integration, verdict)
        else {
            return Finding::new(
                "apigw-latency",
                FindingStatus::Skipped,
                self.ja_en(
                    "API Gateway の Latency / IntegrationLatency のデータがありません".into(),
                    "no API Gateway Latency / IntegrationLatency data".into(),
                ),
            );
        };
        let overhead = (latency - integration).max(0.0);
        let limit_ms = verdict.threshold;
        Finding::new(
            "apigw-latency",
            verdict.status,
            self.ja_en(
                format!("API Gateway の平均 Latency {} ms、IntegrationLatency {} ms（API Gateway 自体の時間 {} ms）、目安 {} ms", number(latency), number(integration), number(overhead), number(limit_ms)),
                format!("API Gateway average Latency {} ms, IntegrationLatency {} ms (API Gateway itself {} ms), limit {} ms", number(latency), number(integration), number(overhead), number(limit_ms)),
            ),
        )
        .measured(latency, limit_ms)
    }

    pub(crate) fn lambda_duration(
        &self,
        duration: Option<f64>,
        verdict: Option<Verdict>,
    ) -> Finding {
        let (Some(duration), Some(verdict)) = (duration, verdict) else {
            return Finding::new(
                "lambda-duration",
                FindingStatus::Skipped,
                self.ja_en(
                    "Lambda の Duration のデータがありません".into(),
                    "no Lambda Duration data".into(),
                ),
            );
        };
        let limit_ms = verdict.threshold;
        Finding::new(
            "lambda-duration",
            verdict.status,
            self.ja_en(
                format!(
                    "Lambda の平均実行時間 {} ms（目安 {} ms 未満）",
                    number(duration),
                    number(limit_ms)
                ),
                format!(
                    "Lambda average duration {} ms (runbook: under {} ms)",
                    number(duration),
                    number(limit_ms)
                ),
            ),
        )
        .measured(duration, limit_ms)
    }

    pub(crate) fn bottleneck_remedy(&self, bottleneck: Bottleneck) -> String {
        let (ja, en) = match bottleneck {
            Bottleneck::Lambda => (
                "ボトルネックは Lambda です: コードの最適化（不要な処理・初期化の見直し）とメモリの増量（CPU も比例して増えます）を検討してください。",
                "The bottleneck is Lambda: optimise the code (work and initialisation) and add memory (CPU grows with it).",
            ),
            Bottleneck::Database => (
                "ボトルネックはデータベースです: 遅いクエリを確認し（Performance Insights）、インデックスの追加やクエリの見直しを行ってください。",
                "The bottleneck is the database: find the slow queries (Performance Insights), add indexes or rewrite the queries.",
            ),
            Bottleneck::External => (
                "ボトルネックは外部呼び出しです: タイムアウトを短く設定し、結果のキャッシュを検討してください。",
                "The bottleneck is external calls: set short timeouts and cache results.",
            ),
        };
        self.ja_en(ja.into(), en.into())
    }

    pub(crate) fn headline_latency(&self, bottleneck: Option<Bottleneck>) -> String {
        match bottleneck {
            Some(Bottleneck::Lambda) => {
                self.ja_en("ボトルネック Lambda".into(), "bottleneck: Lambda".into())
            }
            Some(Bottleneck::Database) => self.ja_en(
                "ボトルネック データベース".into(),
                "bottleneck: database".into(),
            ),
            Some(Bottleneck::External) => self.ja_en(
                "ボトルネック 外部呼び出し".into(),
                "bottleneck: external calls".into(),
            ),
            None => self.ja_en("ボトルネック不明".into(), "bottleneck unknown".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn function_segment(subsegments: Value, duration: f64) -> String {
        json!({
            "id": "70de5b6f19ff9a0a", "name": "goal-mandala-production-api",
            "origin": "AWS::Lambda::Function", "trace_id": "1-5f84c7a0-2c5f3e5c1a0b1c2d3e4f5a6b",
            "start_time": 1_764_291_600.0, "end_time": 1_764_291_600.0 + duration,
            "subsegments": subsegments
        })
        .to_string()
    }

    fn sub(name: &str, start: f64, end: f64, extra: Value) -> Value {
        let mut s = json!({"id": "53995c3f42cd8ad8", "name": name, "start_time": 1_764_291_600.0 + start, "end_time": 1_764_291_600.0 + end});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    }

    #[test]
    fn sql_subsegments_are_database_time_and_remote_or_aws_are_external() {
        let doc = function_segment(
            json!([
                sub(
                    "goal_mandala@goal-mandala-production.cluster-abc",
                    0.1,
                    2.1,
                    json!({"sql": {"database_type": "PostgreSQL", "sanitized_query": "SELECT * FROM goals WHERE user_id = $1"}})
                ),
                sub(
                    "api.example.com",
                    2.2,
                    2.7,
                    json!({"namespace": "remote", "http": {"request": {"url": "https://api.example.com/v1"}, "response": {"status": 200}}})
                ),
                sub(
                    "SNS",
                    2.7,
                    2.8,
                    json!({"namespace": "aws", "aws": {"operation": "Publish"}})
                ),
                sub(
                    "## handler",
                    0.0,
                    3.0,
                    json!({"subsegments": [sub("nested pg", 0.0, 0.5, json!({"sql": {"url": "postgresql://host/db"}}))]})
                ),
            ]),
            3.2,
        );
        let split = split_trace([doc.as_str()]);
        assert!((split.database - 2.5).abs() < 1e-6, "{split:?}");
        assert!((split.external - 0.6).abs() < 1e-6, "{split:?}");
        assert!((split.lambda - 0.1).abs() < 1e-6, "{split:?}");
        assert_eq!(split.bottleneck(), Some(Bottleneck::Database));
    }

    #[test]
    fn without_downstream_calls_the_time_is_lambdas_own() {
        let doc = function_segment(json!([sub("## handler", 0.0, 2.9, json!({}))]), 3.0);
        let split = split_trace([doc.as_str(), "not json"]);
        assert_eq!(split.bottleneck(), Some(Bottleneck::Lambda));
        assert!((split.lambda - 3.0).abs() < 1e-6);
        assert_eq!(split_trace([]).bottleneck(), None);
    }

    #[test]
    fn splits_add_up_over_traces() {
        let a = TimeSplit {
            lambda: 1.0,
            database: 0.5,
            external: 2.0,
        };
        let b = TimeSplit {
            lambda: 0.2,
            database: 0.1,
            external: 1.0,
        };
        let sum = sum_splits([&a, &b]);
        assert_eq!(sum.bottleneck(), Some(Bottleneck::External));
        assert!((sum.total() - 4.8).abs() < 1e-9);
    }
}
