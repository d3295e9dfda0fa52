//! Generated payloads for the entry-point property tests: arbitrary JSON and
//! mutations of a function's `events/` samples — fields dropped, retyped,
//! nested deeper than the JSON reader allows, huge strings, numbers out of
//! range, odd times — as the JSON text Lambda would deliver. Seeded: the same
//! cases every run.

use std::path::Path;

use proptest::prelude::{RngExt, Strategy};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value, json};

use crate::workspace_root;

/// One generated payload.
#[derive(Debug, Clone)]
pub struct Case {
    /// How it was made (shown when a case fails).
    pub label: String,
    /// The payload as delivered: JSON text, possibly beyond what the reader accepts.
    pub text: String,
}

/// The field names every event may carry (ARCHITECTURE §3), mixed into arbitrary objects.
const COMMON_KEYS: &[&str] = &[
    "dry_run",
    "at",
    "time",
    "scheduled_time",
    "detail-type",
    "detail",
];

/// Times that are wrong, extreme or only almost RFC 3339.
const ODD_TIMES: &[&str] = &[
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-11-28T19:30:00+14:00",
    "2026-11-28T19:30:00-12:00",
    "2026-11-28 19:30:00",
    "2026-11-28T19:30:60Z",
    "2026-11-28T19:30:00.999999999Z",
    "+275760-09-13T00:00:00Z",
    "2026-11-28",
    "2026-13",
    "1764358200",
    "",
    "now",
];

/// Numbers as JSON text, several beyond what `f64`/`u64`/`i64` hold.
const ODD_NUMBERS: &[&str] = &[
    "1e400",
    "-1e400",
    "1e-400",
    "18446744073709551616",
    "-9223372036854775809",
    "4294967296",
    "-1",
    "0",
    "-0",
    "1.5",
    "1.7976931348623157e308",
    "99999999999999999999999999999",
];

/// Longest string a case carries: big, still well inside Lambda's 6 MB payload.
const HUGE_STRING_BYTES: usize = 300_000;

/// `count` cases for `function`: its samples mutated, arbitrary JSON with its
/// field names (`keys`), and whole payloads the reader refuses.
pub fn cases(function: &str, keys: &[&str], count: usize) -> Vec<Case> {
    let samples = samples(&workspace_root().join("events").join(function));
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_of(function)),
    );
    let mut pool: Vec<String> = COMMON_KEYS.iter().map(|k| (*k).to_owned()).collect();
    pool.extend(keys.iter().map(|k| (*k).to_owned()));
    for (_, sample) in &samples {
        collect_keys(sample, &mut pool);
    }
    pool.sort();
    pool.dedup();
    let arbitrary = arbitrary_json(pool.clone());
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let case = match i % 8 {
            // Whole payloads the JSON reader or the shape check refuses.
            0 => whole_payload(runner.rng(), i),
            // Arbitrary JSON objects made of the function's field names.
            1 | 2 => {
                let value = arbitrary
                    .new_tree(&mut runner)
                    .map(|t| proptest::strategy::ValueTree::current(&t))
                    .unwrap_or(Value::Null);
                Case {
                    label: format!("arbitrary JSON #{i}"),
                    text: value.to_string(),
                }
            }
            // A sample as it is, one after the other.
            3 if !samples.is_empty() => {
                let (name, sample) = &samples[(i / 8) % samples.len()];
                Case {
                    label: format!("{name} as it is"),
                    text: sample.to_string(),
                }
            }
            // A sample with one to three mutations.
            _ if !samples.is_empty() => {
                let (name, sample) = &samples[runner.rng().random_range(0..samples.len())];
                let mut mutated = Mutated::new(sample.clone());
                let mut labels = Vec::new();
                for _ in 0..runner.rng().random_range(1..=3) {
                    labels.push(mutated.mutate(runner.rng(), &pool));
                }
                Case {
                    label: format!("{name}: {}", labels.join(", ")),
                    text: mutated.text(),
                }
            }
            _ => whole_payload(runner.rng(), i),
        };
        out.push(case);
    }
    out
}

/// The samples of `dir`, by file name.
pub fn samples(dir: &Path) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            let value = serde_json::from_str(&text).ok()?;
            Some((e.file_name().to_string_lossy().into_owned(), value))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn seed_of(function: &str) -> [u8; 32] {
    let mut seed = [0x5eu8; 32];
    for (i, b) in function.bytes().enumerate() {
        seed[i % 32] ^= b;
    }
    seed
}

fn collect_keys(value: &Value, pool: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pool.push(k.clone());
                collect_keys(v, pool);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_keys(v, pool)),
        _ => {}
    }
}

fn arbitrary_json(keys: Vec<String>) -> impl Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,40}".prop_map(Value::String),
        proptest::sample::select(ODD_TIMES).prop_map(|t| json!(t)),
    ];
    let keys = proptest::sample::select(keys);
    let value = leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(keys.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    value.prop_map(|v| match v {
        Value::Object(_) => v,
        other => json!({"dry_run": other}),
    })
}

