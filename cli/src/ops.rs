//! `gmops ops`: plan, look, confirm — the SSM Automation approve step on a
//! command line. The plan is invoked first and shown; only an explicit `y`
//! (or `--yes`) sends the same payload again with `"confirm": true`.

use std::io::{BufRead, IsTerminal, Write};

use serde_json::{Value, json};

use crate::invoke::Lambda;
use crate::payload::Request;
use crate::show::{self, Style};
use crate::{Answered, Exit, call, field, print_response};

/// What the operator answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Confirm,
    Cancel,
    NoTerminal,
}

/// Runs an ops action: the plan, then — if it plans a change — the confirmation.
pub async fn run(lambda: &Lambda, request: &Request, yes: bool, json: bool, style: Style) -> Exit {
    let plan = match call(lambda, request, json, style).await {
        Answered::Response(raw) => raw,
        Answered::Failed(exit) => return exit,
    };
    let plan_value: Value = serde_json::from_slice(&plan).unwrap_or(Value::Null);
    if !needs_confirmation(&plan_value) {
        // Read-only, a dry run, or already as asked: nothing to confirm.
        return print_response(&plan, json, style);
    }
    if json {
        println!("{}", String::from_utf8_lossy(&plan));
    } else {
        println!("{}", show::plan_table(&plan_value, style.lang));
        if let Some(report) = show::report(&plan) {
            print!("{}", show::report_text(&report, style));
        }
    }
    let answer = if yes { Answer::Confirm } else { ask(style) };
    match answer {
        Answer::Confirm => {}
        Answer::Cancel => {
            eprintln!(
                "{}",
                style.lang.pick(
                    "中止しました（何も変更していません）",
                    "cancelled (nothing was changed)"
                )
            );
            return Exit::Info;
        }
        Answer::NoTerminal => {
            eprintln!(
                "gmops: {}",
                style.lang.pick(
                    "端末がないため確認できません。計画だけを表示しました（確認なしで実行するには --yes）",
                    "no terminal to confirm on: only the plan was shown (--yes confirms without asking)"
                )
            );
            return Exit::Warning;
        }
    }
    let mut confirmed = request.clone();
    if let Value::Object(fields) = &mut confirmed.payload {
        fields.insert("confirm".into(), json!(true));
    }
    let done = match call(lambda, &confirmed, json, style).await {
        Answered::Response(raw) => raw,
        Answered::Failed(exit) => return exit,
    };
    let (before, now) = (&plan_value["current"], field(&done, "current"));
    if !json {
        println!();
    }
    let exit = print_response(&done, json, style);
    if *before != now {
        eprintln!(
            "gmops: {} {} → {}",
            style.lang.pick(
                "計画の表示後に現在値が変わっていました（別の誰かが変更した可能性があります）:",
                "the current values changed after the plan was shown (someone else may have changed them):"
            ),
            before,
            now
        );
    }
    exit
}

/// Whether the plan would change something: not read-only, not a dry run,
/// and some action `planned`.
fn needs_confirmation(plan: &Value) -> bool {
    if plan["action"] == "snapshot-status" || plan["dry_run"] == true {
        return false;
    }
    plan["actions"]
        .as_array()
        .is_some_and(|actions| actions.iter().any(|a| a["result"] == "planned"))
}

/// Asks on the terminal; only `y` (or `yes`) confirms.
fn ask(style: Style) -> Answer {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Answer::NoTerminal;
    }
    eprint!(
        "{} ",
        style
            .lang
            .pick("この変更を実行しますか？ [y/N]", "Apply this change? [y/N]")
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if stdin.lock().read_line(&mut line).is_err() {
        return Answer::Cancel;
    }
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Answer::Confirm,
        _ => Answer::Cancel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_planned_change_asks_for_confirmation() {
        let planned = json!({"action": "set-db-capacity", "dry_run": false, "actions": [{"result": "planned"}]});
        assert!(needs_confirmation(&planned));
        let already = json!({"action": "set-db-capacity", "dry_run": false, "actions": [{"result": "skipped"}]});
        assert!(!needs_confirmation(&already));
        let dry = json!({"action": "set-db-capacity", "dry_run": true, "actions": [{"result": "planned"}]});
        assert!(!needs_confirmation(&dry));
        let read_only = json!({"action": "snapshot-status", "dry_run": false, "actions": [{"result": "planned"}]});
        assert!(!needs_confirmation(&read_only));
    }
}
