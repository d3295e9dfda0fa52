"""CloudTrail's LookupEvents for the test bed, served from seeded records
(moto answers it with HTTP 500). What it honours, as AWS documents it:
StartTime and EndTime both inclusive (start after end is
InvalidTimeRangeException), at most one lookup attribute of the known keys
(else InvalidLookupAttributesException), MaxResults 1-50 with 50 the default
(else InvalidMaxResultsException), a NextToken valid only with the same
parameters (else InvalidNextTokenException), management events only (no
EventCategory), events newest first, `CloudTrailEvent` the record as a JSON
string. Every request is recorded by request_log.py like any other.

Each Region has its own event history, as in AWS: a request is answered
from the history of the Region it is signed for (the credential scope), so
the global services' events seeded in us-east-1 are seen only there.

Control endpoint (JSON):
  POST /_bed/cloudtrail/events  {"events": [<CloudTrail record>, ...], "region": "us-east-1"}
      replaces that Region's history (default ap-northeast-1); each a
      record as CloudTrail writes it (eventID, eventName, eventTime,
      eventSource, userIdentity, sourceIPAddress, requestParameters,
      errorCode, readOnly); an optional "resources": [{"ResourceType",
      "ResourceName"}] is what LookupEvents lists for it.
  POST /_bed/cloudtrail/delivery-errors  {"errors": {"<trail name>": "AccessDenied"}}
      GetTrailStatus of that trail (by name or ARN) answers moto's status
      with `LatestDeliveryError` set, as when CloudTrail cannot write to
      its bucket (moto never sets it).
"""

import base64
import datetime
import hashlib
import io
import json
import re
import threading

HOME_REGION = "ap-northeast-1"
# Credential=AKID/20261201/us-east-1/cloudtrail/aws4_request
SIGNED_REGION = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")

# The SDKs send `CloudTrail_20131101.LookupEvents`; the model's full name
# is `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`.
TARGETS = {
    "CloudTrail_20131101.LookupEvents",
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
}
ATTRIBUTES = {
    "EventId": lambda e: e["EventId"],
    "EventName": lambda e: e["EventName"],
    "ReadOnly": lambda e: e["ReadOnly"],
    "Username": lambda e: e.get("Username"),
    "ResourceType": lambda e: [r["ResourceType"] for r in e["Resources"]],
    "ResourceName": lambda e: [r["ResourceName"] for r in e["Resources"]],
    "EventSource": lambda e: e["EventSource"],
    "AccessKeyId": lambda e: e.get("AccessKeyId"),
}


class CloudTrailError(Exception):
    def __init__(self, code, message):
        self.code, self.message = code, message


def epoch(iso):
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def listed(record):
    """The LookupEvents entry of a seeded record."""
    record = dict(record)
    resources = record.pop("resources", [])
    identity = record.get("userIdentity") or {}
    if identity.get("type") == "IAMUser":
        username = identity.get("userName")
    else:
        username = (identity.get("arn") or "").rsplit("/", 1)[-1] or None
    entry = {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": str(record.get("readOnly", False)).lower(),
        "EventTime": epoch(record["eventTime"]),
        "EventSource": record.get("eventSource", ""),
        "Resources": resources,
        "CloudTrailEvent": json.dumps(record),
    }
    if username:
        entry["Username"] = username
    if identity.get("accessKeyId"):
        entry["AccessKeyId"] = identity["accessKeyId"]
    return entry


