"""The local test bed's AWS endpoint: moto in server mode, plus a bridge for
CloudWatch's Smithy RPC v2 CBOR protocol, a Cost Explorer served from
seeded line items (cost_explorer.py), and a fix for the shape of moto's
X-Ray trace summaries and S3's GetBucketVersioning reply, percentile
statistics in GetMetricData (percentiles.py), CloudTrail's LookupEvents
from seeded records (cloudtrail.py), Lambda's account limits and
provisioned concurrency, RDS's refusals and CloudFront cache policies
(ops_bed.py), RDS's pending maintenance and certificate details
(rds_schedule.py), alarm history, Scheduler's validation and OpsCenter's
OpsItems (incident_bed.py), faults and past dates on
request (bed_state.py); every request is recorded (request_log.py).

aws-sdk-cloudwatch (>= 1.100) speaks RPCv2-CBOR
(POST /service/GraniteServiceVersion20100801/operation/<Op>), which moto does
not answer. This WSGI middleware transcodes those requests to the awsJson1_0
protocol moto does answer (X-Amz-Target: GraniteServiceVersion20100801.<Op>)
and the replies back to CBOR, using botocore's CloudWatch model to know which
members are timestamps, doubles and blobs. Every other request goes to moto
unchanged, so one endpoint serves every service.

Usage: python moto_bed.py [--host 127.0.0.1] [--port 0]
Prints "ready <port>" on stdout once it accepts connections.
"""

import argparse
import base64
import datetime
import gzip
import io
import json
import os
import re
import sys

import botocore.session
import cbor2
from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

import percentiles
import wsgi
from bed_state import BedState, S3VersioningFix
from cloudtrail import CloudTrailBed
from cost_explorer import CostExplorerBed
from drill_bed import DrillBed
from incident_bed import IncidentBed
from ops_bed import OpsBed
from rds_schedule import RdsSchedule
from request_log import RequestLog

