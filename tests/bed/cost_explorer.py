"""Cost Explorer for the test bed, served from seeded line items.

moto answers GetCostAndUsage with preset results whatever was asked, and does
not implement GetCostForecast. This WSGI middleware answers both from line
items the test seeds, honouring what a request asks for — the period (End
exclusive), granularity, metric, grouping by SERVICE / RECORD_TYPE and
dimension filters (with Not) — so a wrong request gets wrong numbers or the
error Cost Explorer would give. It also records every request it served.

Control endpoints (JSON):
  POST /_bed/ce/items     [{"date": "2026-11-03", "service": "AWS Lambda",
                            "record_type": "Usage", "amount": "0.123"}, ...]
  POST /_bed/ce/forecast  {"per_day": "0.40"} or {} (no history: DataUnavailableException)
  GET  /_bed/ce/requests  {"requests": [{"operation": ..., "body": ...}, ...]}
"""

import datetime
import io
import json
import threading
from decimal import Decimal

TARGET = "AWSInsightsIndexService."
GROUP_KEYS = {"SERVICE": "service", "RECORD_TYPE": "record_type"}
FORECAST_METRICS = {
    "AMORTIZED_COST",
    "BLENDED_COST",
    "NET_AMORTIZED_COST",
    "NET_UNBLENDED_COST",
    "UNBLENDED_COST",
    "USAGE_QUANTITY",
    "NORMALIZED_USAGE_AMOUNT",
}


