"""RDS's scheduled changes, which moto 5.2.5 lacks (DescribePendingMaintenanceActions
is not implemented, DescribeDBInstances has no CertificateDetails), served in AWS's shape.

Control endpoints (JSON):
  POST /_bed/rds/maintenance   {"actions": [{"resource": "<ARN>", "action": "system-update",
                                 "description": "...", "auto_applied_after": "<ISO>",
                                 "current_apply_date": "<ISO>", "forced_apply": "<ISO>"}]}  (replaces)
  POST /_bed/rds/certificates  {"certificates": {"<instance id>": {"ca": "rds-ca-rsa2048-g1",
                                 "valid_till": "<ISO>"}}}  (replaces)

DescribePendingMaintenanceActions honours the `db-cluster-id` and
`db-instance-id` filters (identifiers or ARNs; AWS ANDs filters of different
names). DescribeDBInstances gets `CertificateDetails` for the seeded instances.
"""

import io
import json
import re
import threading
import urllib.parse
import uuid

import wsgi

NS = "http://rds.amazonaws.com/doc/2014-10-31/"


def _read(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _filters(form):
    """{"db-cluster-id": [...], ...} from Filters.Filter.N.Name / .Values.Value.M."""
    out = {}
    names = {k: v[0] for k, v in form.items() if re.fullmatch(r"Filters\.Filter\.\d+\.Name", k)}
    for key, name in names.items():
        n = key.split(".")[2]
        values = [v[0] for k, v in sorted(form.items())
                  if re.fullmatch(rf"Filters\.Filter\.{n}\.Values\.Value\.\d+", k)]
        out.setdefault(name, []).extend(values)
    return out


def _matches(arn, wanted):
    ident = arn.rsplit(":", 1)[-1]
    return any(w == arn or w == ident for w in wanted)


class RdsSchedule:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.actions = []
        self.certificates = {}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_bed/rds/maintenance" and environ.get("REQUEST_METHOD") == "POST":
            with self.lock:
                self.actions = json.loads(_read(environ) or b"{}").get("actions", [])
            return wsgi.answer(start_response, "200 OK", [("Content-Type", "application/json")], b'{"ok": true}')
        if path == "/_bed/rds/certificates" and environ.get("REQUEST_METHOD") == "POST":
            with self.lock:
                self.certificates = json.loads(_read(environ) or b"{}").get("certificates", {})
            return wsgi.answer(start_response, "200 OK", [("Content-Type", "application/json")], b'{"ok": true}')
        form_body = environ.get("bed.form_body")
        if form_body is None:
            return self.app(environ, start_response)
        form = urllib.parse.parse_qs(form_body.decode("utf-8", "replace"))
        action = (form.get("Action") or [None])[0]
        if action == "DescribePendingMaintenanceActions":
            return self.pending(start_response, form)
        if action == "DescribeDBInstances" and self.certificates:
            return self.instances(environ, start_response)
        return self.app(environ, start_response)

    def pending(self, start_response, form):
        filters = _filters(form)
        with self.lock:
            actions = list(self.actions)
        by_resource = {}
        for a in actions:
            arn = a["resource"]
            kind = ":cluster:" if ":cluster:" in arn else ":db:"
            ok = True
            if "db-cluster-id" in filters:
                ok = ok and kind == ":cluster:" and _matches(arn, filters["db-cluster-id"])
            if "db-instance-id" in filters:
                ok = ok and kind == ":db:" and _matches(arn, filters["db-instance-id"])
            if ok:
                by_resource.setdefault(arn, []).append(a)
        parts = []
        for arn, details in by_resource.items():
            items = []
            for d in details:
                fields = [f"<Action>{d['action']}</Action>", f"<Description>{d.get('description', '')}</Description>"]
                for key, tag in (("auto_applied_after", "AutoAppliedAfterDate"), ("forced_apply", "ForcedApplyDate"),
                                 ("current_apply_date", "CurrentApplyDate")):
                    if d.get(key):
                        fields.append(f"<{tag}>{d[key]}</{tag}>")
                items.append("<PendingMaintenanceAction>" + "".join(fields) + "</PendingMaintenanceAction>")
            parts.append(
                f"<ResourcePendingMaintenanceActions><ResourceIdentifier>{arn}</ResourceIdentifier>"
                f"<PendingMaintenanceActionDetails>{''.join(items)}</PendingMaintenanceActionDetails>"
                "</ResourcePendingMaintenanceActions>"
            )
        body = (
            f'<DescribePendingMaintenanceActionsResponse xmlns="{NS}"><DescribePendingMaintenanceActionsResult>'
            f"<PendingMaintenanceActions>{''.join(parts)}</PendingMaintenanceActions>"
            "</DescribePendingMaintenanceActionsResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</DescribePendingMaintenanceActionsResponse>"
        ).encode()
        return wsgi.answer(start_response, "200 OK", [("Content-Type", "text/xml")], body)

    def instances(self, environ, start_response):
        status, headers, body = wsgi.call(self.app, environ)
        if not status.startswith("200"):
            return wsgi.answer(start_response, status, headers, body)
        text = body.decode("utf-8")
        with self.lock:
            certificates = dict(self.certificates)

        def add_details(match):
            instance = match.group(0)
            ident = re.search(r"<DBInstanceIdentifier>([^<]+)</DBInstanceIdentifier>", instance)
            cert = certificates.get(ident.group(1)) if ident else None
            if not cert:
                return instance
            details = (f"<CertificateDetails><CAIdentifier>{cert.get('ca', 'rds-ca-rsa2048-g1')}</CAIdentifier>"
                       f"<ValidTill>{cert['valid_till']}</ValidTill></CertificateDetails>")
            instance = re.sub(r"<CACertificateIdentifier>[^<]*</CACertificateIdentifier>",
                              f"<CACertificateIdentifier>{cert.get('ca', 'rds-ca-rsa2048-g1')}</CACertificateIdentifier>",
                              instance)
            return instance.replace("</DBInstance>", details + "</DBInstance>")

        text = re.sub(r"<DBInstance>.*?</DBInstance>", add_details, text, flags=re.S)
        out = text.encode("utf-8")
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        return wsgi.answer(start_response, status, headers, out)
