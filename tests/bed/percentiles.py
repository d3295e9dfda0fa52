"""Percentile statistics (`p95`, `p99.9`, …) in GetMetricData, which moto
answers with HTTP 500: computed here from the raw datapoints moto stores.

Each period's value is the nearest-rank percentile of the datapoints in
[period start, period start + Period): the smallest value with at least p %
of the datapoints at or below it. (CloudWatch estimates percentiles; tests
seed values whose percentile is unambiguous.) Periods start at StartTime and
EndTime is exclusive, as in AWS; periods without datapoints are left out.
"""

import datetime
import math
import re

PERCENTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")
ACCOUNT = "123456789012"


def is_percentile(query):
    stat = (query.get("MetricStat") or {}).get("Stat", "")
    return bool(PERCENTILE.match(stat))


def seconds(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    return float(value)


def nearest_rank(values, p):
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


def compute(query, start, end, scan_by, region):
    from moto.cloudwatch.models import MetricDatum, cloudwatch_backends

    backend = cloudwatch_backends[ACCOUNT][region]
    stat = query["MetricStat"]
    metric = stat["Metric"]
    wanted = sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
    p = float(PERCENTILE.match(stat["Stat"]).group(1))
    period = int(stat["Period"])
    unit = stat.get("Unit")
    points = [
        (seconds(md.timestamp), md.value)
        for md in backend.metric_data
        if isinstance(md, MetricDatum)
        and md.namespace == metric["Namespace"]
        and md.name == metric["MetricName"]
        and sorted((d.name, d.value) for d in md.dimensions) == wanted
        and (unit is None or md.unit == unit)
    ]
    start, end = seconds(start), seconds(end)
    timestamps, values = [], []
    t = start
    while t < end:
        bucket = [v for (at, v) in points if t <= at < min(t + period, end)]
        if bucket:
            timestamps.append(t)
            values.append(nearest_rank(bucket, p))
        t += period
    if scan_by != "TimestampAscending":
        timestamps.reverse()
        values.reverse()
    return {
        "Id": query["Id"],
        "Label": query.get("Label") or metric["MetricName"],
        "Timestamps": timestamps,
        "Values": values,
        "StatusCode": "Complete",
    }
