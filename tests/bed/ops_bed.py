"""What ops-action relies on and moto lacks or gets wrong, served as AWS does
(each measured against moto 5.2.5):

Lambda
  - GetAccountSettings (moto: 404): ConcurrentExecutions is the account's
    quota (MOTO_LAMBDA_CONCURRENCY_QUOTA, which also makes moto keep 100
    unreserved on PutFunctionConcurrency), UnreservedConcurrentExecutions is
    the quota less every function's reserved concurrency.
  - Provisioned concurrency (moto: 404): Put / Get / Delete / List, kept here;
    Put refuses $LATEST, an unknown alias or version, a count under 1, more
    than the function's reserved concurrency (with its other qualifiers) or
    than the unreserved pool less 100, and answers IN_PROGRESS; Get answers
    READY, or ProvisionedConcurrencyConfigNotFoundException.
  - PutFunctionConcurrency below the function's provisioned total is refused.
RDS
  - RestoreDBClusterFromSnapshot onto an existing cluster id:
    DBClusterAlreadyExistsFault, nothing changed (moto replaces the cluster).
  - ModifyDBCluster: capacity in half steps, max ≤ 256, and ≤ 128 on engine
    versions that cap there (before 15.5 / 16.1), as InvalidParameterCombination.
CloudFront
  - Cache policies (moto has none): Get / Update with ETag and If-Match
    (PreconditionFailed), MinTTL ≤ DefaultTTL ≤ MaxTTL (InvalidArgument);
    seeded with POST /_bed/cloudfront/cache-policies {"id", "name", "min_ttl",
    "default_ttl", "max_ttl"}.
  - CreateInvalidation with a caller reference already used for the same
    paths returns that invalidation instead of a new one.
"""

import datetime
import io
import json
import os
import re
import threading
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import wsgi

ACCOUNT = "123456789012"
PROVISIONED = re.compile(r"^/2019-09-30/functions/([^/]+)/provisioned-concurrency$")
CONCURRENCY = re.compile(r"^/2017-10-31/functions/([^/]+)/concurrency$")
CACHE_POLICY = re.compile(r"^/2020-05-31/cache-policy/([^/]+)$")
INVALIDATION = re.compile(r"^/2020-05-31/distribution/([^/]+)/invalidation$")
CF_NS = "http://cloudfront.amazonaws.com/doc/2020-05-31/"


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def region_of(environ):
    m = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return m.group(1) if m else "ap-northeast-1"


def read_body(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def lambda_error(start_response, status, code, message):
    body = json.dumps({"Type": "User", "message": message}).encode()
    return wsgi.answer(start_response, status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)], body)


def json_reply(start_response, status, payload):
    return wsgi.answer(start_response, status, [("Content-Type", "application/json")], json.dumps(payload).encode())


