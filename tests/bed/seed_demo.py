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


def bed_control(path, body):
    """POSTs to one of the bed's control endpoints (tests/bed/*.py)."""
    import urllib.request

    request = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"] + path, data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()


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
    itself when RotateSecret has no rotation Lambda, so the labels are put back)."""
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

    # The frontend bucket, versioned as the runbook wants, with the built
    # site; its backup bucket, last synced before the latest deploy.
    s3 = client("s3")
    for bucket in (f"{SYSTEM}-frontend", f"{SYSTEM}-frontend-backup"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=f"{SYSTEM}-frontend", VersioningConfiguration={"Status": "Enabled"})
    for i in range(40):
        s3.put_object(Bucket=f"{SYSTEM}-frontend", Key=f"assets/chunk-{i:02d}.js", Body=f"/* chunk {i} v2 */".encode())
        if i < 30:
            s3.put_object(Bucket=f"{SYSTEM}-frontend-backup", Key=f"assets/chunk-{i:02d}.js",
                          Body=(f"/* chunk {i} v1 */" if i % 10 == 0 else f"/* chunk {i} v2 */").encode())
    s3.put_object(Bucket=f"{SYSTEM}-frontend", Key="index.html", Body=b"<!doctype html><title>goal mandala</title>")
    s3.put_object(Bucket=f"{SYSTEM}-frontend-backup", Key="assets/removed-in-v2.js", Body=b"/* old */")

    sns, sqs = client("sns"), client("sqs")
    # The stack's failure queue (empty) and the frontend's cache policy at
    # the runbook's TTL (CloudFront cache policies are the bed's).
    sqs.create_queue(QueueName=f"{SYSTEM}-ops-failures")
    # The stack's schedule group (alarm-triage's reminders).
    client("scheduler").create_schedule_group(Name=f"{SYSTEM}-ops")
    bed_control("/_bed/cloudfront/cache-policies", {"id": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                                                    "name": "frontend", "default_ttl": 86400})
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


def api_errors():
    """The API's log group with the last few minutes of an incident: database
    connection errors, Lambda timeouts and ordinary INFO lines."""
    import datetime
    import time
    logs = client("logs")
    group, stream = f"/aws/lambda/{SYSTEM}-api", "2026/11/28/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000) - 120_000
    stamp = lambda ms: datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    events = []
    for i in range(30):
        ts = now - 600_000 + i * 10_000
        rid = f"6f7f0961-f834-4211-8a7a-f6fe80b88d{i % 9:02d}"
        if i % 5 == 4:
            msg = f"{stamp(ts)}\t{rid}\tERROR\tPrismaClientKnownRequestError: Timed out fetching a new connection from the connection pool. (Current connection pool timeout: 10, connection limit: 5)"
        elif i % 7 == 6:
            msg = f"{stamp(ts)} {rid} Task timed out after 30.03 seconds"
        elif i % 3 == 2:
            msg = f"{stamp(ts)}\t{rid}\tINFO\tgoal saved"
        else:
            msg = f"{stamp(ts)}\t{rid}\tERROR\tInvoke Error\tError: connect ECONNREFUSED 10.0.3.25:5432"
        events.append({"timestamp": ts, "message": msg})
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def recent_deploy():
    """CloudTrail: the deploy pipeline updated the API's code 9 minutes ago
    (8 minutes before the demo's alarms, which changed state a minute ago)."""
    import datetime
    at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=9)
    bed_control("/_bed/cloudtrail/events", {"events": [{
        "eventVersion": "1.09", "eventID": "demo-deploy-0001", "eventName": "UpdateFunctionCode20150331v2",
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": "lambda.amazonaws.com",
        "awsRegion": REGION, "readOnly": False, "sourceIPAddress": "203.0.113.20",
        "userIdentity": {"type": "IAMUser", "userName": "github-actions-deploy",
                         "arn": "arn:aws:iam::123456789012:user/github-actions-deploy"},
        "requestParameters": {"functionName": f"{SYSTEM}-api", "publish": True}}]})


