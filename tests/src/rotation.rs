//! Starting a secret rotation the way Secrets Manager does, on the bed.

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::RotationRulesType;

use crate::BedError;

fn sm_err(what: &str) -> impl Fn(String) -> BedError + '_ {
    move |e| BedError(format!("{what}: {e}"))
}

/// `(version id, stages)` of every version of `secret`.
pub async fn stages(sm: &Client, secret: &str) -> Result<Vec<(String, Vec<String>)>, BedError> {
    let d = sm
        .describe_secret()
        .secret_id(secret)
        .send()
        .await
        .map_err(|e| sm_err("DescribeSecret")(e.to_string()))?;
    Ok(d.version_ids_to_stages
        .unwrap_or_default()
        .into_iter()
        .collect())
}

/// Moves `stage` of `secret` to version `to` and/or off version `from`.
pub async fn label(
    sm: &Client,
    secret: &str,
    stage: &str,
    to: Option<&str>,
    from: Option<&str>,
) -> Result<(), BedError> {
    sm.update_secret_version_stage()
        .secret_id(secret)
        .version_stage(stage)
        .set_move_to_version_id(to.map(str::to_owned))
        .set_remove_from_version_id(from.map(str::to_owned))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sm_err("UpdateSecretVersionStage")(e.to_string()))
}

/// Starts a rotation as Secrets Manager would and returns its token: a new
/// version staged `AWSPENDING`, `AWSCURRENT` and `AWSPREVIOUS` where they
/// were (moto's `RotateSecret` without a rotation Lambda moves `AWSCURRENT`
/// onto the new, empty version itself — AWS does not — so the labels are put
/// back; a finished rotation's `AWSPENDING` is removed first, as AWS does).
pub async fn begin(sm: &Client, secret: &str) -> Result<String, BedError> {
    let before = stages(sm, secret).await?;
    let holder = |stage: &str| {
        before
            .iter()
            .find(|(_, s)| s.iter().any(|x| x == stage))
            .map(|(v, _)| v.clone())
    };
    if let Some(done) = holder("AWSPENDING") {
        label(sm, secret, "AWSPENDING", None, Some(&done)).await?;
    }
    let current = holder("AWSCURRENT")
        .ok_or_else(|| BedError(format!("{secret} has no AWSCURRENT version")))?;
    let previous = holder("AWSPREVIOUS");
    let token = sm
        .rotate_secret()
        .secret_id(secret)
        .rotation_rules(
            RotationRulesType::builder()
                .automatically_after_days(90)
                .build(),
        )
        .send()
        .await
        .map_err(|e| sm_err("RotateSecret")(e.to_string()))?
        .version_id
        .ok_or_else(|| BedError("RotateSecret returned no version".into()))?;
    label(sm, secret, "AWSCURRENT", Some(&current), Some(&token)).await?;
    label(sm, secret, "AWSPREVIOUS", previous.as_deref(), Some(&token)).await?;
    label(sm, secret, "AWSPENDING", Some(&token), None).await?;
    Ok(token)
}
