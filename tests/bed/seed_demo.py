"""Seeds the emulated goal-mandala-production for `make demo`.

Reads AWS_ENDPOINT_URL (the bed) and prints the report topic ARN and the
inbox queue URL, one per line.
"""

import json
import os
import sys

import boto3

SYSTEM = "goal-mandala-production"
REGION = os.environ.get("AWS_REGION", "ap-northeast-1")


def client(service):
    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=REGION)


def db_secret(port):
    """The runbook's DB secret, pointing at the demo's PostgreSQL (TLS, verified)."""
    sm = client("secretsmanager")
    sm.create_secret(
        Name="goal-mandala/production/database",
        SecretString=json.dumps({
            "username": "goal_mandala_user",
            "password": os.environ["DEMO_DB_PASSWORD"],
            "host": "127.0.0.1",
            "port": int(port),
            "database": "goal_mandala",
        }),
    )


def begin_rotation():
    """Starts a rotation as Secrets Manager does and prints its token: a new
    version staged AWSPENDING, AWSCURRENT left where it was (moto moves it
    itself, see TESTBED.md, so the labels are put back)."""
    sm = client("secretsmanager")
    secret = "goal-mandala/production/database"
    stages = sm.describe_secret(SecretId=secret)["VersionIdsToStages"]
    current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
    token = sm.rotate_secret(SecretId=secret, RotationRules={"AutomaticallyAfterDays": 90})["VersionId"]
    sm.update_secret_version_stage(SecretId=secret, VersionStage="AWSCURRENT", MoveToVersionId=current, RemoveFromVersionId=token)
    sm.update_secret_version_stage(SecretId=secret, VersionStage="AWSPREVIOUS", RemoveFromVersionId=token)
    sm.update_secret_version_stage(SecretId=secret, VersionStage="AWSPENDING", MoveToVersionId=token)
    print(token)


def current_password():
    """AWSCURRENT's password, for the demo's login check (never printed by the demo)."""
    sm = client("secretsmanager")
    value = sm.get_secret_value(SecretId="goal-mandala/production/database", VersionStage="AWSCURRENT")
    print(json.loads(value["SecretString"])["password"])


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

    # The deploy user and its key (the pipeline's), plus a forgotten user.
    iam = client("iam")
    iam.create_user(UserName="github-actions-deploy")
    iam.create_access_key(UserName="github-actions-deploy")
    iam.create_user(UserName="legacy-batch")
    iam.create_access_key(UserName="legacy-batch")

    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name=f"{SYSTEM}-ops")["TopicArn"]
    queue = sqs.create_queue(QueueName="ops-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    print(topic)
    print(queue)


def costs():
    """A quarter of goal-mandala-production's bill in the bed's Cost Explorer:
    October over budget on Aurora, November heading over on Aurora, December young."""
    import datetime
    import urllib.request

    def days(first, last):
        d = datetime.date.fromisoformat(first)
        while d <= datetime.date.fromisoformat(last):
            yield d.isoformat()
            d += datetime.timedelta(days=1)

    daily = {
        "AWS Lambda": "0.09",
        "Amazon Relational Database Service": "0.52",
        "Amazon Simple Storage Service": "0.02",
        "Amazon CloudFront": "0.01",
        "Amazon API Gateway": "0.03",
        "AmazonCloudWatch": "0.02",
        "AWS Secrets Manager": "0.0133",
        "AWS X-Ray": "0.001",
    }
    items = []
    for first, last, aurora in (("2026-10-01", "2026-10-31", "0.61"), ("2026-11-01", "2026-11-30", None),
                                ("2026-12-01", "2026-12-06", None)):
        for day in days(first, last):
            for service, amount in daily.items():
                if service == "Amazon Relational Database Service" and aurora:
                    amount = aurora
                items.append({"date": day, "service": service, "record_type": "Usage", "amount": amount})
        items.append({"date": last, "service": "Tax", "record_type": "Tax", "amount": "1.20"})
    items.append({"date": "2026-11-03", "service": "AWS Lambda", "record_type": "Credit", "amount": "-0.50"})
    base = os.environ["AWS_ENDPOINT_URL"]
    for path, body in (("/_bed/ce/items", items), ("/_bed/ce/forecast", {"per_day": "0.75"})):
        request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request).read()


def use_deploy_key():
    """The deploy pipeline switches to the stored key: one request signed with it."""
    stored = json.loads(client("secretsmanager").get_secret_value(
        SecretId=f"{SYSTEM}/iam/github-actions-deploy", VersionStage="AWSCURRENT")["SecretString"])
    boto3.client("iam", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=REGION,
                 aws_access_key_id=stored["AccessKeyId"],
                 aws_secret_access_key=stored["SecretAccessKey"]).get_user(UserName="github-actions-deploy")
    print(stored["AccessKeyId"][-4:])


def days_ahead(days, extra="{}"):
    """An event `days` from now (the emulator stamps keys with the real clock),
    as the scheduler sends it, or with `extra` fields as a manual run."""
    import datetime
    at = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=int(days))).strftime("%Y-%m-%dT%H:%M:%SZ")
    extra = json.loads(extra)
    print(json.dumps({**({"at": at} if extra else {"scheduled_time": at}), **extra}))


if __name__ == "__main__":
    commands = {"db-secret": lambda: db_secret(sys.argv[2]), "begin-rotation": begin_rotation,
                "current-password": current_password, "costs": costs,
                "use-deploy-key": use_deploy_key, "days-ahead": lambda: days_ahead(*sys.argv[2:4])}
    commands.get(sys.argv[1] if len(sys.argv) > 1 else "", main)()
