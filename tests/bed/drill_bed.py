"""What restore-drill relies on and moto gets wrong (../shared/TESTBED.md §5:
a restored cluster is `available` at its first describe, a deleted one gone
at once, its endpoint a name that resolves nowhere), served as AWS behaves:

  - A cluster made by RestoreDBClusterFromSnapshot answers `creating` for
    the next N describes of it, then `available`; an instance created in
    such a cluster likewise.
  - DeleteDBInstance / DeleteDBCluster of those answer `deleting` and keep
    them `deleting` for the next N describes; then the delete reaches moto
    and they are gone (DBInstanceNotFound / DBClusterNotFound).
  - Their `Endpoint` and `Port` are the local PostgreSQL's (a host name its
    certificate names), so the drill's login and queries are real.

Off until configured (moto's own behaviour, which other tests rely on).

Control endpoint (JSON):
  POST /_bed/rds/drill {"host": "localhost", "port": 5433, "creating": 2,
                        "deleting": 2, "match": "-drill"}
                       (replaces; forgets what it tracked; only restores to
                       cluster ids containing "match" are stepped)
  GET  /_bed/rds/drill                  what is tracked, for tests
"""

import io
import json
import re
import threading
import urllib.parse

import wsgi

NESTED = ("VpcSecurityGroups", "DBClusterMembers", "AssociatedRoles", "DBClusterOptionGroupMemberships",
          "DomainMemberships", "TagList", "Endpoint", "DBSubnetGroup", "DBParameterGroups", "OptionGroupMemberships",
          "StatusInfos", "CertificateDetails", "PendingModifiedValues", "ServerlessV2ScalingConfiguration")