class CostExplorerBed:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.items = []
        self.forecast = None
        self.requests = []

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if path.startswith("/_bed/ce/"):
            return self.control(path, method, environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if method != "POST" or not target.startswith(TARGET):
            return self.app(environ, start_response)
        operation = target[len(TARGET):]
        body = read_body(environ)
        if operation not in ("GetCostAndUsage", "GetCostForecast"):
            environ["wsgi.input"] = io.BytesIO(body)
            return self.app(environ, start_response)
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return error(start_response, "ValidationException", "request body is not JSON")
        with self.lock:
            self.requests.append({"operation": operation, "body": request})
            items = list(self.items)
            forecast = self.forecast
        try:
            if operation == "GetCostAndUsage":
                return reply(start_response, cost_and_usage(items, request))
            return reply(start_response, cost_forecast(forecast, request))
        except CeError as e:
            return error(start_response, e.code, e.message)

    def control(self, path, method, environ, start_response):
        if method == "POST":
            payload = json.loads(read_body(environ) or b"null")
            with self.lock:
                if path == "/_bed/ce/items":
                    self.items = payload
                elif path == "/_bed/ce/forecast":
                    self.forecast = payload or None
                else:
                    return plain(start_response, "404 Not Found", {"error": path})
            return plain(start_response, "200 OK", {"ok": True})
        if path == "/_bed/ce/requests":
            with self.lock:
                return plain(start_response, "200 OK", {"requests": self.requests})
        return plain(start_response, "404 Not Found", {"error": path})


class CeError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def read_body(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def parse_period(request):
    period = request.get("TimePeriod") or {}
    try:
        start = datetime.date.fromisoformat(period["Start"])
        end = datetime.date.fromisoformat(period["End"])
    except (KeyError, TypeError, ValueError):
        raise CeError("ValidationException", "TimePeriod needs Start and End as YYYY-MM-DD")
    if end <= start:
        raise CeError("ValidationException", "Start date (inclusive) must be before End date (exclusive)")
    return start, end


def periods(start, end, granularity):
    """[start, end) cut into DAILY or MONTHLY periods, as Cost Explorer does."""
    if granularity not in ("DAILY", "MONTHLY"):
        raise CeError("ValidationException", f"unsupported Granularity {granularity!r}")
    out = []
    cursor = start
    while cursor < end:
        if granularity == "DAILY":
            nxt = cursor + datetime.timedelta(days=1)
        else:
            nxt = (cursor.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
        nxt = min(nxt, end)
        out.append((cursor, nxt))
        cursor = nxt
    return out


def matches(item, expression):
    if not expression:
        return True
    if "Not" in expression:
        return not matches(item, expression["Not"])
    if "And" in expression:
        return all(matches(item, e) for e in expression["And"])
    if "Or" in expression:
        return any(matches(item, e) for e in expression["Or"])
    dims = expression.get("Dimensions")
    if dims:
        field = GROUP_KEYS.get(dims.get("Key"))
        if field is None:
            raise CeError("ValidationException", f"the bed filters only by {sorted(GROUP_KEYS)}")
        return item[field] in dims.get("Values", [])
    raise CeError("ValidationException", f"unsupported filter {expression!r}")


def in_period(item, start, end):
    day = datetime.date.fromisoformat(item["date"])
    return start <= day < end


def money(amount):
    return {"Amount": str(amount), "Unit": "USD"}


def cost_and_usage(items, request):
    start, end = parse_period(request)
    metrics = request.get("Metrics") or []
    if metrics != ["UnblendedCost"]:
        raise CeError("ValidationException", f"the bed serves Metrics [\"UnblendedCost\"] only, got {metrics!r}")
    groups = request.get("GroupBy") or []
    if len(groups) > 2:
        raise CeError("ValidationException", "GroupBy takes at most two groups")
    keys = []
    for group in groups:
        if group.get("Type") != "DIMENSION" or group.get("Key") not in GROUP_KEYS:
            raise CeError("ValidationException", f"the bed groups by DIMENSION {sorted(GROUP_KEYS)} only")
        keys.append(GROUP_KEYS[group["Key"]])
    results = []
    for p_start, p_end in periods(start, end, request.get("Granularity")):
        chosen = [i for i in items if in_period(i, p_start, p_end) and matches(i, request.get("Filter"))]
        result = {
            "TimePeriod": {"Start": p_start.isoformat(), "End": p_end.isoformat()},
            "Estimated": False,
        }
        if keys:
            sums = {}
            for item in chosen:
                key = tuple(item[k] for k in keys)
                sums[key] = sums.get(key, Decimal(0)) + Decimal(item["amount"])
            result["Total"] = {}
            result["Groups"] = [
                {"Keys": list(key), "Metrics": {"UnblendedCost": money(amount)}}
                for key, amount in sorted(sums.items())
            ]
        else:
            total = sum((Decimal(i["amount"]) for i in chosen), Decimal(0))
            result["Total"] = {"UnblendedCost": money(total)}
            result["Groups"] = []
        results.append(result)
    return {"ResultsByTime": results, "DimensionValueAttributes": [], "GroupDefinitions": groups}


def cost_forecast(forecast, request):
    start, end = parse_period(request)
    metric = request.get("Metric")
    if metric not in FORECAST_METRICS:
        raise CeError(
            "ValidationException",
            f"1 validation error detected: Value '{metric}' at 'metric' failed to satisfy constraint",
        )
    # Validates the filter and the granularity like the real service would.
    matches({"service": "", "record_type": "Usage"}, request.get("Filter"))
    cuts = periods(start, end, request.get("Granularity"))
    if not forecast:
        raise CeError("DataUnavailableException", "Insufficient amount of historical data to generate forecast.")
    per_day = Decimal(forecast["per_day"])
    by_time = [
        {
            "TimePeriod": {"Start": s.isoformat(), "End": e.isoformat()},
            "MeanValue": str(per_day * (e - s).days),
        }
        for s, e in cuts
    ]
    return {"Total": money(per_day * (end - start).days), "ForecastResultsByTime": by_time}


def reply(start_response, payload):
    out = json.dumps(payload).encode()
    start_response(
        "200 OK",
        [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(out)))],
    )
    return [out]


def error(start_response, code, message):
    out = json.dumps({"__type": code, "Message": message}).encode()
    start_response(
        "400 Bad Request",
        [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-ErrorType", code),
            ("Content-Length", str(len(out))),
        ],
    )
    return [out]


def plain(start_response, status, payload):
    out = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]
