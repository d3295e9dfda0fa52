//! gmops: the by-hand runs of goal-mandala-ops as one command line.

mod args;
mod invoke;
mod ops;
mod payload;
mod show;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use serde_json::Value;
use shared::Severity;

use crate::args::{Cli, Command};
use crate::invoke::{Lambda, Outcome};
use crate::payload::Request;
use crate::show::{Spinner, Style};

/// gmops's exit statuses, for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The report's severity is info (or the function answered something else).
    Info = 0,
    /// Warning — also an ops plan that was not confirmed for want of a terminal.
    Warning = 1,
    /// Critical.
    Critical = 2,
    /// The function returned an error (`errorType`, message printed).
    FunctionError = 3,
    /// It could not be invoked: credentials, no such function, network.
    NotInvoked = 4,
    /// The command line was wrong (EX_USAGE).
    Usage = 64,
}

impl Exit {
    fn of(severity: Severity) -> Exit {
        match severity {
            Severity::Info => Exit::Info,
            Severity::Warning => Exit::Warning,
            Severity::Critical => Exit::Critical,
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(Exit::Usage as u8)
            } else {
                ExitCode::SUCCESS // --help, --version
            };
        }
    };
    if let Command::Completions { shell } = &cli.command {
        clap_complete::generate(*shell, &mut Cli::command(), "gmops", &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
    let request = match payload::request(&cli.command, &cli.global) {
        Ok(Some(request)) => request,
        Ok(None) => return ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gmops: {err}");
            return ExitCode::from(Exit::Usage as u8);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("gmops: {err}");
            return ExitCode::from(Exit::NotInvoked as u8);
        }
    };
    let exit = runtime.block_on(run(&cli, request));
    ExitCode::from(exit as u8)
}

async fn run(cli: &Cli, request: Request) -> Exit {
    let style = Style::new(cli.global.lang, cli.global.timezone);
    let lambda = Lambda::connect(&cli.global).await;
    match &cli.command {
        Command::Ops { yes, .. } => ops::run(&lambda, &request, *yes, cli.global.json, style).await,
        _ => {
            let answer = call(&lambda, &request, cli.global.json, style).await;
            match answer {
                Answered::Response(raw) => print_response(&raw, cli.global.json, style),
                Answered::Failed(exit) => exit,
            }
        }
    }
}

/// A function's answer, or how the call ended when there was none to show.
#[derive(Debug)]
pub enum Answered {
    /// The response, byte for byte.
    Response(Vec<u8>),
    /// The function failed or was not invoked (already printed).
    Failed(Exit),
}

/// Invokes `request` with a spinner, printing a function error or a failed
/// invocation on stderr (and a function error's JSON on stdout with `--json`).
pub async fn call(lambda: &Lambda, request: &Request, json: bool, style: Style) -> Answered {
    let name = lambda.name(&request.function);
    let spinner = Spinner::start(
        style
            .lang
            .choose(format!("{name} を実行中…"), format!("running {name}…")),
    );
    let outcome = lambda.invoke(&request.function, &request.payload).await;
    spinner.stop().await;
    match outcome {
        Ok(Outcome::Response(raw)) => Answered::Response(raw),
        Ok(Outcome::FunctionError {
            error_type,
            message,
            raw,
        }) => {
            if json {
                println_raw(&raw);
            }
            eprintln!(
                "gmops: {}: {message}",
                style.lang.choose(
                    format!("{name} がエラーを返しました（{error_type}）"),
                    format!("{name} returned an error ({error_type})"),
                )
            );
            Answered::Failed(Exit::FunctionError)
        }
        Err(err) => {
            eprintln!(
                "gmops: {}: {}",
                style.lang.pick("呼び出せませんでした", "could not invoke"),
                err.0
            );
            Answered::Failed(Exit::NotInvoked)
        }
    }
}

/// Prints a response (as JSON with `json`, else as the report reads) and
/// returns the exit status its severity gives.
pub fn print_response(raw: &[u8], json: bool, style: Style) -> Exit {
    let report = show::report(raw);
    if json {
        println_raw(raw);
    } else {
        match &report {
            Some(report) => print!("{}", show::report_text(report, style)),
            None => println!("{}", show::other_response(raw)),
        }
    }
    report.map_or(Exit::Info, |r| Exit::of(r.severity))
}

fn println_raw(raw: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(raw);
    let _ = stdout.write_all(b"\n");
    let _ = stdout.flush();
}

/// A response's top-level field.
pub fn field(raw: &[u8], key: &str) -> Value {
    serde_json::from_slice::<Value>(raw)
        .map(|mut v| v[key].take())
        .unwrap_or(Value::Null)
}
