//! Links into the AWS console, built from the region and the resource.

/// `%`-encodes what console URL fragments need (RFC 3986 unreserved kept).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn cloudwatch(region: &str, fragment: &str) -> String {
    format!("https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#{fragment}")
}

/// A CloudWatch alarm.
pub fn alarm(region: &str, name: &str) -> String {
    cloudwatch(region, &format!("alarmsV2:alarm/{}", encode(name)))
}

/// A CloudWatch dashboard.
pub fn dashboard(region: &str, name: &str) -> String {
    cloudwatch(region, &format!("dashboards/dashboard/{}", encode(name)))
}

/// A log group (the console double-encodes `/` as `$252F`).
pub fn log_group(region: &str, group: &str) -> String {
    cloudwatch(
        region,
        &format!(
            "logsV2:log-groups/log-group/{}",
            group.replace('/', "$252F")
        ),
    )
}

/// A CloudTrail event, by its id.
pub fn cloudtrail_event(region: &str, event_id: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/{}",
        encode(event_id)
    )
}

/// An IAM user (IAM is global: the console has no region here).
pub fn iam_user(user: &str) -> String {
    format!(
        "https://console.aws.amazon.com/iam/home#/users/details/{}?section=security_credentials",
        encode(user)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_built_from_region_and_resource() {
        assert_eq!(
            alarm("ap-northeast-1", "goal-mandala-production-high-error-rate"),
            "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#alarmsV2:alarm/goal-mandala-production-high-error-rate"
        );
        assert_eq!(
            alarm("us-east-1", "a b/c"),
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/a%20b%2Fc"
        );
        assert_eq!(
            dashboard("ap-northeast-1", "goal-mandala-production"),
            "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#dashboards/dashboard/goal-mandala-production"
        );
        assert_eq!(
            log_group("ap-northeast-1", "/aws/lambda/x"),
            "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:log-groups/log-group/$252Faws$252Flambda$252Fx"
        );
        assert!(cloudtrail_event("ap-northeast-1", "3f1c").ends_with("#/events/3f1c"));
        assert!(iam_user("github-actions-deploy").contains("/users/details/github-actions-deploy"));
    }
}
