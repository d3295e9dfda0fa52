"""Seeds the emulated goal-mandala-production for `make demo`.

Reads AWS_ENDPOINT_URL (the bed) and prints the report topic ARN and the
inbox queue URL, one per line.
"""

import os

import boto3

SYSTEM = "goal-mandala-production"
REGION = os.environ.get("AWS_REGION", "ap-northeast-1")


def client(service):
    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=REGION)


def main():
    rds = client("rds")
    rds.create_db_cluster(
        DBClusterIdentifier=SYSTEM,
        Engine="aurora-postgresql",
        EngineVersion="15.4",
        DatabaseName="goal_mandala",
        MasterUsername="goal_mandala_admin",
        MasterUserPassword="demo-only-not-a-secret",
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
        BackupRetentionPeriod=7,
        PreferredBackupWindow="18:00-19:00",  # 03:00–04:00 JST
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{SYSTEM}-instance-1",
        DBClusterIdentifier=SYSTEM,
        DBInstanceClass="db.serverless",
        Engine="aurora-postgresql",
    )
    # Snapshots other people made: the function must never touch them.
    rds.create_db_cluster_snapshot(
        DBClusterIdentifier=SYSTEM, DBClusterSnapshotIdentifier="before-migration-2026-10"
    )
    rds.create_db_cluster_snapshot(
        DBClusterIdentifier=SYSTEM,
        DBClusterSnapshotIdentifier=f"{SYSTEM}-manual-20261001-120000",
        Tags=[{"Key": "note", "Value": "taken by hand"}],
    )

    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name=f"{SYSTEM}-ops")["TopicArn"]
    queue = sqs.create_queue(QueueName="ops-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    print(topic)
    print(queue)


if __name__ == "__main__":
    main()