fn nested(depth: usize) -> String {
    format!("{}null{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

fn whole_payload(rng: &mut TestRng, i: usize) -> Case {
    let choices: [(&str, String); 8] = [
        (
            "an array nested 300 deep",
            format!("{}{}", "[".repeat(300), "]".repeat(300)),
        ),
        ("an object nested 200 deep", nested(200)),
        ("a number out of range", "1e400".to_owned()),
        ("a string", "\"run it\"".to_owned()),
        ("an array", "[{\"dry_run\": true}]".to_owned()),
        ("a boolean", "true".to_owned()),
        (
            "a huge string",
            Value::String("あ".repeat(HUGE_STRING_BYTES / 3)).to_string(),
        ),
        ("an empty object nested in a list", "[[{}]]".to_owned()),
    ];
    let (label, text) = &choices[rng.random_range(0..choices.len())];
    Case {
        label: format!("whole payload #{i}: {label}"),
        text: text.clone(),
    }
}

/// A sample being mutated; raw replacements (text the JSON model cannot
/// hold: nesting beyond the reader's limit, numbers out of range) are kept
/// as placeholders and put in when the text is written.
struct Mutated {
    value: Value,
    raw: Vec<String>,
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

impl Mutated {
    fn new(value: Value) -> Self {
        Mutated {
            value,
            raw: Vec::new(),
        }
    }

    fn placeholder(&mut self, raw: String) -> Value {
        self.raw.push(raw);
        Value::String(format!("\u{1}RAW{}\u{1}", self.raw.len() - 1))
    }

    fn text(&self) -> String {
        let mut text = self.value.to_string();
        for (i, raw) in self.raw.iter().enumerate() {
            text = text.replace(&format!("\"\\u0001RAW{i}\\u0001\""), raw);
        }
        text
    }

    /// One mutation at a random place; returns what it did.
    fn mutate(&mut self, rng: &mut TestRng, keys: &[String]) -> String {
        let mut paths = Vec::new();
        walk(&self.value, &mut Vec::new(), &mut paths);
        // The payload as a whole is varied by `whole_payload`; here the
        // fields inside it (the root only gains a field).
        let path = match paths.len() {
            1 => Vec::new(),
            n => paths[rng.random_range(1..n)].clone(),
        };
        let at = describe(&path);
        let kind = rng.random_range(0..8);
        if path.is_empty() {
            // Only the root can't be dropped; add a field to it instead.
            let key = keys[rng.random_range(0..keys.len())].clone();
            if let Value::Object(map) = &mut self.value {
                map.insert(key.clone(), json!("unexpected"));
            }
            return format!("added `{key}`");
        }
        let replacement = match kind {
            0 => {
                remove(&mut self.value, &path);
                return format!("dropped {at}");
            }
            1 => {
                let others = [
                    json!(null),
                    json!(true),
                    json!(0),
                    json!(-1),
                    json!(1.5),
                    json!(""),
                    json!("text"),
                    json!([]),
                    json!({}),
                    json!([1, "a", null]),
                    json!({"x": {"y": 1}}),
                ];
                let value = others[rng.random_range(0..others.len())].clone();
                let label = format!("{at} retyped to {value}");
                set(&mut self.value, &path, value);
                return label;
            }
            2 => {
                let depth = [127, 129, 200, 1000][rng.random_range(0..4)];
                let raw = if rng.random_bool(0.5) {
                    nested(depth)
                } else {
                    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
                };
                (self.placeholder(raw), format!("{at} nested {depth} deep"))
            }
            3 => (
                json!("x\"\\\u{0}あ".repeat(HUGE_STRING_BYTES / 8)),
                format!("{at} a huge string"),
            ),
            4 => {
                let raw = ODD_NUMBERS[rng.random_range(0..ODD_NUMBERS.len())];
                (self.placeholder(raw.to_owned()), format!("{at} = {raw}"))
            }
            5 | 6 => {
                let time = ODD_TIMES[rng.random_range(0..ODD_TIMES.len())];
                (json!(time), format!("{at} = {time:?}"))
            }
            _ => {
                // Unknown fields are ignored, but they must not break the reading.
                let key = keys[rng.random_range(0..keys.len())].clone();
                let mut object = Map::new();
                object.insert(key.clone(), json!([{"dry_run": "yes"}]));
                (
                    Value::Object(object),
                    format!("{at} replaced by {{{key}: …}}"),
                )
            }
        };
        set(&mut self.value, &path, replacement.0);
        replacement.1
    }
}

fn walk(value: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                here.push(Step::Key(k.clone()));
                walk(v, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                here.push(Step::Index(i));
                walk(v, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn describe(path: &[Step]) -> String {
    if path.is_empty() {
        return "the payload".to_owned();
    }
    let parts: Vec<String> = path
        .iter()
        .map(|s| match s {
            Step::Key(k) => k.clone(),
            Step::Index(i) => i.to_string(),
        })
        .collect();
    format!("`{}`", parts.join("."))
}

fn slot<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

fn set(value: &mut Value, path: &[Step], new: Value) {
    if let Some(target) = slot(value, path) {
        *target = new;
    }
}

fn remove(value: &mut Value, path: &[Step]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    match (slot(value, parent), last) {
        (Some(Value::Object(map)), Step::Key(k)) => {
            map.remove(k);
        }
        (Some(Value::Array(items)), Step::Index(i)) if *i < items.len() => {
            items.remove(*i);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_the_same_every_run_and_reach_what_the_reader_refuses() {
        let a = cases("nightly-snapshot", &["reason"], 40);
        let b = cases("nightly-snapshot", &["reason"], 40);
        assert_eq!(
            a.iter().map(|c| &c.text).collect::<Vec<_>>(),
            b.iter().map(|c| &c.text).collect::<Vec<_>>()
        );
        let unreadable = a
            .iter()
            .filter(|c| serde_json::from_str::<Value>(&c.text).is_err())
            .count();
        assert!(unreadable > 0, "no case beyond the reader's limits");
        assert!(a.iter().any(|c| c.label.contains("scheduled-event.json")));
    }

    #[test]
    fn raw_replacements_land_where_the_placeholder_was() {
        let mut m = Mutated::new(json!({"a": 1, "b": [2]}));
        let raw = m.placeholder("1e400".into());
        set(&mut m.value, &[Step::Key("a".into())], raw);
        assert_eq!(m.text(), r#"{"a":1e400,"b":[2]}"#);
    }
}
