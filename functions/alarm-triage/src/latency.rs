//! The latency playbook's decision: where the slowest requests spent their
//! time, from X-Ray segment documents. Pure.
//!
//! X-Ray marks a database call with an `sql` object and any other
//! downstream call with `namespace` `remote` (HTTP) or `aws` (SDK); what is
//! left of the function's own segment is Lambda time.

use serde::Serialize;
use serde_json::Value;

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
