//! The one read of a Lambda function's concurrency (feature `lambda`):
//! ops-action scales it, daily-health holds it against the runbook.

use aws_sdk_lambda::Client;

use crate::error::Error;

/// A function's reserved and provisioned concurrency, as Lambda has them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concurrency {
    /// Reserved concurrency; `None`: none set.
    pub reserved: Option<i64>,
    /// Provisioned concurrency per qualifier (alias or version): the requested
    /// count, else the allocated one.
    pub provisioned: Vec<(String, i64)>,
}

impl Concurrency {
    /// Provisioned concurrency over every qualifier.
    pub fn provisioned_total(&self) -> i64 {
        self.provisioned.iter().map(|(_, n)| n).sum()
    }
}

/// `GetFunctionConcurrency` and every page of `ListProvisionedConcurrencyConfigs`.
pub async fn concurrency(client: &Client, function: &str) -> Result<Concurrency, Error> {
    let reserved = client
        .get_function_concurrency()
        .function_name(function)
        .send()
        .await
        .map_err(|e| Error::aws("GetFunctionConcurrency", e))?
        .reserved_concurrent_executions()
        .map(i64::from);
    let mut provisioned = Vec::new();
    let mut pages = client
        .list_provisioned_concurrency_configs()
        .function_name(function)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("ListProvisionedConcurrencyConfigs", e))?;
        for config in page.provisioned_concurrency_configs() {
            let qualifier = config
                .function_arn()
                .and_then(|arn| arn.rsplit(':').next())
                .unwrap_or_default()
                .to_owned();
            let count = config
                .requested_provisioned_concurrent_executions()
                .or(config.allocated_provisioned_concurrent_executions())
                .unwrap_or(0);
            provisioned.push((qualifier, i64::from(count)));
        }
    }
    Ok(Concurrency {
        reserved,
        provisioned,
    })
}
