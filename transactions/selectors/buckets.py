"""A session's meter values averaged per time bucket, for charts (the API's `?every=` and `?points=`)."""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db.models import Max, Min, QuerySet

from transactions.models import MeterValue


@dataclass(frozen=True, slots=True)
class Bucket:
    """The values of one measurand within one time bucket: their average (what a chart draws), min and max."""

    timestamp: datetime  # the bucket's start
    value: Decimal
    min: Decimal
    max: Decimal
    samples: int


@dataclass(frozen=True, slots=True)
class Series:
    measurand: str
    phase: str
    location: str
    unit: str  # the SI unit every value of the series is in
    points: list[Bucket]


def meter_value_bucket_seconds(*, values: QuerySet[MeterValue], points: int) -> int:
    """The bucket width that draws these values' time span in at most `points` buckets (at least 1 s)."""
    span = values.aggregate(first=Min("timestamp"), last=Max("timestamp"))
    if span["first"] is None:
        return 1
    seconds = (span["last"] - span["first"]).total_seconds()
    return max(1, math.ceil((seconds + 1) / points))


def meter_value_series(*, values: QuerySet[MeterValue], every_s: int) -> list[Series]:
    """These values averaged per `every_s` seconds, one series per measurand, phase, location and unit, for
    charts. Buckets are aligned on the Unix epoch (a 60 s bucket starts on the minute) and only buckets that
    hold values are returned. Values that could not be read (value null) are left out."""
    rows = (
        values.filter(value__isnull=False)
        .order_by()
        .values_list("measurand", "phase", "location", "si_unit", "timestamp", "value")
    )
    buckets: dict[tuple[str, str, str, str], dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for measurand, phase, location, unit, timestamp, value in rows.iterator(chunk_size=5000):
        buckets[(measurand, phase, location, unit)][int(timestamp.timestamp()) // every_s].append(value)
    return [
        Series(*key, points=[_bucket(index * every_s, found) for index, found in sorted(by_index.items())])
        for key, by_index in sorted(buckets.items())
    ]


def _bucket(start_s: int, values: list[Decimal]) -> Bucket:
    return Bucket(
        timestamp=datetime.fromtimestamp(start_s, tz=UTC),
        value=sum(values, Decimal(0)) / len(values),
        min=min(values),
        max=max(values),
        samples=len(values),
    )
