"""REST API for a transaction's meter values: every stored value (cursor pages, or all of them as CSV), or the
values averaged per time bucket for charts (`?every=60s` or `?points=500`, as JSON or CSV)."""

import re
from collections.abc import Iterator, Sequence

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, serializers
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response

from portal.filters import IsoDateTimeFilter
from portal.pagination import PortalCursorPagination
from portal.renderers import CsvOrJsonMixin, csv_response
from transactions import selectors
from transactions.models import MeterValue
from transactions.selectors import buckets

MAX_POINTS = 10_000
MAX_EVERY_S = 31 * 24 * 3600
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
EVERY_PATTERN = re.compile(r"^(\d{1,7})([smh]?)$")

# --- Serializers ------------------------------------------------------------------------------------------


class MeterValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeterValue
        fields = [
            "id",
            "connector_id",
            "timestamp",
            "received_at",
            "measurand",
            "phase",
            "location",
            "context",
            "format",
            "raw_value",
            "unit",
            "value",
            "si_unit",
            "source",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "value": {"help_text": "The value in si_unit, as a JSON number (raw_value keeps the exact digits sent)."},
            "raw_value": {"help_text": "The value string exactly as the charger sent it, in `unit`."},
        }


class MeterValuePageSerializer(serializers.Serializer):
    """A cursor page of stored values."""

    next = serializers.URLField(allow_null=True, help_text="The next page, null on the last")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, null on the first")
    results = MeterValueSerializer(many=True)


class BucketSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField(help_text="The bucket's start (buckets are aligned on the Unix epoch)")
    value = serializers.FloatField(help_text="The average of the bucket's values, in the series' unit")
    min = serializers.FloatField()
    max = serializers.FloatField()
    samples = serializers.IntegerField(help_text="How many stored values the bucket averages")


class SeriesSerializer(serializers.Serializer):
    measurand = serializers.CharField()
    phase = serializers.CharField(allow_blank=True)
    location = serializers.CharField()
    unit = serializers.CharField(allow_blank=True, help_text="The SI unit of every value (W, Wh, A, V, ...)")
    points = BucketSerializer(many=True, help_text="Only the buckets that hold values, oldest first")


class MeterValueSeriesSerializer(serializers.Serializer):
    """The values averaged per bucket: one series per measurand, phase, location and unit."""

    every_s = serializers.IntegerField(help_text="The bucket width in seconds")
    series = SeriesSerializer(many=True)


class DownsampleQuerySerializer(serializers.Serializer):
    every = serializers.CharField(
        required=False,
        help_text="Average per bucket of this width: seconds, or a number with s, m or h (e.g. 60s, 5m, 1h).",
    )
    points = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_POINTS,
        help_text=f"Average into at most this many buckets over the session (1 to {MAX_POINTS}).",
    )

    def validate_every(self, value: str) -> int:
        match = EVERY_PATTERN.match(value.strip())
        seconds = int(match[1]) * UNIT_SECONDS[match[2] or "s"] if match else 0
        if not 1 <= seconds <= MAX_EVERY_S:
            raise serializers.ValidationError("Give a width like 60s, 5m or 1h (1 s to 31 days).")
        return seconds

    def validate(self, attrs: dict) -> dict:
        if "every" in attrs and "points" in attrs:
            raise serializers.ValidationError({"points": ["Give either every or points, not both."]})
        return attrs


# --- Views ------------------------------------------------------------------------------------------------


class MeterValueFilter(filters.FilterSet):
    since = IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte", help_text="Sampled at or after")
    until = IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt", help_text="Sampled before")

    class Meta:
        model = MeterValue
        fields = ["measurand", "phase", "context", "location", "connector_id", "since", "until"]


BUCKET_COLUMNS = ["timestamp", "measurand", "phase", "location", "unit", "value", "min", "max", "samples"]


@extend_schema(
    summary="The meter values of a transaction (raw, or averaged per bucket for charts)",
    parameters=[
        DownsampleQuerySerializer,
        OpenApiParameter(
            "format",
            OpenApiTypes.STR,
            enum=["json", "csv"],
            description="csv: every matching value (or bucket) as one CSV download instead of JSON pages",
        ),
    ],
    responses={
        200: PolymorphicProxySerializer(
            component_name="MeterValuesOrSeries",
            serializers=[MeterValuePageSerializer, MeterValueSeriesSerializer],
            resource_type_field_name=None,
            many=False,
        )
    },
)
class TransactionMeterValueList(CsvOrJsonMixin, generics.ListAPIView):
    """Every sampled value stored for the transaction, as sent (raw_value, unit) and normalised (value,
    si_unit), oldest first, in cursor pages. With `every` or `points`: the values averaged per time bucket
    (`{"every_s", "series"}`), for charts. With `format=csv`: all of it as one CSV file."""

    # For the permission check, without looking the transaction up first (portal.permissions).
    permission_model = MeterValue
    serializer_class = MeterValueSerializer
    # A long session holds thousands of samples: cursors, pages of up to 1000 (page_size).
    pagination_class = PortalCursorPagination
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = MeterValueFilter
    ordering_fields = ["id", "timestamp", "received_at"]
    ordering = ["timestamp", "id"]

    def get_queryset(self) -> QuerySet[MeterValue]:
        if getattr(self, "swagger_fake_view", False):
            # Schema generation has no transaction id; it only needs the model.
            return MeterValue.objects.none()
        # An unknown transaction is a 404, not an empty page.
        transaction = get_object_or_404(selectors.transaction_list(), pk=self.kwargs["pk"])
        return selectors.meter_value_list(transaction=transaction)

    def list(self, request: Request, pk: str) -> Response:
        query = DownsampleQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = self.filter_queryset(self.get_queryset())
        every_s = query.validated_data.get("every")
        if "points" in query.validated_data:
            every_s = buckets.meter_value_bucket_seconds(values=values, points=query.validated_data["points"])
        if every_s is None:
            return self._stored(values)
        return self._averaged(buckets.meter_value_series(values=values, every_s=every_s), every_s=every_s)

    def _stored(self, values: QuerySet[MeterValue]) -> Response:
        if self.wants_csv():
            fields = MeterValueSerializer.Meta.fields
            rows = ([row[name] for name in fields] for row in self._csv_rows(values.values(*fields).iterator(2000)))
            return csv_response(header=fields, rows=rows, filename=f"transaction-{self.kwargs['pk']}-meter-values.csv")
        page = self.paginate_queryset(values)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @staticmethod
    def _csv_rows(rows: Iterator[dict]) -> Iterator[dict]:
        # CSV holds text: times in ISO 8601 like the JSON, Decimals exact (str).
        for row in rows:
            row["timestamp"] = row["timestamp"].isoformat()
            row["received_at"] = row["received_at"].isoformat()
            yield row

    def _averaged(self, series: Sequence[buckets.Series], *, every_s: int) -> Response:
        if self.wants_csv():
            rows = (
                [p.timestamp.isoformat(), s.measurand, s.phase, s.location, s.unit, p.value, p.min, p.max, p.samples]
                for s in series
                for p in s.points
            )
            name = f"transaction-{self.kwargs['pk']}-meter-values-{every_s}s.csv"
            return csv_response(header=BUCKET_COLUMNS, rows=rows, filename=name)
        return Response(MeterValueSeriesSerializer({"every_s": every_s, "series": series}).data)