def _read(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _outside_nested(block, tag, nested):
    """Spans of `<tag>…</tag>` in `block` that are not inside a nested element."""
    excluded = []
    for name in nested:
        for m in re.finditer(rf"<{name}>.*?</{name}>", block, flags=re.S):
            excluded.append((m.start(), m.end()))
    return [m for m in re.finditer(rf"<{tag}>[^<]*</{tag}>", block)
            if not any(a <= m.start() < b for a, b in excluded)]


def _replace(block, tag, value, nested):
    spans = _outside_nested(block, tag, nested)
    if not spans:
        return block
    m = spans[0]
    return block[:m.start()] + f"<{tag}>{value}</{tag}>" + block[m.end():]


class DrillBed:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.config = None
        self.clusters = {}   # id -> {"creating": n} | {"deleting": n, "replay": (environ, body)}
        self.instances = {}  # id -> same, plus "cluster"

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_bed/rds/drill":
            if environ.get("REQUEST_METHOD") == "POST":
                with self.lock:
                    self.config = {"creating": 2, "deleting": 2, "match": "", **json.loads(_read(environ) or b"{}")}
                    self.clusters = {}
                    self.instances = {}
                return wsgi.answer(start_response, "200 OK", [("Content-Type", "application/json")], b'{"ok": true}')
            with self.lock:
                state = {"clusters": {k: {x: y for x, y in v.items() if x != "replay"} for k, v in self.clusters.items()},
                         "instances": {k: {x: y for x, y in v.items() if x != "replay"} for k, v in self.instances.items()}}
            return wsgi.answer(start_response, "200 OK", [("Content-Type", "application/json")], json.dumps(state).encode())
        body = environ.get("bed.form_body")
        if body is None or self.config is None:
            return self.app(environ, start_response)
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("Action") or [None])[0]
        cluster = (form.get("DBClusterIdentifier") or [None])[0]
        instance = (form.get("DBInstanceIdentifier") or [None])[0]
        if action == "RestoreDBClusterFromSnapshot":
            status, headers, out = wsgi.call(self.app, environ)
            if status.startswith("200") and self.config["match"] in (cluster or ""):
                with self.lock:
                    self.clusters[cluster] = {"creating": self.config["creating"]}
            return wsgi.answer(start_response, status, headers, out)
        if action == "CreateDBInstance":
            status, headers, out = wsgi.call(self.app, environ)
            if status.startswith("200") and cluster in self.clusters:
                with self.lock:
                    self.instances[instance] = {"creating": self.config["creating"], "cluster": cluster}
            return wsgi.answer(start_response, status, headers, out)
        if action == "DeleteDBInstance" and instance in self.instances:
            return self.delete(environ, start_response, body, "DBInstance", instance, self.instances)
        if action == "DeleteDBCluster" and cluster in self.clusters:
            busy = any(i.get("cluster") == cluster and "deleting" not in i for i in self.instances.values())
            if busy:
                # AWS: members not being deleted keep the cluster (moto says the same).
                return self.app(environ, start_response)
            return self.delete(environ, start_response, body, "DBCluster", cluster, self.clusters)
        if action in ("DescribeDBClusters", "DescribeDBInstances"):
            return self.describe(environ, start_response, action, cluster if action == "DescribeDBClusters" else instance)
        return self.app(environ, start_response)

    def delete(self, environ, start_response, body, kind, ident, table):
        with self.lock:
            entry = table[ident]
            if "deleting" in entry:
                code = "InvalidDBInstanceState" if kind == "DBInstance" else "InvalidDBClusterStateFault"
                err = (f'<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type>'
                       f"<Code>{code}</Code><Message>{ident} is already being deleted.</Message></Error>"
                       f"<RequestId>bed-drill</RequestId></ErrorResponse>").encode()
                return wsgi.answer(start_response, "400 Bad Request", [("Content-Type", "text/xml")], err)
            saved = {k: v for k, v in environ.items() if not k.startswith("wsgi.") or k in ("wsgi.url_scheme", "wsgi.version", "wsgi.errors", "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once")}
            entry.clear()
            entry.update({"deleting": self.config["deleting"], "replay": (saved, body),
                          **({"cluster": table.get(ident, {}).get("cluster")} if kind == "DBInstance" else {})})
        status_tag = "DBInstanceStatus" if kind == "DBInstance" else "Status"
        action = f"Delete{kind}"
        out = (f'<{action}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><{action}Result><{kind}>'
               f"<{kind}Identifier>{ident}</{kind}Identifier><{status_tag}>deleting</{status_tag}>"
               f"</{kind}></{action}Result><ResponseMetadata><RequestId>bed-drill</RequestId></ResponseMetadata>"
               f"</{action}Response>").encode()
        return wsgi.answer(start_response, "200 OK", [("Content-Type", "text/xml")], out)

    def tick(self, table, ident):
        """One describe of `ident` (None: all) passes: counters go down; a
        finished delete reaches moto now."""
        replays = []
        with self.lock:
            for key in list(table):
                if ident is not None and key != ident:
                    continue
                entry = table[key]
                if "deleting" in entry:
                    entry["deleting"] -= 1
                    if entry["deleting"] < 0:
                        replays.append(entry["replay"])
                        del table[key]
                elif entry.get("creating", 0) > 0:
                    entry["creating"] -= 1
        for saved, body in replays:
            env = dict(saved)
            env["wsgi.input"] = io.BytesIO(body)
            env["CONTENT_LENGTH"] = str(len(body))
            wsgi.call(self.app, env)

    def describe(self, environ, start_response, action, ident):
        kind = "DBCluster" if action == "DescribeDBClusters" else "DBInstance"
        table = self.clusters if kind == "DBCluster" else self.instances
        self.tick(table, ident)
        status, headers, out = wsgi.call(self.app, environ)
        if not status.startswith("200"):
            return wsgi.answer(start_response, status, headers, out)
        with self.lock:
            tracked = {k: dict(v) for k, v in table.items()}
            config = dict(self.config)
        text = out.decode("utf-8")

        def rewrite(m):
            block = m.group(0)
            found = re.search(rf"<{kind}Identifier>([^<]+)</{kind}Identifier>", block)
            entry = tracked.get(found.group(1)) if found else None
            if entry is None:
                return block
            status_tag = "Status" if kind == "DBCluster" else "DBInstanceStatus"
            if "deleting" in entry:
                block = _replace(block, status_tag, "deleting", NESTED)
            elif entry.get("creating", 0) > 0:
                block = _replace(block, status_tag, "creating", NESTED)
            if kind == "DBCluster" and config.get("host"):
                flat = tuple(n for n in NESTED if n != "Endpoint")
                block = _replace(block, "Endpoint", config["host"], flat)
                block = _replace(block, "Port", str(config["port"]), flat)
            return block

        text = re.sub(rf"<{kind}>.*?</{kind}>", rewrite, text, flags=re.S)
        return wsgi.answer(start_response, status, headers, text.encode("utf-8"))