TARGET_PREFIX = "GraniteServiceVersion20100801"
CBOR_PATH = re.compile(r"^/service/" + TARGET_PREFIX + r"/operation/([A-Za-z]+)$")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def to_json_value(value):
    """CBOR-decoded request values to what the JSON protocol carries."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return (value - EPOCH).total_seconds()
    if isinstance(value, cbor2.CBORTag) and value.tag == 1:
        return float(value.value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    return value


def to_cbor_value(value, shape):
    """A JSON-protocol reply value to the CBOR value the model asks for."""
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {
            name: to_cbor_value(v, shape.members.get(name))
            for name, v in value.items()
            if v is not None
        }
    if kind == "list":
        return [to_cbor_value(v, shape.member) for v in value]
    if kind == "map":
        return {k: to_cbor_value(v, shape.value) for k, v in value.items()}
    if kind == "timestamp":
        if isinstance(value, str):
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            value = (parsed - EPOCH).total_seconds()
        return cbor2.CBORTag(1, float(value))
    if kind in ("double", "float"):
        return float(value)
    if kind in ("integer", "long"):
        return int(value)
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    return value


class CloudWatchCborBridge:
    def __init__(self, app):
        self.app = app
        self.model = botocore.session.get_session().get_service_model("cloudwatch")
        # Query-protocol error codes (what moto answers) → modeled shape names
        # (what an RPCv2 `__type` carries), e.g. ResourceNotFound → DashboardNotFoundError.
        self.error_names = {}
        for shape in self.model.error_shapes:
            code = shape.metadata.get("error", {}).get("code", shape.name)
            self.error_names.setdefault(code, shape.name)
            self.error_names[shape.name] = shape.name

    def __call__(self, environ, start_response):
        match = CBOR_PATH.match(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD") != "POST" or not match:
            return self.app(environ, start_response)
        operation = match.group(1)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if environ.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
            body = gzip.decompress(body)
        request = to_json_value(cbor2.loads(body)) if body else {}
        computed = []
        if operation == "GetMetricData":
            # moto answers percentile statistics with HTTP 500: the bed
            # computes those queries itself and moto answers the rest.
            queries = request.get("MetricDataQueries") or []
            region = percentile_region(environ)
            computed = [
                percentiles.compute(q, request["StartTime"], request["EndTime"],
                                    request.get("ScanBy", "TimestampDescending"), region)
                for q in queries if percentiles.is_percentile(q)
            ]
            request["MetricDataQueries"] = [q for q in queries if not percentiles.is_percentile(q)]
        json_body = json.dumps(request).encode()

        inner = dict(environ)
        inner.pop("HTTP_CONTENT_ENCODING", None)
        inner.pop("HTTP_SMITHY_PROTOCOL", None)
        inner["PATH_INFO"] = "/"
        inner["QUERY_STRING"] = ""
        inner["CONTENT_TYPE"] = "application/x-amz-json-1.0"
        inner["HTTP_X_AMZ_TARGET"] = f"{TARGET_PREFIX}.{operation}"
        inner["CONTENT_LENGTH"] = str(len(json_body))
        inner["wsgi.input"] = io.BytesIO(json_body)

        if computed and not request["MetricDataQueries"]:
            status, moto_headers = "200 OK", []
            reply = json.dumps({"MetricDataResults": [], "Messages": []}).encode()
        else:
            status, moto_headers, reply = wsgi.call(self.app, inner)

        code = int(status.split(" ", 1)[0])
        headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
        for name, value in moto_headers:
            if name.lower() in ("x-amzn-requestid", "x-amzn-query-error"):
                headers.append((name, value))
        try:
            decoded = json.loads(reply) if reply.strip() else {}
        except ValueError:
            decoded = {"__type": "InternalFailure", "message": reply.decode("utf-8", "replace")}
        if code >= 400:
            query_error = next(
                (v for n, v in moto_headers if n.lower() == "x-amzn-query-error"), None
            )
            payload = self.error_payload(decoded, query_error)
        else:
            if computed:
                decoded.setdefault("MetricDataResults", []).extend(computed)
            output = self.model.operation_model(operation).output_shape
            payload = to_cbor_value(decoded, output) if output is not None else {}
        return wsgi.answer(start_response, status, headers, cbor2.dumps(payload))

    def error_payload(self, decoded, query_error):
        raw_type = str(decoded.get("__type") or decoded.get("code") or "InternalFailure")
        code = (query_error or "").split(";")[0] or raw_type.split("#")[-1].split(":")[0]
        name = self.error_names.get(code, code)
        payload = {"__type": f"com.amazonaws.cloudwatch#{name}"}
        message = decoded.get("message") or decoded.get("Message")
        if message is not None:
            payload["message"] = str(message)
        return payload


def percentile_region(environ):
    scope = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return scope.group(1) if scope else "ap-northeast-1"


class XRaySummariesFix:
    """moto's GetTraceSummaries answers `"Users": {}` per summary, where the
    X-Ray model has a list: every SDK that checks the shape fails to parse
    the reply (the Rust SDK: "expected start array or null"). Turn those
    empty objects into the empty lists they stand for; nothing else changes."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/TraceSummaries":
            return self.app(environ, start_response)
        status, headers, body = wsgi.call(self.app, environ)
        try:
            reply = json.loads(body)
            for summary in reply.get("TraceSummaries", []):
                for key in ("Users", "ResourceARNs", "InstanceIds", "AvailabilityZones", "ServiceIds",
                            "FaultRootCauses", "ErrorRootCauses", "ResponseTimeRootCauses"):
                    if summary.get(key) == {}:
                        summary[key] = []
            body = json.dumps(reply).encode()
        except ValueError:
            pass
        return wsgi.answer(start_response, status, headers, body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    # AWS's default account concurrency; moto then keeps 100 unreserved.
    os.environ.setdefault("MOTO_LAMBDA_CONCURRENCY_QUOTA", "1000")

    moto = DomainDispatcherApplication(create_backend_app)
    app = RequestLog(BedState(RdsSchedule(DrillBed(OpsBed(CloudTrailBed(CostExplorerBed(S3VersioningFix(XRaySummariesFix(CloudWatchCborBridge(IncidentBed(moto)))))))))))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    os.environ["MOTO_PORT"] = str(server.port)
    print(f"ready {server.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
