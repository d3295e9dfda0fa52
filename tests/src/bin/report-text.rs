//! Prints a report (JSON on stdin, e.g. `cargo lambda invoke` output) as the
//! e-mail text its notification carries, in `REPORT_LANG` and `REPORT_TIMEZONE`.

use std::io::Read;
use std::process::ExitCode;

use shared::{Config, Env, Report, render};

fn main() -> ExitCode {
    let config = match Config::from_env(&Env::from_process()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("report-text: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut input = String::new();
    if let Err(err) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("report-text: reading stdin: {err}");
        return ExitCode::FAILURE;
    }
    match serde_json::from_str::<Report>(&input) {
        Ok(report) => {
            print!("{}", render::text(&report, config.lang, config.timezone));
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("report-text: not a goal-mandala-ops report ({err}):\n{input}");
            ExitCode::FAILURE
        }
    }
}
