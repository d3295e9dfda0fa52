"""Every request the bed serves, recorded: which service, which operation,
read or write. Tests use it to prove what a run did *not* do (no write call,
no publish for a rejected payload) and how many requests a run made.

The service comes from the SigV4 credential scope (`Credential=…/<region>/<service>/aws4_request`);
the operation from `X-Amz-Target` (JSON protocols), the RPCv2-CBOR path
(CloudWatch), `Action=` (query protocol: SNS, IAM, RDS, STS), or the REST
method and path of the S3, Lambda and CloudFront calls the functions make
(others keep only method and path).

Control endpoints (JSON):
  GET  /_bed/requests        {"requests": [{"service", "operation", "method", "path"}, ...]}
  POST /_bed/requests/reset  forget them

The audit trail for the permission test (tests/permissions.py): a request
signed with an access key `fn-<function>` (a function under test, see
`Bed::function_sdk_config`) is also appended, never forgotten, to
`$BED_AUDIT_DIR/bed-<pid>.jsonl` with the function, the region and the
parameters that name a resource (never a secret value).
"""

import io
import json
import os
import re
import threading
import urllib.parse

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
FUNCTION_KEY = "fn-"
# Request parameters that name what a call acts on (query protocol members
# keep their `.member.N` suffixes). Nothing else is written down.
RESOURCE_PARAMS = re.compile(
    r"^(TopicArn|SecretId|Name|DBClusterIdentifier|DBClusterSnapshotIdentifier|DBInstanceIdentifier|"
    r"SourceDBClusterSnapshotIdentifier|SnapshotIdentifier|ResourceName|UserName|GroupName|PolicyArn|"
    r"RoleName|VersionId|logGroupName|logGroupIdentifier|AlarmNames(\.member\.\d+)?|AlarmName|"
    r"AlarmNamePrefix|FunctionName|QueueUrl|DistributionId|Id|LookupAttributes|OpsItemId)$"
)
CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([A-Za-z]+)$")


LAMBDA_REST = [
    ("GET", re.compile(r"^/2016-08-19/account-settings/?$"), "GetAccountSettings"),
    ("PUT", re.compile(r"^/2017-10-31/functions/[^/]+/concurrency$"), "PutFunctionConcurrency"),
    ("DELETE", re.compile(r"^/2017-10-31/functions/[^/]+/concurrency$"), "DeleteFunctionConcurrency"),
    ("GET", re.compile(r"^/2019-09-30/functions/[^/]+/concurrency$"), "GetFunctionConcurrency"),
    ("PUT", re.compile(r"^/2019-09-30/functions/[^/]+/provisioned-concurrency$"), "PutProvisionedConcurrencyConfig"),
    ("DELETE", re.compile(r"^/2019-09-30/functions/[^/]+/provisioned-concurrency$"), "DeleteProvisionedConcurrencyConfig"),
    ("GET", re.compile(r"^/2015-03-31/functions/[^/]+/?$"), "GetFunction"),
    ("POST", re.compile(r"^/2015-03-31/functions/?$"), "CreateFunction"),
    ("POST", re.compile(r"^/2015-03-31/functions/[^/]+/versions$"), "PublishVersion"),
    ("POST", re.compile(r"^/2015-03-31/functions/[^/]+/aliases$"), "CreateAlias"),
]
XRAY_REST = [
    ("POST", re.compile(r"^/TraceSummaries$"), "GetTraceSummaries"),
    ("POST", re.compile(r"^/Traces$"), "BatchGetTraces"),
    ("POST", re.compile(r"^/TraceGraph$"), "GetTraceGraph"),
    ("POST", re.compile(r"^/ServiceGraph$"), "GetServiceGraph"),
    ("POST", re.compile(r"^/TraceSegments$"), "PutTraceSegments"),
]
SCHEDULER_REST = [
    ("POST", re.compile(r"^/schedules/[^/]+$"), "CreateSchedule"),
    ("GET", re.compile(r"^/schedules/[^/]+$"), "GetSchedule"),
    ("PUT", re.compile(r"^/schedules/[^/]+$"), "UpdateSchedule"),
    ("DELETE", re.compile(r"^/schedules/[^/]+$"), "DeleteSchedule"),
    ("GET", re.compile(r"^/schedules/?$"), "ListSchedules"),
    ("POST", re.compile(r"^/schedule-groups/[^/]+$"), "CreateScheduleGroup"),
    ("GET", re.compile(r"^/schedule-groups/[^/]+$"), "GetScheduleGroup"),
]
CLOUDFRONT_REST = [
    ("POST", re.compile(r"^/2020-05-31/distribution/[^/]+/invalidation$"), "CreateInvalidation"),
    ("GET", re.compile(r"^/2020-05-31/distribution/[^/]+/invalidation$"), "ListInvalidations"),
    ("GET", re.compile(r"^/2020-05-31/distribution/[^/]+/invalidation/[^/]+$"), "GetInvalidation"),
    ("GET", re.compile(r"^/2020-05-31/distribution/[^/]+$"), "GetDistribution"),
    ("POST", re.compile(r"^/2020-05-31/distribution$"), "CreateDistribution"),
    ("GET", re.compile(r"^/2020-05-31/cache-policy/[^/]+$"), "GetCachePolicy"),
    ("PUT", re.compile(r"^/2020-05-31/cache-policy/[^/]+$"), "UpdateCachePolicy"),
]