def xml_error(start_response, status, code, message, namespace):
    body = (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()
    return wsgi.answer(start_response, status, [("Content-Type", "text/xml")], body)


class OpsBed:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.provisioned = {}  # (function name, qualifier) -> count
        self.cache_policies = {}  # id -> {"etag", "config": dict}
        self.invalidations = {}  # (distribution, caller reference) -> (paths, status, headers, body)

    def __call__(self, environ, start_response):
        path = urllib.parse.unquote(environ.get("PATH_INFO", ""))
        method = environ.get("REQUEST_METHOD")
        if path == "/_bed/cloudfront/cache-policies" and method == "POST":
            policy = json.loads(read_body(environ) or b"{}")
            with self.lock:
                self.cache_policies[policy["id"]] = {
                    "etag": uuid.uuid4().hex[:14].upper(),
                    "config": {"Name": policy.get("name", policy["id"]), "MinTTL": int(policy.get("min_ttl", 1)),
                               "DefaultTTL": int(policy.get("default_ttl", 86400)),
                               "MaxTTL": int(policy.get("max_ttl", 31536000))},
                }
            return json_reply(start_response, "200 OK", {"ok": True})
        if path == "/2016-08-19/account-settings" or path == "/2016-08-19/account-settings/":
            return self.account_settings(environ, start_response)
        m = PROVISIONED.match(path)
        if m:
            return self.provisioned_concurrency(environ, start_response, m.group(1).rsplit(":", 1)[-1] if m.group(1).startswith("arn:") else m.group(1))
        m = CONCURRENCY.match(path)
        if m and method == "PUT":
            refused = self.reserved_below_provisioned(environ, m.group(1), start_response)
            if refused is not None:
                return refused
        form = environ.get("bed.form_body")
        if form is not None:
            refused = self.rds(environ, start_response, urllib.parse.parse_qs(form.decode("utf-8", "replace")))
            if refused is not None:
                return refused
        m = CACHE_POLICY.match(path)
        if m:
            return self.cache_policy(environ, start_response, m.group(1))
        m = INVALIDATION.match(path)
        if m and method == "POST":
            return self.invalidation(environ, start_response, m.group(1))
        return self.app(environ, start_response)

    # ----------------------------------------------------------- Lambda

    def backend(self, environ):
        from moto.awslambda.models import lambda_backends

        return lambda_backends[ACCOUNT][region_of(environ)]

    def quota(self):
        return int(os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA", "1000"))

    def unreserved(self, backend):
        reserved = sum(int(f.reserved_concurrency or 0) for f in backend.list_functions())
        return self.quota() - reserved

    def account_settings(self, environ, start_response):
        backend = self.backend(environ)
        functions = list(backend.list_functions())
        return json_reply(start_response, "200 OK", {
            "AccountLimit": {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": 262144000,
                             "CodeSizeZipped": 52428800, "ConcurrentExecutions": self.quota(),
                             "UnreservedConcurrentExecutions": self.unreserved(backend)},
            "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": len(functions)},
        })

    def function(self, environ, name, qualifier=None):
        try:
            return self.backend(environ).get_function(name, qualifier)
        except Exception:  # moto raises its own not-found types
            return None

    def provisioned_total(self, name, but=None):
        with self.lock:
            return sum(n for (f, q), n in self.provisioned.items() if f == name and q != but)

    def reserved_below_provisioned(self, environ, name, start_response):
        body = read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            reserved = int(json.loads(body or b"{}").get("ReservedConcurrentExecutions"))
        except (TypeError, ValueError):
            return None
        provisioned = self.provisioned_total(name.rsplit(":", 1)[-1] if name.startswith("arn:") else name)
        if reserved < provisioned:
            return lambda_error(start_response, "400 Bad Request", "InvalidParameterValueException",
                                f"ReservedConcurrentExecutions {reserved} is below the function's provisioned concurrency {provisioned}.")
        return None

    def config_of(self, fn, qualifier, count, status):
        return {
            "FunctionArn": f"{fn.function_arn}:{qualifier}" if not fn.function_arn.endswith(f":{qualifier}") else fn.function_arn,
            "RequestedProvisionedConcurrentExecutions": count,
            "AvailableProvisionedConcurrentExecutions": count if status == "READY" else 0,
            "AllocatedProvisionedConcurrentExecutions": count if status == "READY" else 0,
            "Status": status,
            "LastModified": now_iso(),
        }

    def provisioned_concurrency(self, environ, start_response, name):
        method = environ.get("REQUEST_METHOD")
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        qualifier = (query.get("Qualifier") or [None])[0]
        fn = self.function(environ, name)
        if fn is None:
            return lambda_error(start_response, "404 Not Found", "ResourceNotFoundException", f"Function not found: {name}")
        if method == "GET" and "List" in query:
            with self.lock:
                configs = [self.config_of(fn, q, n, "READY") for (f, q), n in sorted(self.provisioned.items()) if f == name]
            return json_reply(start_response, "200 OK", {"ProvisionedConcurrencyConfigs": configs})
        if not qualifier:
            return lambda_error(start_response, "400 Bad Request", "InvalidParameterValueException", "Qualifier is required.")
        key = (name, qualifier)
        if method == "GET":
            with self.lock:
                count = self.provisioned.get(key)
            if count is None:
                return lambda_error(start_response, "404 Not Found", "ProvisionedConcurrencyConfigNotFoundException",
                                    "No Provisioned Concurrency Config found for this function")
            return json_reply(start_response, "200 OK", {k: v for k, v in self.config_of(fn, qualifier, count, "READY").items() if k != "FunctionArn"})
        if method == "DELETE":
            with self.lock:
                found = self.provisioned.pop(key, None)
            if found is None:
                return lambda_error(start_response, "404 Not Found", "ProvisionedConcurrencyConfigNotFoundException",
                                    "No Provisioned Concurrency Config found for this function")
            return wsgi.answer(start_response, "204 No Content", [], b"")
        if method != "PUT":
            return self.app(environ, start_response)
        if qualifier == "$LATEST":
            return lambda_error(start_response, "400 Bad Request", "InvalidParameterValueException",
                                "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
        if self.function(environ, name, qualifier) is None:
            return lambda_error(start_response, "404 Not Found", "ResourceNotFoundException",
                                f"Function not found: {fn.function_arn}:{qualifier}")
        try:
            count = int(json.loads(read_body(environ) or b"{}")["ProvisionedConcurrentExecutions"])
        except (KeyError, TypeError, ValueError):
            return lambda_error(start_response, "400 Bad Request", "InvalidParameterValueException",
                                "ProvisionedConcurrentExecutions is required.")
        if count < 1:
            return lambda_error(start_response, "400 Bad Request", "InvalidParameterValueException",
                                "ProvisionedConcurrentExecutions must be at least 1.")
        others = self.provisioned_total(name, but=qualifier)
        reserved = fn.reserved_concurrency
        if reserved is not None and count + others > int(reserved):
            return lambda_error(start_response, "400 Bad Request", "InvalidParameterValueException",
                                "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function")
        if reserved is None and count > self.unreserved(self.backend(environ)) - 100:
            return lambda_error(start_response, "400 Bad Request", "InvalidParameterValueException",
                                "Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [100].")
        with self.lock:
            self.provisioned[key] = count
        return json_reply(start_response, "202 Accepted",
                          {k: v for k, v in self.config_of(fn, qualifier, count, "IN_PROGRESS").items() if k != "FunctionArn"})

    # -------------------------------------------------------------- RDS

    def rds(self, environ, start_response, form):
        action = (form.get("Action") or [None])[0]
        if action not in ("RestoreDBClusterFromSnapshot", "ModifyDBCluster"):
            return None
        from moto.rds.models import rds_backends

        backend = rds_backends[ACCOUNT][region_of(environ)]
        cluster_id = (form.get("DBClusterIdentifier") or [""])[0]
        ns = "http://rds.amazonaws.com/doc/2014-10-31/"
        if action == "RestoreDBClusterFromSnapshot":
            if cluster_id.lower() in backend.clusters:
                return xml_error(start_response, "400 Bad Request", "DBClusterAlreadyExistsFault",
                                 f"DB cluster already exists: {cluster_id}", ns)
            return None
        max_capacity = (form.get("ServerlessV2ScalingConfiguration.MaxCapacity") or [None])[0]
        min_capacity = (form.get("ServerlessV2ScalingConfiguration.MinCapacity") or [None])[0]
        for value in (max_capacity, min_capacity):
            if value is not None and (float(value) * 2) % 1 != 0:
                return xml_error(start_response, "400 Bad Request", "InvalidParameterValue",
                                 "Capacity must be in increments of 0.5 ACU.", ns)
        cluster = backend.clusters.get(cluster_id.lower())
        if max_capacity is None or cluster is None:
            return None
        version = str(getattr(cluster, "engine_version", "") or "")
        caps_at_128 = re.match(r"^(1[0-4]\.|15\.[0-4]\b|16\.0\b)", version)
        cap = 128.0 if caps_at_128 else 256.0
        if float(max_capacity) > cap:
            return xml_error(start_response, "400 Bad Request", "InvalidParameterCombination",
                             f"The maximum capacity for engine version {version} is {cap:g} ACUs.", ns)
        return None

    # ------------------------------------------------------- CloudFront

    def policy_xml(self, policy_id, policy):
        c = policy["config"]
        return (
            f'<?xml version="1.0"?>\n<CachePolicy xmlns="{CF_NS}"><Id>{policy_id}</Id>'
            f"<LastModifiedTime>{datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z')}</LastModifiedTime>"
            f"<CachePolicyConfig><Comment></Comment><Name>{c['Name']}</Name><DefaultTTL>{c['DefaultTTL']}</DefaultTTL>"
            f"<MaxTTL>{c['MaxTTL']}</MaxTTL><MinTTL>{c['MinTTL']}</MinTTL>"
            "<ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>true</EnableAcceptEncodingGzip>"
            "<EnableAcceptEncodingBrotli>true</EnableAcceptEncodingBrotli>"
            "<HeadersConfig><HeaderBehavior>none</HeaderBehavior></HeadersConfig>"
            "<CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig>"
            "<QueryStringsConfig><QueryStringBehavior>none</QueryStringBehavior></QueryStringsConfig>"
            "</ParametersInCacheKeyAndForwardedToOrigin></CachePolicyConfig></CachePolicy>"
        ).encode()

    def cf_error(self, start_response, status, code, message):
        body = (
            f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{CF_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        ).encode()
        return wsgi.answer(start_response, status, [("Content-Type", "text/xml")], body)

    def cache_policy(self, environ, start_response, policy_id):
        method = environ.get("REQUEST_METHOD")
        with self.lock:
            policy = self.cache_policies.get(policy_id)
            if policy is None:
                return self.cf_error(start_response, "404 Not Found", "NoSuchCachePolicy", "The cache policy does not exist.")
            if method == "PUT":
                if environ.get("HTTP_IF_MATCH") != policy["etag"]:
                    return self.cf_error(start_response, "412 Precondition Failed", "PreconditionFailed",
                                         "The If-Match version is missing or not valid for the resource.")
                root = ET.fromstring(read_body(environ))
                get = lambda tag: root.findtext(f"{{{CF_NS}}}{tag}") or root.findtext(tag)
                config = dict(policy["config"])
                for tag in ("MinTTL", "DefaultTTL", "MaxTTL"):
                    if get(tag) is not None:
                        config[tag] = int(get(tag))
                if get("Name"):
                    config["Name"] = get("Name")
                if not config["MinTTL"] <= config["DefaultTTL"] <= config["MaxTTL"]:
                    return self.cf_error(start_response, "400 Bad Request", "InvalidArgument",
                                         "MinTTL must be at most DefaultTTL, and DefaultTTL at most MaxTTL.")
                policy["config"] = config
                policy["etag"] = uuid.uuid4().hex[:14].upper()
            elif method != "GET":
                return self.cf_error(start_response, "400 Bad Request", "InvalidArgument", "unsupported")
            body, etag = self.policy_xml(policy_id, policy), policy["etag"]
        return wsgi.answer(start_response, "200 OK", [("Content-Type", "text/xml"), ("ETag", etag)], body)

    def invalidation(self, environ, start_response, distribution):
        body = read_body(environ)
        try:
            root = ET.fromstring(body)
            reference = root.findtext(f"{{{CF_NS}}}CallerReference") or root.findtext("CallerReference")
            paths = sorted(p.text for p in root.iter() if p.tag.endswith("Path"))
        except ET.ParseError:
            reference, paths = None, []
        key = (distribution, reference)
        with self.lock:
            seen = self.invalidations.get(key)
        if seen is not None:
            if seen[0] != paths:
                return self.cf_error(start_response, "409 Conflict", "InvalidationBatchAlreadyExists",
                                     "A different invalidation batch was sent with this caller reference.")
            return wsgi.answer(start_response, seen[1], seen[2], seen[3])
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        status, headers, reply = wsgi.call(self.app, environ)
        if status.startswith("2") and reference:
            with self.lock:
                self.invalidations[key] = (paths, status, headers, reply)
        return wsgi.answer(start_response, status, headers, reply)
