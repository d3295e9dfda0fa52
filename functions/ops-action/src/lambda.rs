//! The runbook's スケーリング for the API function: reserved concurrency
//! (`aws lambda put-function-concurrency`) and provisioned concurrency of an
//! alias or version (`aws lambda put-provisioned-concurrency-config`).

use aws_sdk_lambda::Client;
use serde_json::json;
use shared::{ActionResult, Error};

use crate::bounds::{check_provisioned, check_reserved};
use crate::text::Texts;
use crate::{OpsAction, Outcome};

/// What the account and the function hold now.
struct Account {
    unreserved: i64,
    reserved: Option<i64>,
    /// Provisioned concurrency per qualifier.
    provisioned: Vec<(String, i64)>,
}

async fn account(client: &Client, function: &str) -> Result<Account, Error> {
    let answer = client.get_function().function_name(function).send().await;
    shared::aws::found("GetFunction", answer, |e| {
        e.is_resource_not_found_exception()
    })?
    .ok_or_else(|| Error::InvalidInput(format!("`function`: {function} does not exist")))?;
    let settings = client
        .get_account_settings()
        .send()
        .await
        .map_err(|e| Error::aws("GetAccountSettings", e))?;
    let unreserved = settings
        .account_limit()
        .and_then(|l| l.unreserved_concurrent_executions())
        .map(i64::from)
        .ok_or_else(|| {
            Error::Unexpected("GetAccountSettings gave no UnreservedConcurrentExecutions".into())
        })?;
    let now = shared::lambda::concurrency(client, function).await?;
    Ok(Account {
        unreserved,
        reserved: now.reserved,
        provisioned: now.provisioned,
    })
}

fn as_i32(field: &str, n: i64) -> Result<i32, Error> {
    i32::try_from(n).map_err(|_| Error::InvalidInput(format!("`{field}` is too large")))
}

/// `set-lambda-concurrency`.
pub(crate) async fn set_reserved(
    state: &OpsAction,
    texts: &Texts,
    function: &str,
    reserved: i64,
    may_change: bool,
) -> Result<Outcome, Error> {
    let client = &state.lambda;
    let now = account(client, function).await?;
    let provisioned: i64 = now.provisioned.iter().map(|(_, n)| n).sum();
    check_reserved(reserved, now.unreserved, now.reserved, provisioned)?;
    let mut outcome = Outcome::new(
        function,
        json!({"reserved": now.reserved}),
        json!({"reserved": reserved}),
    );
    let already = now.reserved == Some(reserved);
    let result = if already {
        ActionResult::Skipped
    } else if may_change {
        client
            .put_function_concurrency()
            .function_name(function)
            .reserved_concurrent_executions(as_i32("reserved", reserved)?)
            .send()
            .await
            .map_err(|e| Error::aws("PutFunctionConcurrency", e))?;
        outcome.changed = true;
        ActionResult::Done
    } else {
        ActionResult::Planned
    };
    outcome.action(texts.reserved_action(function, now.reserved, reserved, result));
    if function == state.config.common.api_function_name {
        let runbook = i64::from(state.config.common.runbook.lambda_reserved_concurrency);
        outcome.finding(texts.runbook_value(
            "reserved",
            &reserved.to_string(),
            &runbook.to_string(),
            reserved == runbook,
        ));
    }
    outcome.headline = texts.change_headline(
        &now.reserved.map_or_else(|| texts.none(), |r| r.to_string()),
        &reserved.to_string(),
        "",
    );
    Ok(outcome)
}

/// `set-provisioned-concurrency`.
pub(crate) async fn set_provisioned(
    state: &OpsAction,
    texts: &Texts,
    function: &str,
    qualifier: &str,
    count: i64,
    may_change: bool,
) -> Result<Outcome, Error> {
    let client = &state.lambda;
    // The qualifier must be an alias or a published version of the function.
    let answer = client
        .get_function()
        .function_name(function)
        .qualifier(qualifier)
        .send()
        .await;
    shared::aws::found("GetFunction", answer, |e| {
        e.is_resource_not_found_exception()
    })?
    .ok_or_else(|| {
        Error::InvalidInput(format!(
            "`qualifier`: {function}:{qualifier} does not exist"
        ))
    })?;
    let now = account(client, function).await?;
    let current = now
        .provisioned
        .iter()
        .find(|(q, _)| q == qualifier)
        .map_or(0, |(_, n)| *n);
    let others: i64 = now
        .provisioned
        .iter()
        .filter(|(q, _)| q != qualifier)
        .map(|(_, n)| n)
        .sum();
    check_provisioned(count, now.reserved, others, now.unreserved)?;
    let target = format!("{function}:{qualifier}");
    let mut outcome = Outcome::new(&target, json!({"count": current}), json!({"count": count}));
    let result = if current == count {
        ActionResult::Skipped
    } else if !may_change {
        ActionResult::Planned
    } else if count == 0 {
        client
            .delete_provisioned_concurrency_config()
            .function_name(function)
            .qualifier(qualifier)
            .send()
            .await
            .map_err(|e| Error::aws("DeleteProvisionedConcurrencyConfig", e))?;
        outcome.changed = true;
        ActionResult::Done
    } else {
        let out = client
            .put_provisioned_concurrency_config()
            .function_name(function)
            .qualifier(qualifier)
            .provisioned_concurrent_executions(as_i32("count", count)?)
            .send()
            .await
            .map_err(|e| Error::aws("PutProvisionedConcurrencyConfig", e))?;
        outcome.changed = true;
        outcome.extra("status", json!(out.status().map(|s| s.as_str().to_owned())));
        ActionResult::Done
    };
    outcome.action(texts.provisioned_action(&target, current, count, result));
    if function == state.config.common.api_function_name {
        let runbook = i64::from(state.config.common.runbook.lambda_provisioned_concurrency);
        outcome.finding(texts.runbook_value(
            "count",
            &count.to_string(),
            &runbook.to_string(),
            count == runbook,
        ));
    }
    outcome.headline = texts.change_headline(&current.to_string(), &count.to_string(), "");
    Ok(outcome)
}
