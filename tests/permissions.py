"""Every AWS call a function made in the tests is allowed by its role in
template.yaml (ARCHITECTURE §5).

The emulator does not enforce IAM, so a missing permission is a function
that fails on its first production run. The bed records every request a
function under test made (`tests/bed/request_log.py`: signed with the access
key `fn-<function>`, appended to `$BED_AUDIT_DIR`). This script:

1. turns template.yaml into CloudFormation with SAM's own transform (its
   policy templates expanded) and resolves the role policies' intrinsic
   functions with the parameters below: the template's defaults, with every
   opt-in feature on (each test exercises one) and the bed's resource names;
2. maps each recorded request to the IAM action(s) it needs and, where the
   request names it, the resource ARN;
3. evaluates the function's role (its inline policies; the managed policies
   SAM attaches grant none of the calls our code makes) like IAM does:
   explicit Deny wins, then any Allow whose Action and Resource match.
   Conditions are taken as met (the tests cannot tell tags and request
   context apart) and marked in the listing.

It fails naming the function, the request, the action, the resource and
the statement that comes closest to allowing it; it also lists, as
information, the granted actions no test used.

Usage: python tests/permissions.py [--audit-dir DIR] [--template FILE]
"""

import argparse
import fnmatch
import glob
import json
import os
import re
import sys
import urllib.parse

import yaml

ACCOUNT = "123456789012"
REGION = "ap-northeast-1"
PARTITION = "aws"

# The parameters the template is judged with: its defaults, every opt-in
# feature on, and the names the bed's production uses (tests/src/production.rs,
# tests/tests/*.rs). A distribution id is made by the emulator: any.
PARAMETERS = {
    "CostSource": "cloudwatch-billing",
    "TriageAutoRemediate": "true",
    "TriageOpsItems": "true",
    "AuditAutoContain": "true",
    "AuditAllowedCidrs": "203.0.113.0/24",
    "CreateRunbookAlarms": "true",
    "FrontendBucket": "goal-mandala-production-frontend",
    "BackupBucket": "goal-mandala-production-backup",
    "CloudFrontDistributionId": "*",
    "CloudFrontCachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
}

# Requests tests make on purpose on what production never grants: AWS
# refuses them there (AccessDenied), which is the point of least privilege.
# (function, resource pattern, why)
EXPECTED_DENIALS = [
    ("ops-action", "arn:aws:s3:::no-such-bucket",
     "a BACKUP_BUCKET that is not the template's (the configuration-error test)"),
    ("ops-action", "arn:aws:lambda:*:function:no-such-fn",
     "an operator naming a function other than the API's (refused before any write)"),
]

# SigV4 signing name -> IAM service prefix, where they differ.
PREFIX = {"monitoring": "cloudwatch", "email": "ses"}

# Calls that need no permission.
UNAUTHORIZED = {("sts", "GetCallerIdentity")}


# ------------------------------------------------------------------ template

class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags, read into their long forms."""


def _intrinsic(tag):
    def construct(loader, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if tag == "Ref":
            return {"Ref": value}
        if tag == "Condition":
            return {"Condition": value}
        if tag == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {"Fn::" + tag: value}

    return construct


for _tag in ("Ref", "GetAtt", "Sub", "If", "Not", "Equals", "Join", "Select", "Split", "And", "Or",
             "Condition", "FindInMap", "Base64", "GetAZs", "ImportValue", "Cidr", "ToJsonString"):
    CfnLoader.add_constructor("!" + _tag, _intrinsic(_tag))


def transform(template):
    """SAM's transform of the template (policy templates expanded)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    from samtranslator.translator.transform import transform as sam_transform

    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            # A local CodeUri is `sam build`'s to replace; the transform wants S3.
            resource.setdefault("Properties", {})["CodeUri"] = "s3://bucket/key"

    class ManagedPolicies:
        def load(self):
            return {}

    return sam_transform(template, dict(PARAMETERS), ManagedPolicies())


