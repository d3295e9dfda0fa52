"""What the bed adds to moto's state for tests, through control endpoints:
faults (one source denied, throttled, missing) answered in the protocol of
the request, and dates moved into the past (moto stamps everything with the
real clock and none of these dates can be set through an API).

Control endpoints (JSON):
  POST /_bed/faults    {"faults": [{"service": "iam", "operation": "ListAccessKeys",
                                     "code": "AccessDenied", "status": 403,
                                     "message": "...", "times": 1, "region": "us-east-1"}]}
                       replaces the faults; "operation" may be left out (the
                       whole service fails), "times" limits how often one fires,
                       "region" limits one to requests signed for that Region.
  POST /_bed/backdate  {"kind": "secret", "name": ..., "created": epoch, "last_rotated": epoch,
                        "rotation_days": N, "rotation_enabled": bool}  (moto refuses a second
                        RotateSecret and CancelRotateSecret on a secret without a rotation Lambda)
                       {"kind": "cluster-snapshot", "id": ..., "created": epoch}
                       {"kind": "cluster", "id": ..., "created": epoch}
                       {"kind": "access-key", "user": ..., "key_id": ..., "created": epoch,
                        "last_used": epoch, "service": "s3"}
"""

import datetime
import json
import re
import threading

import cbor2

import wsgi
from request_log import SCOPE, operation_of

ACCOUNT = "123456789012"

# The protocols of the services the functions call, by SigV4 signing name.
QUERY_XML = {"iam", "rds", "sns", "sts", "sqs"}
REST_XML = {"s3", "cloudfront"}


def epoch(value):
    return datetime.datetime.fromtimestamp(float(value), tz=datetime.timezone.utc)


def naive_utc(value):
    # moto keeps most times as naive UTC datetimes.
    return epoch(value).replace(tzinfo=None)


class BedState:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.faults = []

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_bed/faults" and environ.get("REQUEST_METHOD") == "POST":
            payload = read_json(environ)
            with self.lock:
                self.faults = list(payload.get("faults", []))
            return reply(start_response, {"ok": True})
        if path == "/_bed/backdate" and environ.get("REQUEST_METHOD") == "POST":
            try:
                backdate(read_json(environ), environ)
            except (KeyError, ValueError, LookupError) as e:
                return reply(start_response, {"error": str(e)}, "400 Bad Request")
            return reply(start_response, {"ok": True})
        if path.startswith("/_bed/") or path.startswith("/moto-api"):
            return self.app(environ, start_response)
        fault = self.fault_for(environ)
        if fault is not None:
            return answer_fault(environ, start_response, fault)
        return self.app(environ, start_response)

    def fault_for(self, environ):
        scope = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        service = scope.group(1) if scope else None
        with self.lock:
            for fault in self.faults:
                if fault.get("service") != service:
                    continue
                wanted = fault.get("operation")
                if wanted is not None:
                    body = environ.get("bed.form_body")
                    if operation_of(environ, body) != wanted:
                        continue
                if "query" in fault and fault["query"] not in environ.get("QUERY_STRING", ""):
                    continue
                if "region" in fault and (scope_region(environ) != fault["region"]):
                    continue
                times = fault.get("times")
                if times is not None:
                    if times <= 0:
                        continue
                    fault["times"] = times - 1
                return dict(fault, service=service)
        return None


def read_json(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    return json.loads(body or b"{}")


def reply(start_response, payload, status="200 OK"):
    out = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]


def scope_region(environ):
    """The Region a request is signed for (its credential scope)."""
    found = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else None


def answer_fault(environ, start_response, fault):
    """The error as the service would send it, in the request's protocol."""
    code = fault.get("code", "AccessDenied")
    message = fault.get("message", f"User is not authorized to perform this operation ({code})")
    status = f"{int(fault.get('status', 400))} Error"
    service = fault.get("service")
    request_id = "0b9f0e0a-bed0-4a11-8a7e-fa0170000000"
    if environ.get("PATH_INFO", "").startswith("/service/"):
        out = cbor2.dumps({"__type": code, "message": message})
        headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    elif environ.get("HTTP_X_AMZ_TARGET"):
        out = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    elif service in QUERY_XML or service in {"cloudfront"}:
        out = (
            f'<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    elif service in REST_XML:
        out = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>"
            f"<Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers = [("Content-Type", "application/xml")]
    else:
        out = json.dumps({"Type": "User", "message": message}).encode()
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    headers += [("x-amzn-RequestId", request_id), ("Content-Length", str(len(out)))]
    start_response(status, headers)
    return [out]


def region_of(environ):
    scope = environ.get("HTTP_AUTHORIZATION", "")
    parts = scope.split("Credential=")
    if len(parts) > 1:
        fields = parts[1].split("/")
        if len(fields) > 2:
            return fields[2]
    return "ap-northeast-1"


def backdate(request, environ):
    region = request.get("region") or "ap-northeast-1"
    kind = request["kind"]
    if kind == "secret":
        from moto.secretsmanager.models import secretsmanager_backends

        secret = secretsmanager_backends[ACCOUNT][region].secrets[request["name"]]
        if "created" in request:
            secret.created_date = float(request["created"])
            secret.last_changed_date = float(request["created"])
        if "last_rotated" in request:
            secret.last_rotation_date = int(float(request["last_rotated"]))
            secret.rotation_requested = True
        if "rotation_days" in request:
            # moto shows the rotation settings only once a rotation was asked for.
            secret.rotation_requested = True
            secret.rotation_enabled = True
            secret.auto_rotate_after_days = int(request["rotation_days"])
        if "rotation_enabled" in request:
            secret.rotation_requested = True
            secret.rotation_enabled = bool(request["rotation_enabled"])
    elif kind == "cluster-snapshot":
        from moto.rds.models import rds_backends

        snapshot = rds_backends[ACCOUNT][region].cluster_snapshots[request["id"].lower()]
        snapshot.created = naive_utc(request["created"])
    elif kind == "cluster":
        from moto.rds.models import rds_backends

        backend = rds_backends[ACCOUNT][region]
        cluster = next(c for c in backend.clusters.values() if c.db_cluster_identifier == request["id"])
        cluster.created = naive_utc(request["created"])
        cluster.cluster_create_time = cluster.created
    elif kind == "access-key":
        from moto.iam.models import AccessKeyLastUsed, iam_backends

        user = iam_backends[ACCOUNT]["global"].users[request["user"]]
        key = next(k for k in user.access_keys if k.access_key_id == request["key_id"])
        if "created" in request:
            key.create_date = naive_utc(request["created"])
        if "last_used" in request:
            key.last_used = AccessKeyLastUsed(
                naive_utc(request["last_used"]), request.get("service", "s3"), region
            )
    else:
        raise ValueError(f"unknown kind {kind}")


class S3VersioningFix:
    """moto answers GetBucketVersioning with the root `GetBucketVersioningResponse`,
    where S3 (and its model) has `VersioningConfiguration`; the Rust SDK refuses
    the reply. Rename the root; `Status` (Enabled, Suspended, or none when
    versioning was never enabled) is left as it is."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if environ.get("REQUEST_METHOD") != "GET" or "versioning" not in query.split("&"):
            return self.app(environ, start_response)
        status, headers, body = wsgi.call(self.app, environ)
        body = body.replace(b"GetBucketVersioningResponse", b"VersioningConfiguration")
        return wsgi.answer(start_response, status, headers, body)
