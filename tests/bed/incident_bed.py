"""What alarm-triage's incident lifecycle relies on and moto lacks or gets
wrong (measured against moto 5.2.5, ../shared/TESTBED.md), served with
AWS's semantics:

CloudWatch (JSON protocol, behind the CBOR bridge)
  - DescribeAlarmHistory (moto: 500): the state updates recorded from
    SetAlarmState, or seeded; AlarmName, AlarmTypes (metric alarms only
    when absent, as AWS), HistoryItemType, StartDate/EndDate (inclusive
    start, exclusive end), ScanBy (newest first by default), MaxRecords
    (1-100) and NextToken. HistoryData is AWS's JSON text.
EventBridge Scheduler (REST JSON)
  - CreateSchedule is validated as AWS does and moto does not: the name
    ([0-9A-Za-z-_.], 1-64), the expression (at(yyyy-mm-ddThh:mm:ss),
    rate(...), cron(...)), FlexibleTimeWindow.Mode, ActionAfterCompletion,
    Target.Arn and Target.RoleArn (ValidationException); a missing group is
    ResourceNotFoundException (moto: 500).
Systems Manager OpsCenter (JSON; moto: 500 for every call)
  - CreateOpsItem (an open OpsItem with the same `/aws/dedup` dedupString:
    OpsItemAlreadyExistsException carrying its OpsItemId), DescribeOpsItems
    (Status, Source, Title, OpsItemId, OperationalData, OperationalDataKey,
    OperationalDataValue filters), GetOpsItem, UpdateOpsItem.

Control endpoints (JSON):
  POST /_bed/cloudwatch/alarm-history {"alarm": name, "type": "MetricAlarm",
      "region": "ap-northeast-1", "transitions": [{"at": RFC 3339, "from": "OK", "to": "ALARM"}]}
      replaces that alarm's history.
  GET  /_bed/ssm/ops-items   every OpsItem kept, per Region.
"""

import datetime
import io
import json
import re
import threading
import uuid

import wsgi

ACCOUNT = "123456789012"
SIGNED = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/")
CW_TARGET = "GraniteServiceVersion20100801."
SCHEDULE_NAME = re.compile(r"^[0-9A-Za-z_.\-]{1,64}$")
EXPRESSION = re.compile(r"^(at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")


def scope(environ):
    m = SIGNED.search(environ.get("HTTP_AUTHORIZATION", ""))
    return (m.group(1), m.group(2)) if m else ("ap-northeast-1", "")


