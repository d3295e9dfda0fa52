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
