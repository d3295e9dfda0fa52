//! Classifier throughput: every corpus line, repeated, through the default
//! rules. `cargo run --profile bench-fast -p alarm-triage --example classify_bench [ROUNDS]`

use std::time::Instant;

use alarm_triage::classify::Classifier;

const CORPUS: &str = include_str!("../corpus/error-lines.tsv");

fn main() {
    let lines: Vec<&str> = CORPUS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.splitn(3, '\t').nth(2))
        .collect();
    let classifier = Classifier::defaults();
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(2_000);
    // Warm the lazy DFA once, as a long-lived Lambda process would be.
    for line in &lines {
        std::hint::black_box(classifier.classify(line));
    }
    let bytes: usize = lines.iter().map(|l| l.len()).sum::<usize>() * rounds;
    let started = Instant::now();
    let mut counts = [0usize; 5];
    for _ in 0..rounds {
        for line in &lines {
            let class = classifier.classify(std::hint::black_box(line));
            counts[class as usize] += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = lines.len() * rounds;
    println!(
        "{total} lines ({:.1} MB) in {elapsed:.2} s: {:.0} lines/s, {:.1} MB/s; per class {counts:?}",
        bytes as f64 / 1e6,
        total as f64 / elapsed,
        bytes as f64 / 1e6 / elapsed
    );
}
