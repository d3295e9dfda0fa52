//! The production system's resources, made on the bed the way the runbook
//! describes them (ARCHITECTURE §1).

use aws_sdk_rds::types::ServerlessV2ScalingConfiguration;

use crate::BedError;

/// The DB subnet group the runbook cluster lives in.
pub const SUBNET_GROUP: &str = "goal-mandala-production-db";
/// Its VPC security group.
pub const SECURITY_GROUP: &str = "sg-0a1b2c3d4e5f60718";

/// An Aurora Serverless v2 PostgreSQL cluster `id` like production's:
/// engine 15.4, 0.5–2 ACU, in [`SUBNET_GROUP`] behind [`SECURITY_GROUP`].
pub async fn create_cluster(rds: &aws_sdk_rds::Client, id: &str) -> Result<(), BedError> {
    rds.create_db_cluster()
        .db_cluster_identifier(id)
        .engine("aurora-postgresql")
        .engine_version("15.4")
        .master_username("goal_mandala_admin")
        .master_user_password("not-a-real-password-1")
        .db_subnet_group_name(SUBNET_GROUP)
        .vpc_security_group_ids(SECURITY_GROUP)
        .serverless_v2_scaling_configuration(
            ServerlessV2ScalingConfiguration::builder()
                .min_capacity(0.5)
                .max_capacity(2.0)
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| BedError(format!("CreateDBCluster {id}: {e}")))
}

/// The smallest valid zip: an empty archive (moto never runs the code).
const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// The API function `name` (with the role it runs as), one published
/// version and the alias `live` on it; returns the version.
pub async fn create_api_function(
    sdk: &aws_config::SdkConfig,
    name: &str,
) -> Result<String, BedError> {
    let fail = |what: &str, e: String| BedError(format!("{what} {name}: {e}"));
    let role = aws_sdk_iam::Client::new(sdk)
        .create_role()
        .role_name(format!("{name}-role"))
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
        .send()
        .await
        .map_err(|e| fail("CreateRole", e.to_string()))?
        .role
        .ok_or_else(|| fail("CreateRole", "no role".into()))?;
    let lambda = aws_sdk_lambda::Client::new(sdk);
    lambda
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("bootstrap")
        .role(role.arn())
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .send()
        .await
        .map_err(|e| fail("CreateFunction", e.to_string()))?;
    let version = lambda
        .publish_version()
        .function_name(name)
        .send()
        .await
        .map_err(|e| fail("PublishVersion", e.to_string()))?
        .version
        .unwrap_or_default();
    lambda
        .create_alias()
        .function_name(name)
        .name("live")
        .function_version(&version)
        .send()
        .await
        .map_err(|e| fail("CreateAlias", e.to_string()))?;
    Ok(version)
}

/// The cluster `id`'s Serverless v2 capacity (min, max), read back.
pub async fn capacity(rds: &aws_sdk_rds::Client, id: &str) -> Result<(f64, f64), BedError> {
    let out = rds
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
        .map_err(|e| BedError(format!("DescribeDBClusters {id}: {e}")))?;
    out.db_clusters()
        .first()
        .and_then(|c| c.serverless_v2_scaling_configuration())
        .and_then(|s| Some((s.min_capacity()?, s.max_capacity()?)))
        .ok_or_else(|| BedError(format!("{id} has no Serverless v2 capacity")))
}

/// An S3 bucket `name` in the production Region.
pub async fn create_bucket(s3: &aws_sdk_s3::Client, name: &str) -> Result<(), BedError> {
    s3.create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::ApNortheast1)
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| BedError(format!("CreateBucket {name}: {e}")))
}