def read_body(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def reply(start_response, payload, status="200 OK", content_type="application/x-amz-json-1.1", headers=()):
    return wsgi.answer(start_response, status, [("Content-Type", content_type), *headers], json.dumps(payload).encode())


def json_error(start_response, code, message, status="400 Bad Request", **extra):
    return reply(start_response, {"__type": code, "message": message, "Message": message, **extra}, status,
                 headers=[("x-amzn-ErrorType", code)])


def to_epoch(value):
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def iso(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class IncidentBed:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.history = {}  # (region, alarm) -> [item], oldest first
        self.ops_items = {}  # region -> {id: item}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if path == "/_bed/cloudwatch/alarm-history" and method == "POST":
            return self.seed_history(json.loads(read_body(environ) or b"{}"), start_response)
        if path == "/_bed/ssm/ops-items" and method == "GET":
            with self.lock:
                return reply(start_response, {r: list(items.values()) for r, items in self.ops_items.items()})
        target = environ.get("HTTP_X_AMZ_TARGET") or ""
        region, service = scope(environ)
        if target == CW_TARGET + "DescribeAlarmHistory":
            return self.describe_history(region, json.loads(read_body(environ) or b"{}"), start_response)
        if target == CW_TARGET + "SetAlarmState":
            return self.set_alarm_state(environ, region, start_response)
        if target.startswith("AmazonSSM.") and target.split(".", 1)[1] in OPS_CALLS:
            return self.ops(region, target.split(".", 1)[1], json.loads(read_body(environ) or b"{}"), start_response)
        if service == "scheduler" and method == "POST" and path.startswith("/schedules/"):
            return self.create_schedule(environ, path, start_response)
        return self.app(environ, start_response)

    # -- CloudWatch alarm history ---------------------------------------

    def record(self, region, alarm, kind, at, old, new, reason=""):
        item = {
            "AlarmName": alarm,
            "AlarmType": kind,
            "Timestamp": at,
            "HistoryItemType": "StateUpdate",
            "HistorySummary": f"Alarm updated from {old} to {new}",
            "HistoryData": json.dumps({
                "version": "1.0",
                "oldState": {"stateValue": old, "stateReason": ""},
                "newState": {"stateValue": new, "stateReason": reason},
            }),
        }
        self.history.setdefault((region, alarm), []).append(item)

    def seed_history(self, body, start_response):
        region = body.get("region") or "ap-northeast-1"
        alarm = body["alarm"]
        with self.lock:
            self.history[(region, alarm)] = []
            for t in sorted(body.get("transitions", []), key=lambda t: to_epoch(t["at"])):
                self.record(region, alarm, body.get("type", "MetricAlarm"), to_epoch(t["at"]),
                            t.get("from", "OK"), t["to"], t.get("reason", ""))
        return reply(start_response, {"ok": True}, content_type="application/json")

    def set_alarm_state(self, environ, region, start_response):
        body = read_body(environ)
        request = json.loads(body or b"{}")
        before = self.alarm_state(environ, body, request.get("AlarmName"))
        status, headers, out = wsgi.call(self.app, dict(environ, **{"wsgi.input": io.BytesIO(body)}))
        if status.startswith("200") and before is not None and before != request.get("StateValue"):
            with self.lock:
                self.record(region, request["AlarmName"], "MetricAlarm",
                            datetime.datetime.now(datetime.timezone.utc).timestamp(),
                            before, request["StateValue"], request.get("StateReason", ""))
        return wsgi.answer(start_response, status, headers, out)

    def alarm_state(self, environ, body, name):
        """The alarm's state before a SetAlarmState, read from moto."""
        query = json.dumps({"AlarmNames": [name]}).encode()
        inner = dict(environ, **{
            "HTTP_X_AMZ_TARGET": CW_TARGET + "DescribeAlarms",
            "CONTENT_LENGTH": str(len(query)),
            "wsgi.input": io.BytesIO(query),
        })
        status, _, out = wsgi.call(self.app, inner)
        if not status.startswith("200"):
            return None
        alarms = json.loads(out or b"{}").get("MetricAlarms") or []
        return alarms[0].get("StateValue") if alarms else None

    def describe_history(self, region, request, start_response):
        max_records = request.get("MaxRecords", 100)
        if not isinstance(max_records, int) or not 1 <= max_records <= 100:
            return json_error(start_response, "InvalidParameterValue", "MaxRecords must be 1-100")
        types = request.get("AlarmTypes") or ["MetricAlarm"]
        start, end = to_epoch(request.get("StartDate")), to_epoch(request.get("EndDate"))
        with self.lock:
            if request.get("AlarmName"):
                items = list(self.history.get((region, request["AlarmName"]), []))
            else:
                items = [i for (r, _), h in self.history.items() if r == region for i in h]
        items = [
            i for i in items
            if i["AlarmType"] in types
            and (not request.get("HistoryItemType") or i["HistoryItemType"] == request["HistoryItemType"])
            and (start is None or i["Timestamp"] >= start)
            and (end is None or i["Timestamp"] < end)
        ]
        items.sort(key=lambda i: i["Timestamp"], reverse=request.get("ScanBy", "TimestampDescending") != "TimestampAscending")
        offset = int(request.get("NextToken") or 0)
        page = items[offset:offset + max_records]
        out = {"AlarmHistoryItems": [dict(i, Timestamp=iso(i["Timestamp"])) for i in page]}
        if offset + max_records < len(items):
            out["NextToken"] = str(offset + max_records)
        return reply(start_response, out, content_type="application/x-amz-json-1.0")

    # -- EventBridge Scheduler ------------------------------------------

    def create_schedule(self, environ, path, start_response):
        body = read_body(environ)
        name = path[len("/schedules/"):]
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return self.scheduler_error(start_response, "ValidationException", "the body is not JSON")
        problem = None
        target = request.get("Target") or {}
        if not SCHEDULE_NAME.match(name):
            problem = f"Name {name!r} must be 1-64 characters of [0-9A-Za-z-_.]"
        elif not EXPRESSION.match(request.get("ScheduleExpression") or ""):
            problem = f"Invalid Schedule Expression {request.get('ScheduleExpression')!r}."
        elif (request.get("FlexibleTimeWindow") or {}).get("Mode") not in ("OFF", "FLEXIBLE"):
            problem = "FlexibleTimeWindow.Mode must be OFF or FLEXIBLE"
        elif request.get("ActionAfterCompletion", "NONE") not in ("NONE", "DELETE"):
            problem = "ActionAfterCompletion must be NONE or DELETE"
        elif not target.get("Arn") or not target.get("RoleArn"):
            problem = "Target.Arn and Target.RoleArn are required"
        if problem:
            return self.scheduler_error(start_response, "ValidationException", problem)
        status, headers, out = wsgi.call(self.app, dict(environ, **{"wsgi.input": io.BytesIO(body)}))
        if status.startswith("500"):
            group = request.get("GroupName") or "default"
            return self.scheduler_error(start_response, "ResourceNotFoundException",
                                        f"Schedule group {group} does not exist.", "404 Not Found")
        return wsgi.answer(start_response, status, headers, out)

    @staticmethod
    def scheduler_error(start_response, code, message, status="400 Bad Request"):
        return wsgi.answer(start_response, status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)],
                           json.dumps({"Message": message}).encode())

    # -- OpsCenter ------------------------------------------------------

    def ops(self, region, call, request, start_response):
        with self.lock:
            items = self.ops_items.setdefault(region, {})
            try:
                return reply(start_response, OPS_CALLS[call](items, region, request))
            except OpsError as e:
                return json_error(start_response, e.code, e.message, **e.extra)