def alarm_event(name):
    """A sample alarm event from events/alarm-triage with its state change a minute ago."""
    import datetime
    with open(os.path.join(os.path.dirname(__file__), "../../events/alarm-triage", name)) as f:
        event = json.load(f)
    at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    before = (at - datetime.timedelta(minutes=42)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    if "detail" in event:
        event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        event["detail"]["state"]["timestamp"] = stamp
        event["detail"]["previousState"]["timestamp"] = before
    elif "alarmData" in event:
        event["time"] = stamp
        event["alarmData"]["state"]["timestamp"] = stamp
    print(json.dumps(event))


def incident(path):
    """The error-rate alarm in CloudWatch, in ALARM since the event's state
    change (its history as DescribeAlarmHistory answers it)."""
    with open(path) as f:
        event = json.load(f)
    name, at = event["detail"]["alarmName"], event["detail"]["state"]["timestamp"]
    cw = client("cloudwatch")
    cw.put_metric_alarm(AlarmName=name, Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
                        Dimensions=[{"Name": "FunctionName", "Value": f"{SYSTEM}-api"}], Period=60,
                        EvaluationPeriods=1, Threshold=5.0, ComparisonOperator="GreaterThanThreshold")
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="Threshold Crossed")
    iso = at[:-5] + "+00:00"
    bed_control("/_bed/cloudwatch/alarm-history",
                {"alarm": name, "transitions": [{"at": iso, "from": "OK", "to": "ALARM"}]})


def fire_reminder():
    """What EventBridge Scheduler does when a reminder is due (the bed's
    Scheduler never fires): prints the schedule's input, then deletes the
    one-time schedule (ActionAfterCompletion DELETE)."""
    scheduler = client("scheduler")
    group = f"{SYSTEM}-ops"
    names = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]
             if s["Name"].startswith("high-error-rate-")]
    schedule = scheduler.get_schedule(Name=sorted(names)[0], GroupName=group)
    print(f"schedule {schedule['Name']}: {schedule['ScheduleExpression']} → {schedule['Target']['Arn']}",
          file=sys.stderr)
    if schedule.get("ActionAfterCompletion") == "DELETE":
        scheduler.delete_schedule(Name=schedule["Name"], GroupName=group)
    print(schedule["Target"]["Input"])