def rest_operation(environ, service):
    """The operation of a REST call (S3, Lambda, CloudFront), from method and path."""
    method = environ.get("REQUEST_METHOD")
    path = urllib.parse.unquote(environ.get("PATH_INFO", ""))
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if service == "s3":
        has_key = "/" in path.strip("/")
        if not has_key:
            for name, get, put in (("versioning", "GetBucketVersioning", "PutBucketVersioning"),
                                   ("versions", "ListObjectVersions", None)):
                if name in query:
                    return get if method == "GET" else put
            if method == "POST" and "delete" in query:
                return "DeleteObjects"
            if method == "GET":
                return "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
            return {"HEAD": "HeadBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(method)
        if method == "PUT":
            return "CopyObject" if environ.get("HTTP_X_AMZ_COPY_SOURCE") else "PutObject"
        return {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method)
    table = {"lambda": LAMBDA_REST, "cloudfront": CLOUDFRONT_REST, "xray": XRAY_REST,
             "scheduler": SCHEDULER_REST}.get(service, [])
    if service == "lambda" and path.endswith("/provisioned-concurrency") and method == "GET":
        return "ListProvisionedConcurrencyConfigs" if "List" in query else "GetProvisionedConcurrencyConfig"
    for verb, pattern, name in table:
        if verb == method and pattern.match(path):
            return name
    return None


def operation_of(environ, body):
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    match = CBOR_PATH.match(environ.get("PATH_INFO", ""))
    if match:
        return match.group(1)
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    if body is not None:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    return None


def resource_params(environ, body):
    """The resource-naming parameters of a request body (form, JSON or CBOR)."""
    if not body:
        return {}
    content_type = environ.get("CONTENT_TYPE", "")
    found = {}
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            found = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
        elif "json" in content_type:
            found = json.loads(body)
        elif "cbor" in content_type:
            import cbor2

            found = cbor2.loads(body)
    except Exception:  # an unreadable body names nothing
        return {}
    if not isinstance(found, dict):
        return {}
    # Tags given on create need the service's tagging permission too.
    keep = {"Tags": "given"} if any(str(k).startswith("Tags") for k in found) else {}
    # A Scheduler target's role is passed to Scheduler (iam:PassRole).
    target = found.get("Target")
    if isinstance(target, dict) and isinstance(target.get("RoleArn"), str):
        keep["Target.RoleArn"] = target["RoleArn"][:300]
    for key, value in found.items():
        if not RESOURCE_PARAMS.match(str(key)):
            continue
        if isinstance(value, str):
            keep[key] = value[:300]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            keep[key] = [v[:300] for v in value[:20]]
    return keep


class AuditTrail:
    """Appends the requests of functions under test to $BED_AUDIT_DIR."""

    def __init__(self):
        self.lock = threading.Lock()
        directory = os.environ.get("BED_AUDIT_DIR")
        self.path = None
        if directory:
            os.makedirs(directory, exist_ok=True)
            self.path = os.path.join(directory, f"bed-{os.getpid()}.jsonl")

    def write(self, entry):
        if self.path is None:
            return
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(line)


class RequestLog:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.requests = []
        self.audit = AuditTrail()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_bed/requests"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if length:
                environ["wsgi.input"].read(length)
            return self.control(path, environ.get("REQUEST_METHOD"), start_response)
        if path.startswith("/_bed/") or path.startswith("/moto-api"):
            return self.app(environ, start_response)
        body = None
        content_type = environ.get("CONTENT_TYPE", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["bed.form_body"] = body
        scope = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = scope.group(1) if scope else None
        entry = {
            "service": service,
            "operation": operation_of(environ, body) or rest_operation(environ, service),
            "method": environ.get("REQUEST_METHOD"),
            "path": path,
        }
        with self.lock:
            self.requests.append(entry)
        credential = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if credential and credential.group(1).startswith(FUNCTION_KEY):
            if body is None:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length) if length else b""
                environ["wsgi.input"] = io.BytesIO(body)
            self.audit.write({
                **entry,
                "function": credential.group(1)[len(FUNCTION_KEY):],
                "region": credential.group(2),
                "query": {k: v[0] for k, v in urllib.parse.parse_qs(
                    environ.get("QUERY_STRING", ""), keep_blank_values=True).items()},
                "copy_source": environ.get("HTTP_X_AMZ_COPY_SOURCE"),
                "params": resource_params(environ, body),
            })
        return self.app(environ, start_response)

    def control(self, path, method, start_response):
        with self.lock:
            if method == "POST" and path == "/_bed/requests/reset":
                self.requests = []
                payload = {"ok": True}
            else:
                payload = {"requests": list(self.requests)}
        out = json.dumps(payload).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
        return [out]