class OpsError(Exception):
    def __init__(self, code, message, **extra):
        self.code, self.message, self.extra = code, message, extra


def dedup_of(data):
    value = (data or {}).get("/aws/dedup", {}).get("Value")
    try:
        return json.loads(value).get("dedupString") if value else None
    except (ValueError, AttributeError):
        raise OpsError("OpsItemInvalidParameterException", "/aws/dedup must be {\"dedupString\": ...}")


def create_ops_item(items, region, request):
    for field, limit in (("Title", 1024), ("Description", 2048), ("Source", 128)):
        value = request.get(field)
        if not value or len(value) > limit:
            raise OpsError("ValidationException", f"{field} is required, 1-{limit} characters")
    if str(request.get("Severity", "1")) not in ("1", "2", "3", "4"):
        raise OpsError("ValidationException", "Severity must be 1-4")
    dedup = dedup_of(request.get("OperationalData"))
    if dedup:
        for item in items.values():
            if item["Status"] != "Resolved" and dedup_of(item["OperationalData"]) == dedup:
                raise OpsError("OpsItemAlreadyExistsException",
                               f"An OpsItem with the dedup string already exists: {item['OpsItemId']}",
                               OpsItemId=item["OpsItemId"])
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    ops_id = "oi-" + uuid.uuid4().hex[:12]
    items[ops_id] = {
        "OpsItemId": ops_id,
        "OpsItemArn": f"arn:aws:ssm:{region}:{ACCOUNT}:opsitem/{ops_id}",
        "Title": request["Title"],
        "Description": request["Description"],
        "Source": request["Source"],
        "Category": request.get("Category"),
        "Severity": request.get("Severity"),
        "Priority": request.get("Priority"),
        "Status": "Open",
        "OperationalData": request.get("OperationalData") or {},
        "CreatedTime": now,
        "LastModifiedTime": now,
    }
    return {"OpsItemId": ops_id, "OpsItemArn": items[ops_id]["OpsItemArn"]}


def matches(item, f):
    key, values, op = f.get("Key"), f.get("Values") or [], f.get("Operator", "Equal")
    data = item["OperationalData"]
    if key == "OperationalData":
        wanted = [json.loads(v) for v in values]
        return any(data.get(w.get("key"), {}).get("Value") == w.get("value") for w in wanted)
    if key == "OperationalDataKey":
        return any(v in data for v in values)
    if key == "OperationalDataValue":
        have = [d.get("Value", "") for d in data.values()]
        return any((v in h) if op == "Contains" else (v == h) for v in values for h in have)
    field = {"Status": "Status", "Source": "Source", "Title": "Title", "OpsItemId": "OpsItemId",
             "Category": "Category", "Severity": "Severity"}.get(key)
    if field is None:
        raise OpsError("OpsItemInvalidParameterException", f"filter key {key} is not served by the bed")
    have = str(item.get(field) or "")
    return any((v in have) if op == "Contains" else (v == have) for v in values)


def describe_ops_items(items, region, request):
    max_results = request.get("MaxResults", 50)
    if not isinstance(max_results, int) or not 1 <= max_results <= 50:
        raise OpsError("ValidationException", "MaxResults must be 1-50")
    found = [i for i in items.values() if all(matches(i, f) for f in request.get("OpsItemFilters") or [])]
    found.sort(key=lambda i: i["CreatedTime"], reverse=True)
    offset = int(request.get("NextToken") or 0)
    out = {"OpsItemSummaries": [
        {k: i[k] for k in ("OpsItemId", "Title", "Source", "Status", "Severity", "Category",
                           "OperationalData", "CreatedTime", "LastModifiedTime") if i.get(k) is not None}
        for i in found[offset:offset + max_results]
    ]}
    if offset + max_results < len(found):
        out["NextToken"] = str(offset + max_results)
    return out


def get_ops_item(items, region, request):
    item = items.get(request.get("OpsItemId"))
    if item is None:
        raise OpsError("OpsItemNotFoundException", f"OpsItem {request.get('OpsItemId')} not found")
    return {"OpsItem": item}


def update_ops_item(items, region, request):
    item = items.get(request.get("OpsItemId"))
    if item is None:
        raise OpsError("OpsItemNotFoundException", f"OpsItem {request.get('OpsItemId')} not found")
    status = request.get("Status")
    if status is not None and status not in ("Open", "InProgress", "Resolved"):
        raise OpsError("ValidationException", f"Status {status} is not valid")
    for field in ("Title", "Description", "Status", "Severity", "Category", "Priority"):
        if request.get(field) is not None:
            item[field] = request[field]
    item["OperationalData"].update(request.get("OperationalData") or {})
    for key in request.get("OperationalDataToDelete") or []:
        item["OperationalData"].pop(key, None)
    item["LastModifiedTime"] = datetime.datetime.now(datetime.timezone.utc).timestamp()
    return {}


OPS_CALLS = {
    "CreateOpsItem": create_ops_item,
    "DescribeOpsItems": describe_ops_items,
    "GetOpsItem": get_ops_item,
    "UpdateOpsItem": update_ops_item,
}