def recovery(path):
    """The error-rate alarm back to OK now, after the ALARM of `path`."""
    import datetime
    with open(path) as f:
        alarm = json.load(f)
    with open(os.path.join(os.path.dirname(__file__), "../../events/alarm-triage/eventbridge-ok.json")) as f:
        event = json.load(f)
    now = datetime.datetime.now(datetime.timezone.utc)
    event["time"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    event["detail"]["state"]["timestamp"] = now.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    event["detail"]["previousState"]["timestamp"] = alarm["detail"]["state"]["timestamp"]
    client("cloudwatch").set_alarm_state(AlarmName=event["detail"]["alarmName"], StateValue="OK",
                                         StateReason="Threshold Crossed: recovered")
    print(json.dumps(event))


def ops_items():
    """The OpsItems OpsCenter holds (the bed's), one line each."""
    import urllib.request
    items = json.load(urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL"] + "/_bed/ssm/ops-items")).get(REGION, [])
    for item in items:
        print(f"  {item['OpsItemId']} [{item['Status']}] {item['Category']} severity {item['Severity']}: {item['Title']}")


def health():
    """Yesterday (JST) and the week before it on the dashboard: an ordinary
    week, then a day with a surge of API requests (a bot) and a slow p95,
    and the latency alarm that fired for it. Prints the 09:00 scheduler input."""
    import datetime
    jst = datetime.timezone(datetime.timedelta(hours=9))
    now = datetime.datetime.now(datetime.timezone.utc)
    today = now.astimezone(jst).date()
    cw = client("cloudwatch")
    function = [{"Name": "FunctionName", "Value": f"{SYSTEM}-api"}]
    api = [{"Name": "ApiName", "Value": SYSTEM}]
    cluster = [{"Name": "DBClusterIdentifier", "Value": SYSTEM}]
    for days_before in range(8, 0, -1):
        day = today - datetime.timedelta(days=days_before)
        start = datetime.datetime(day.year, day.month, day.day, tzinfo=jst)
        at = lambda hours, seconds=0: start + datetime.timedelta(hours=hours, seconds=seconds)
        bad = days_before == 1
        requests = 9_800 if bad else 1_900 + 50 * days_before
        invocations = requests - 40
        step = 24 if bad else 8  # p95 = 95 × step ms
        cw.put_metric_data(Namespace="AWS/Lambda", MetricData=[
            {"MetricName": "Invocations", "Dimensions": function, "Value": invocations, "Timestamp": at(12)},
            {"MetricName": "Errors", "Dimensions": function, "Value": 6 if not bad else 31, "Timestamp": at(12)},
            {"MetricName": "Duration", "Dimensions": function, "Value": 280.0 if not bad else 640.0, "Timestamp": at(12)},
        ])
        cw.put_metric_data(Namespace="AWS/ApiGateway", MetricData=[
            {"MetricName": "Count", "Dimensions": api, "Value": requests, "Timestamp": at(12)},
        ] + [
            {"MetricName": "Latency", "Dimensions": api, "Value": float(step * i), "Unit": "Milliseconds",
             "Timestamp": at(13, i)} for i in range(1, 101)
        ])
        cw.put_metric_data(Namespace="AWS/RDS", MetricData=[
            {"MetricName": "DatabaseConnections", "Dimensions": cluster, "Value": 14 if not bad else 38, "Timestamp": at(12)},
            {"MetricName": "CPUUtilization", "Dimensions": cluster, "Value": 22.0 if not bad else 55.0, "Timestamp": at(12)},
        ])
    topic = client("sns").create_topic(Name=f"{SYSTEM}-ops")["TopicArn"]
    for suffix, state, reason, threshold in (
        ("high-error-rate", "OK", "Threshold Crossed: 1 datapoint [0.3] was not greater than the threshold (5.0).", 5.0),
        ("high-latency", "ALARM", "Threshold Crossed: 1 datapoint [2280.0 (yesterday 21:10)] was greater than the threshold (2000.0).", 2000.0),
        ("database-connection-error", "OK", "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].", 1.0),
    ):
        cw.put_metric_alarm(AlarmName=f"{SYSTEM}-{suffix}", Namespace="AWS/ApiGateway", MetricName="Latency",
                            Dimensions=api, Statistic="Maximum", Period=300, EvaluationPeriods=1,
                            Threshold=threshold, ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic])
        cw.set_alarm_state(AlarmName=f"{SYSTEM}-{suffix}", StateValue=state, StateReason=reason)

    # Production as the runbook states it, but for what nobody reverted: the
    # ACU range left at 1–4 after last week's incident, and the DB-connection
    # alarm's actions disabled during a maintenance. And the instance's CA
    # certificate expires in 20 days.
    iam, lam, rds = client("iam"), client("lambda"), client("rds")
    role = iam.create_role(RoleName=f"{SYSTEM}-api-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    empty_zip = b"PK\x05\x06" + b"\x00" * 18
    lam.create_function(FunctionName=f"{SYSTEM}-api", Runtime="provided.al2023", Role=role,
                        Handler="bootstrap", Code={"ZipFile": empty_zip})
    lam.put_function_concurrency(FunctionName=f"{SYSTEM}-api", ReservedConcurrentExecutions=10)
    rds.modify_db_cluster(DBClusterIdentifier=SYSTEM, DeletionProtection=True, ApplyImmediately=True,
                          ServerlessV2ScalingConfiguration={"MinCapacity": 1, "MaxCapacity": 4})
    cw.disable_alarm_actions(AlarmNames=[f"{SYSTEM}-database-connection-error"])
    bed_control("/_bed/backdate", {"kind": "secret", "name": "goal-mandala/production/database", "rotation_days": 90})
    valid_till = (now + datetime.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bed_control("/_bed/rds/certificates", {"certificates": {f"{SYSTEM}-instance-1": {
        "ca": "rds-ca-rsa2048-g1", "valid_till": valid_till}}})
    print(json.dumps({"scheduled_time": now.strftime("%Y-%m-%dT%H:%M:%SZ")}))


def health_revert():
    """The operator reverts the ACU range, as the digest's next step says
    (the ops-action part of the demo starts from the runbook's 0.5–2)."""
    client("rds").modify_db_cluster(DBClusterIdentifier=SYSTEM, ApplyImmediately=True,
                                    ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2})


def audit():
    """An account for the security audit: a forgotten admin with a console
    password and no MFA, and the last 24 hours of CloudTrail — the deploy
    user calling at 02:10 JST from an unknown address, a clean-up role
    deleting 11 objects within 40 minutes, the usual reads; in us-east-1 a
    root sign-in, a failed-login burst and an admin policy attached to the
    deploy user; a trail that is not logging. Prints the 08:00 scheduler
    input."""
    import datetime
    iam = client("iam")
    iam.create_user(UserName="ops-admin-legacy")
    iam.attach_user_policy(UserName="ops-admin-legacy", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_login_profile(UserName="ops-admin-legacy", Password="Demo-Only-Console-Pass-1!")
    jst = datetime.timezone(datetime.timedelta(hours=9))
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    night = now.astimezone(jst).replace(hour=2, minute=10, second=0)
    if night > now:
        night -= datetime.timedelta(days=1)
    iso = lambda t: t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def record(i, name, at, identity, ip, source="s3.amazonaws.com", **extra):
        return {"eventID": f"demo-{i:04d}", "eventName": name, "eventTime": iso(at), "eventSource": source,
                "userIdentity": identity, "sourceIPAddress": ip, "readOnly": name.startswith(("Get", "List", "Describe")),
                **extra}

    deploy = {"type": "IAMUser", "userName": "github-actions-deploy",
              "arn": f"arn:aws:iam::123456789012:user/github-actions-deploy"}
    cleanup = {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/ops-cleanup/batch",
               "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "ops-cleanup",
                                                    "arn": "arn:aws:iam::123456789012:role/ops-cleanup"}}}
    events = [record(1, "ListBuckets", night, deploy, "198.51.100.23"),
              record(2, "GetObject", night + datetime.timedelta(minutes=1), deploy, "198.51.100.23")]
    start = now - datetime.timedelta(hours=3)
    events += [record(10 + i, "DeleteObject", start + datetime.timedelta(minutes=4 * i), cleanup, "203.0.113.8",
                      resources=[{"ResourceType": "AWS::S3::Object", "ResourceName": f"{SYSTEM}-frontend/old/{i}.js"}])
               for i in range(11)]
    events += [record(100 + i, "DescribeDBClusters", now - datetime.timedelta(minutes=30 + i), deploy, "203.0.113.20",
                      source="rds.amazonaws.com") for i in range(60)]
    bed_control("/_bed/cloudtrail/events", {"events": events})
    # us-east-1's history (IAM, STS, sign-in): root signs in at 03:05 JST
    # from an unknown address without MFA, someone tries dave's console
    # password 6 times, and ops-admin-legacy makes the deploy user an admin.
    root = {"type": "Root", "principalId": "123456789012", "arn": "arn:aws:iam::123456789012:root",
            "accountId": "123456789012"}
    legacy = {"type": "IAMUser", "userName": "ops-admin-legacy",
              "arn": "arn:aws:iam::123456789012:user/ops-admin-legacy"}
    dave = {"type": "IAMUser", "userName": "dave", "arn": "arn:aws:iam::123456789012:user/dave"}
    sign_in = lambda i, at, who, ip, outcome: record(
        i, "ConsoleLogin", at, who, ip, source="signin.amazonaws.com", awsRegion="us-east-1",
        eventType="AwsConsoleSignIn", responseElements={"ConsoleLogin": outcome},
        additionalEventData={"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No", "MFAUsed": "No"},
        **({"errorMessage": "Failed authentication"} if outcome == "Failure" else {}))
    global_events = [sign_in(500, night + datetime.timedelta(minutes=55), root, "198.51.100.77", "Success")]
    global_events += [sign_in(510 + i, start + datetime.timedelta(minutes=i), dave, "192.0.2.44", "Failure")
                      for i in range(6)]
    global_events.append(record(520, "AttachUserPolicy", now - datetime.timedelta(hours=1), legacy, "198.51.100.77",
                                source="iam.amazonaws.com", awsRegion="us-east-1", errorCode="",
                                requestParameters={"userName": "github-actions-deploy",
                                                   "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}))
    bed_control("/_bed/cloudtrail/events", {"events": global_events, "region": "us-east-1"})
    # The account's trail: every Region and the global events, but someone stopped it.
    client("s3").create_bucket(Bucket=f"{SYSTEM}-cloudtrail",
                               CreateBucketConfiguration={"LocationConstraint": REGION})
    client("cloudtrail").create_trail(Name=f"{SYSTEM}-trail", S3BucketName=f"{SYSTEM}-cloudtrail",
                                      IsMultiRegionTrail=True, IncludeGlobalServiceEvents=True)
    print(json.dumps({"scheduled_time": iso(now)}))


def restore_event(confirm):
    """restore-db-snapshot of the newest manual snapshot (tonight's, from nightly-snapshot)."""
    rds = client("rds")
    snapshots = rds.describe_db_cluster_snapshots(DBClusterIdentifier=SYSTEM, SnapshotType="manual")["DBClusterSnapshots"]
    newest = max(snapshots, key=lambda s: s["SnapshotCreateTime"])["DBClusterSnapshotIdentifier"]
    event = {"action": "restore-db-snapshot", "snapshot": newest}
    if confirm == "confirm":
        event["confirm"] = True
    print(json.dumps(event))


def drill_bed(port):
    """Restores take time and answer at the demo's PostgreSQL (tests/bed/drill_bed.py)."""
    bed_control("/_bed/rds/drill", {"host": "localhost", "port": int(port), "creating": 2, "deleting": 2,
                                     "match": "-drill"})


def drill_next():
    """What EventBridge Scheduler does when a drill's continuation is due:
    prints its input and deletes it (DELETE after completion); prints
    nothing when the drill has none left (its deadline is not a continuation)."""
    scheduler = client("scheduler")
    group = f"{SYSTEM}-ops"
    names = sorted((s["Name"] for s in scheduler.list_schedules(GroupName=group, NamePrefix="restore-drill-")["Schedules"]
                    if not s["Name"].endswith("-deadline")), key=lambda n: int(n.rsplit("-", 1)[1]))
    if not names:
        return
    schedule = scheduler.get_schedule(Name=names[0], GroupName=group)
    print(f"schedule {schedule['Name']}: {schedule['ScheduleExpression']}", file=sys.stderr)
    if schedule.get("ActionAfterCompletion") == "DELETE":
        scheduler.delete_schedule(Name=schedule["Name"], GroupName=group)
    print(schedule["Target"]["Input"])


if __name__ == "__main__":
    commands = {"db-secret": lambda: db_secret(sys.argv[2]), "begin-rotation": begin_rotation,
                "current-password": current_password, "costs": costs,
                "use-deploy-key": use_deploy_key, "days-ahead": lambda: days_ahead(*sys.argv[2:4]),
                "api-errors": api_errors, "alarm-event": lambda: alarm_event(sys.argv[2]),
                "incident": lambda: incident(sys.argv[2]), "fire-reminder": fire_reminder,
                "recovery": lambda: recovery(sys.argv[2]), "ops-items": ops_items,
                "health": health, "health-revert": health_revert, "audit": audit, "recent-deploy": recent_deploy,
                "restore-event": lambda: restore_event(sys.argv[2] if len(sys.argv) > 2 else ""),
                "drill-bed": lambda: drill_bed(sys.argv[2]), "drill-next": drill_next}
    commands.get(sys.argv[1] if len(sys.argv) > 1 else "", main)()
