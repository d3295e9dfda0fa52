"""Every request the bed serves, recorded: which service, which operation,
read or write. Tests use it to prove what a run did *not* do (no write call,
no publish for a rejected payload) and how many requests a run made.

The service comes from the SigV4 credential scope (`Credential=…/<region>/<service>/aws4_request`);
the operation from `X-Amz-Target` (JSON protocols), the RPCv2-CBOR path
(CloudWatch), `Action=` (query protocol: SNS, IAM, RDS, STS), else it is the
REST method and path (S3, Lambda, X-Ray, CloudFront).

Control endpoints (JSON):
  GET  /_bed/requests        {"requests": [{"service", "operation", "method", "path"}, ...]}
  POST /_bed/requests/reset  forget them
"""

import io
import json
import re
import threading
import urllib.parse

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
CBOR_PATH = re.compile(r"^/service/[^/]+/operation/([A-Za-z]+)$")


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


class RequestLog:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.requests = []

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
        entry = {
            "service": scope.group(1) if scope else None,
            "operation": operation_of(environ, body),
            "method": environ.get("REQUEST_METHOD"),
            "path": path,
        }
        with self.lock:
            self.requests.append(entry)
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