class CloudTrailBed:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.events = {}  # Region -> its history, newest first
        self.delivery_errors = {}  # trail name -> LatestDeliveryError

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_bed/cloudtrail/events" and environ.get("REQUEST_METHOD") == "POST":
            body = json.loads(read_body(environ) or b"{}")
            events = sorted(
                (listed(r) for r in body.get("events", [])),
                key=lambda e: (e["EventTime"], e["EventId"]),
                reverse=True,
            )
            with self.lock:
                self.events[body.get("region") or HOME_REGION] = events
            return reply(start_response, {"ok": True})
        if path == "/_bed/cloudtrail/delivery-errors" and environ.get("REQUEST_METHOD") == "POST":
            with self.lock:
                self.delivery_errors = dict(json.loads(read_body(environ) or b"{}").get("errors", {}))
            return reply(start_response, {"ok": True})
        if (environ.get("HTTP_X_AMZ_TARGET") or "").endswith(".GetTrailStatus") and self.delivery_errors:
            return self.trail_status(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("HTTP_X_AMZ_TARGET") not in TARGETS:
            return self.app(environ, start_response)
        try:
            request = json.loads(read_body(environ) or b"{}")
            signed = SIGNED_REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
            region = signed.group(1) if signed else HOME_REGION
            with self.lock:
                events = list(self.events.get(region, []))
            return reply(start_response, lookup(events, request))
        except CloudTrailError as e:
            return error(start_response, e.code, e.message)
        except ValueError:
            return error(start_response, "InvalidParameterException", "the request is not JSON")


    def trail_status(self, environ, start_response):
        """moto's GetTrailStatus, with the seeded LatestDeliveryError added."""
        body = read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        name = (json.loads(body or b"{}").get("Name") or "").rsplit("/", 1)[-1]
        with self.lock:
            failure = self.delivery_errors.get(name)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        out = b"".join(self.app(environ, capture))
        if failure is None or not captured.get("status", "").startswith("200"):
            start_response(captured["status"], captured["headers"])
            return [out]
        status = json.loads(out or b"{}")
        status["LatestDeliveryError"] = failure
        return reply(start_response, status)


def lookup(events, request):
    start, end = request.get("StartTime"), request.get("EndTime")
    if start is not None and end is not None and float(start) > float(end):
        raise CloudTrailError("InvalidTimeRangeException", "StartTime must be before EndTime")
    attributes = request.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise CloudTrailError("InvalidLookupAttributesException", "only one lookup attribute is allowed")
    for attribute in attributes:
        if attribute.get("AttributeKey") not in ATTRIBUTES:
            raise CloudTrailError("InvalidLookupAttributesException", f"unknown AttributeKey {attribute.get('AttributeKey')}")
    max_results = request.get("MaxResults", 50)
    if not isinstance(max_results, int) or not 1 <= max_results <= 50:
        raise CloudTrailError("InvalidMaxResultsException", "MaxResults must be 1-50")
    if request.get("EventCategory") == "insight":
        return {"Events": []}
    params = {k: v for k, v in request.items() if k not in ("NextToken", "MaxResults")}
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    offset = 0
    if request.get("NextToken"):
        try:
            token = json.loads(base64.b64decode(request["NextToken"]))
            offset = int(token["offset"])
        except (ValueError, KeyError, TypeError):
            raise CloudTrailError("InvalidNextTokenException", "the NextToken is not valid")
        if token.get("params") != digest:
            raise CloudTrailError("InvalidNextTokenException", "the NextToken was issued for other parameters")

    def matches(e):
        if start is not None and e["EventTime"] < float(start):
            return False
        if end is not None and e["EventTime"] > float(end):
            return False
        for attribute in attributes:
            value = ATTRIBUTES[attribute["AttributeKey"]](e)
            wanted = attribute.get("AttributeValue")
            if (wanted not in value) if isinstance(value, list) else (value != wanted):
                return False
        return True

    found = [e for e in events if matches(e)]
    page = found[offset:offset + max_results]
    out = {"Events": page}
    if offset + max_results < len(found):
        out["NextToken"] = base64.b64encode(
            json.dumps({"offset": offset + max_results, "params": digest}).encode()
        ).decode()
    return out


def read_body(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def reply(start_response, payload):
    out = json.dumps(payload).encode()
    start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(out)))])
    return [out]


def error(start_response, code, message):
    out = json.dumps({"__type": code, "Message": message}).encode()
    start_response(
        "400 Bad Request",
        [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code), ("Content-Length", str(len(out)))],
    )
    return [out]
