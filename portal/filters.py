"""Filters shared by every app's REST lists (django-filter).

`IsoDateTimeFilter`: django-filter's, with the time moved to UTC before it reaches the database. PostgreSQL
refuses an offset past ±15:59 that ISO 8601 and Python accept ("+21:45"), and a time near year 1 or 9999 may
leave the calendar once moved: both were server errors; now the first works and the second is a 400.
"""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value: object) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(UTC)
        except OverflowError as error:
            raise ValidationError("Enter a time between the years 1 and 9999 in UTC.", code="overflow") from error


class IsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