class Resolver:
    """Resolves intrinsic functions with the parameters and fake physical ids."""

    def __init__(self, template):
        self.template = template
        self.params = {}
        for name, spec in template.get("Parameters", {}).items():
            value = PARAMETERS.get(name, spec.get("Default", ""))
            if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
                value = value.split(",") if value else [""]
            self.params[name] = value
        self.conditions = {}

    NO_VALUE = object()

    def ref(self, name):
        pseudo = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                  "AWS::StackName": "goal-mandala-ops", "AWS::URLSuffix": "amazonaws.com"}
        if name == "AWS::NoValue":
            return Resolver.NO_VALUE
        if name in pseudo:
            return pseudo[name]
        if name in self.params:
            return self.params[name]
        resource = self.template["Resources"].get(name)
        if resource is None:
            raise KeyError(f"Ref to unknown {name}")
        kind, props = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::SNS::Topic":
            return f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:{self.value(props.get('TopicName', name))}"
        for key in ("FunctionName", "QueueName", "LogGroupName", "Name", "RoleName"):
            if key in props:
                return self.value(props[key])
        return name

    def get_att(self, name, attribute):
        resource = self.template["Resources"].get(name, {})
        kind, props = resource.get("Type", ""), resource.get("Properties", {})
        if kind == "AWS::SNS::Topic" and attribute == "TopicName":
            return self.value(props.get("TopicName", name))
        if kind == "AWS::SQS::Queue" and attribute == "Arn":
            return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{self.value(props.get('QueueName', name))}"
        if kind == "AWS::Lambda::Function" and attribute == "Arn":
            return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{self.ref(name)}"
        if kind == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}"
        return f"{name}.{attribute}"

    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = bool(self.value(self.template["Conditions"][name]))
        return self.conditions[name]

    def sub(self, text, variables):
        def replace(match):
            key = match.group(1)
            if key.startswith("!"):
                return "${" + key[1:] + "}"
            if key in variables:
                return str(self.value(variables[key]))
            if "." in key:
                return str(self.get_att(*key.split(".", 1)))
            value = self.ref(key)
            return ",".join(value) if isinstance(value, list) else str(value)

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def value(self, node):
        if isinstance(node, list):
            out = [self.value(v) for v in node]
            return [v for v in out if v is not Resolver.NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::GetAtt":
                return self.get_att(*(arg if isinstance(arg, list) else arg.split(".", 1)))
            if key == "Fn::Sub":
                if isinstance(arg, list):
                    return self.sub(arg[0], arg[1])
                return self.sub(arg, {})
            if key == "Fn::If":
                return self.value(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Equals":
                a, b = (self.value(v) for v in arg)
                return a == b
            if key == "Fn::Not":
                return not self.value(arg[0])
            if key == "Fn::And":
                return all(self.value(v) for v in arg)
            if key == "Fn::Or":
                return any(self.value(v) for v in arg)
            if key == "Fn::Join":
                parts = self.value(arg[1])
                return arg[0].join(str(p) for p in (parts if isinstance(parts, list) else [parts]))
            if key == "Fn::Split":
                return str(self.value(arg[1])).split(arg[0])
            if key == "Fn::Select":
                return self.value(arg[1])[int(self.value(arg[0]))]
        out = {}
        for k, v in node.items():
            v = self.value(v)
            if v is not Resolver.NO_VALUE:
                out[k] = v
        return out


def roles_by_function(source, transformed):
    """{binary: [statement, ...]} from each function's role, resolved."""
    resolver = Resolver(transformed)
    roles = {}
    for logical, resource in source["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        function = transformed["Resources"][logical]
        role = function["Properties"]["Role"]
        role_name = role["Fn::GetAtt"][0] if isinstance(role, dict) else None
        properties = transformed["Resources"][role_name]["Properties"]
        statements = []
        for policy in properties.get("Policies", []):
            document = resolver.value(policy["PolicyDocument"])
            listed = document.get("Statement", [])
            for index, statement in enumerate(listed if isinstance(listed, list) else [listed]):
                statement = dict(statement)
                statement["_where"] = f"{logical} policy {policy['PolicyName']}, statement " + \
                    str(statement.get("Sid", index))
                statements.append(statement)
        roles[binary] = statements
    return roles


# ------------------------------------------------------------------ requests

def arn(service, resource, region=REGION):
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT}:{resource}"


def secret_arn(secret_id, region):
    if secret_id.startswith("arn:"):
        return secret_id
    # Secrets Manager appends six random characters to a secret's name.
    return arn("secretsmanager", f"secret:{secret_id}-AbCdEf", region)


def s3_parts(path):
    bucket, _, key = path.lstrip("/").partition("/")
    return bucket, urllib.parse.unquote(key)


def needs(request):
    """[(action, resource or None)] the request needs; None when unknowable."""
    service, op = request["service"], request.get("operation")
    region = request.get("region") or REGION
    params = request.get("params") or {}
    query = request.get("query") or {}
    path = urllib.parse.unquote(request.get("path", ""))
    prefix = PREFIX.get(service, service)
    if op is None:
        return [(f"{prefix}:{request['method']} {path}", None)]
    if (service, op) in UNAUTHORIZED:
        return []
    action = f"{prefix}:{op}"

    if service == "s3":
        bucket, key = s3_parts(path)
        bucket_arn = f"arn:{PARTITION}:s3:::{bucket}"
        object_arn = f"{bucket_arn}/{key}"
        if op in ("ListObjectsV2", "ListObjects", "HeadBucket"):
            return [("s3:ListBucket", bucket_arn)]
        if op == "ListObjectVersions":
            return [("s3:ListBucketVersions", bucket_arn)]
        if op in ("GetBucketVersioning", "PutBucketVersioning"):
            return [(action, bucket_arn)]
        if op in ("GetObject", "HeadObject"):
            return [("s3:GetObjectVersion" if "versionId" in query else "s3:GetObject", object_arn)]
        if op == "DeleteObjects":
            return [("s3:DeleteObject", f"{bucket_arn}/*")]
        if op == "CopyObject":
            source = urllib.parse.unquote(request.get("copy_source") or "")
            source_path, _, source_query = source.partition("?")
            source_arn = f"arn:{PARTITION}:s3:::{source_path.lstrip('/')}"
            versioned = "versionId=" in source_query
            read = "s3:GetObjectVersion" if versioned else "s3:GetObject"
            # The default tagging directive copies the source's tags.
            tags = "s3:GetObjectVersionTagging" if versioned else "s3:GetObjectTagging"
            return [(read, source_arn), (tags, source_arn),
                    ("s3:PutObject", object_arn), ("s3:PutObjectTagging", object_arn)]
        return [(action, object_arn if key else bucket_arn)]

    if service == "lambda":
        match = re.match(r"^/\d{4}-\d{2}-\d{2}/functions/([^/]+)", path)
        if not match:
            return [(action, None)]
        name = match.group(1)
        if not name.startswith("arn:"):
            name = arn("lambda", f"function:{name}", region)
        qualifier = query.get("Qualifier")
        return [(action, f"{name}:{qualifier}" if qualifier else name)]

    if service == "cloudfront":
        match = re.match(r"^/2020-05-31/distribution/([^/]+)", path)
        if match:
            return [(action, f"arn:{PARTITION}:cloudfront::{ACCOUNT}:distribution/{match.group(1)}")]
        match = re.match(r"^/2020-05-31/cache-policy/([^/]+)", path)
        if match:
            return [(action, f"arn:{PARTITION}:cloudfront::{ACCOUNT}:cache-policy/{match.group(1)}")]
        return [(action, None)]

    if service == "rds":
        created = None
        if op in ("CreateDBClusterSnapshot",):
            created = arn("rds", f"cluster-snapshot:{params.get('DBClusterSnapshotIdentifier')}", region)
        elif op == "RestoreDBClusterFromSnapshot":
            created = arn("rds", f"cluster:{params.get('DBClusterIdentifier')}", region)
        elif op == "CreateDBInstance":
            created = arn("rds", f"db:{params.get('DBInstanceIdentifier')}", region)
        # Tags given on create are an AddTagsToResource on what is created.
        tagging = [("rds:AddTagsToResource", created)] if created and params.get("Tags") else []
        found = []
        if "ResourceName" in params:
            found.append(params["ResourceName"])
        if "DBClusterIdentifier" in params:
            found.append(arn("rds", f"cluster:{params['DBClusterIdentifier']}", region))
        if "DBClusterSnapshotIdentifier" in params:
            found.append(arn("rds", f"cluster-snapshot:{params['DBClusterSnapshotIdentifier']}", region))
        if "SnapshotIdentifier" in params:
            snapshot = params["SnapshotIdentifier"]
            found.append(snapshot if snapshot.startswith("arn:") else arn("rds", f"cluster-snapshot:{snapshot}", region))
        if "DBInstanceIdentifier" in params:
            found.append(arn("rds", f"db:{params['DBInstanceIdentifier']}", region))
        return ([(action, r) for r in found] or [(action, None)]) + tagging

    if service == "secretsmanager":
        secret = params.get("SecretId") or (params.get("Name") if op == "CreateSecret" else None)
        resource = secret_arn(secret, region) if secret else None
        tagging = [("secretsmanager:TagResource", resource)] if op == "CreateSecret" and params.get("Tags") else []
        return [(action, resource)] + tagging

    if service == "iam":
        if "UserName" in params:
            return [(action, f"arn:{PARTITION}:iam::{ACCOUNT}:user/{params['UserName']}")]
        if "GroupName" in params:
            return [(action, f"arn:{PARTITION}:iam::{ACCOUNT}:group/{params['GroupName']}")]
        if "PolicyArn" in params:
            return [(action, params["PolicyArn"])]
        return [(action, None)]

    if service == "sns":
        return [(action, params.get("TopicArn"))]

    if service == "logs":
        group = params.get("logGroupName") or params.get("logGroupIdentifier")
        return [(action, arn("logs", f"log-group:{group}:*", region) if group else None)]

    if service == "monitoring":
        names = params.get("AlarmNames") or [v for k, v in sorted(params.items()) if k.startswith("AlarmNames.member.")]
        if op == "DescribeAlarms" and names:
            return [(action, arn("cloudwatch", f"alarm:{n}", region)) for n in names]
        if op == "DescribeAlarmHistory" and params.get("AlarmName"):
            return [(action, arn("cloudwatch", f"alarm:{params['AlarmName']}", region))]
        return [(action, None)]

    if service == "cloudtrail":
        if op == "GetTrailStatus":
            name = params.get("Name", "")
            return [(action, name if name.startswith("arn:") else arn("cloudtrail", f"trail/{name}", region))]
        return [(action, None)]

    if service == "scheduler":
        name = path.rsplit("/", 1)[-1] if re.match(r"^/schedules/[^/]+$", path) else None
        group = params.get("GroupName") or query.get("groupName") or query.get("ScheduleGroup") or "default"
        if op == "ListSchedules":
            return [(action, arn("scheduler", f"schedule/{group}/*", region))]
        resource = arn("scheduler", f"schedule/{group}/{name}", region) if name else None
        passed = [("iam:PassRole", params["Target.RoleArn"])] if params.get("Target.RoleArn") else []
        return [(action, resource)] + passed

    if service == "ssm":
        if op in ("UpdateOpsItem", "GetOpsItem") and params.get("OpsItemId"):
            return [(action, arn("ssm", f"opsitem/{params['OpsItemId']}", region))]
        if op == "CreateOpsItem":
            return [(action, arn("ssm", "opsitem/*", region))]
        return [(action, None)]

    if service == "sqs":
        url = params.get("QueueUrl")
        return [(action, arn("sqs", url.rstrip("/").rsplit("/", 1)[-1], region) if url else None)]

    return [(action, None)]


# ---------------------------------------------------------------- evaluation

def as_list(value):
    return value if isinstance(value, list) else [value]


def matches(pattern, value, case_insensitive=False):
    """IAM's wildcards: * any run, ? one character."""
    if case_insensitive:
        pattern, value = pattern.lower(), value.lower()
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.S) is not None


def statement_action(statement, action):
    if "Action" in statement:
        return any(matches(p, action, True) for p in as_list(statement["Action"]))
    if "NotAction" in statement:
        return not any(matches(p, action, True) for p in as_list(statement["NotAction"]))
    return False


def statement_resource(statement, resource):
    if resource is None:
        return True  # the request names nothing the bed can turn into an ARN
    if "Resource" in statement:
        return any(matches(p, resource) for p in as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(matches(p, resource) for p in as_list(statement["NotResource"]))
    return False


def decide(statements, action, resource):
    """("allowed" | "denied", the deciding or closest statement, conditional?)."""
    for s in statements:
        if s.get("Effect") == "Deny" and statement_action(s, action) and statement_resource(s, resource) \
                and not s.get("Condition"):
            return "denied", s, False
    for s in statements:
        if s.get("Effect") == "Allow" and statement_action(s, action) and statement_resource(s, resource):
            return "allowed", s, bool(s.get("Condition"))
    # The closest: same action elsewhere, else same service.
    service = action.split(":", 1)[0]
    for s in statements:
        if s.get("Effect") == "Allow" and statement_action(s, action):
            return "denied", s, False
    for s in statements:
        acts = as_list(s.get("Action", []))
        if s.get("Effect") == "Allow" and any(a.lower().startswith(service + ":") for a in acts):
            return "denied", s, False
    return "denied", None, False


def granted_actions(statements):
    out = set()
    for s in statements:
        if s.get("Effect") != "Allow":
            continue
        for a in as_list(s.get("Action", [])):
            if "*" not in a and not a.startswith("sqs:SendMessage"):
                out.add(a)
    return out


def load_requests(directory):
    requests = []
    for path in sorted(glob.glob(os.path.join(directory, "*.jsonl"))):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                line = line.strip()
                if line:
                    requests.append(json.loads(line))
    return requests


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--audit-dir", default=os.environ.get("BED_AUDIT_DIR", os.path.join(root, "target/bed-audit")))
    parser.add_argument("--template", default=os.path.join(root, "template.yaml"))
    args = parser.parse_args()

    with open(args.template, encoding="utf-8") as f:
        source = yaml.load(f, Loader=CfnLoader)
    with open(args.template, encoding="utf-8") as f:
        roles = roles_by_function(source, transform(yaml.load(f, Loader=CfnLoader)))
    requests = load_requests(args.audit_dir)
    if not requests:
        print(f"permissions: no recorded requests in {args.audit_dir}: run the integration tests first")
        return 1

    denied, used, checked, conditional = [], {}, {}, set()
    seen = set()
    for request in requests:
        function = request["function"]
        if function not in roles:
            denied.append(f"{function}: no function of that binary in the template "
                          f"({request['service']}:{request.get('operation')})")
            continue
        for action, resource in needs(request):
            key = (function, action, resource)
            if key in seen:
                continue
            seen.add(key)
            checked[function] = checked.get(function, 0) + 1
            verdict, statement, is_conditional = decide(roles[function], action, resource)
            used.setdefault(function, set()).add(action.lower())
            where = statement["_where"] if statement else "none of its statements grants this service"
            expected = next((why for f, pattern, why in EXPECTED_DENIALS
                             if f == function and resource and matches(pattern, resource)), None)
            if verdict == "denied" and expected:
                conditional.add(f"{function}: {action} on {resource} — denied as the test expects: {expected}")
            elif verdict == "denied":
                denied.append(
                    f"{function}: {request['method']} {request['path']} ({request['service']}:"
                    f"{request.get('operation')}) needs {action} on {resource or '(any resource)'}; "
                    f"closest statement: {where}")
            elif is_conditional:
                conditional.add(f"{function}: {action} on {resource or '*'} — allowed if its condition holds ({where})")

    print(f"permissions: {len(requests)} recorded requests, {sum(checked.values())} distinct (function, action, resource) checked")
    for function in sorted(roles):
        print(f"  {function}: {checked.get(function, 0)} checked")
    for line in sorted(conditional):
        print(f"  note: {line}")
    for function in sorted(roles):
        unused = sorted(a for a in granted_actions(roles[function]) if a.lower() not in used.get(function, set()))
        if unused:
            print(f"  granted, no test used ({function}): {', '.join(unused)}")
    untested = sorted(f for f in roles if f not in checked)
    for function in untested:
        denied.append(f"{function}: no request recorded (its tests must build it with Bed::function_sdk_config)")
    if denied:
        print(f"permissions: {len(denied)} denied:")
        for line in denied:
            print(f"  DENIED {line}")
        return 1
    print("permissions: every recorded call is allowed by its function's role")
    return 0


if __name__ == "__main__":
    sys.exit(main())
