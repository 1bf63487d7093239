"""What the admin shows of records (transactions, meter values, the message log, commands): read-only, times
with seconds. Shared by the apps' admin modules."""

from collections.abc import Callable
from datetime import datetime

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

SECONDS_SUFFIX = "_s"


def with_seconds(value: datetime | None) -> str:
    # Django's locale formats ("Dec. 1, 2026, 3:08 a.m.") drop the seconds, which is what an operator matching a
    # frame to a log line needs.
    return "" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def time_column(name: str, description: str) -> Callable[[models.Model], str]:
    @admin.display(description=description, ordering=name)
    def column(obj: models.Model) -> str:
        return with_seconds(getattr(obj, name))

    return column


def seconds_shown(model: type[models.Model]) -> Callable[[type], type]:
    """A class decorator for the admin of `model`: each DateTimeField `x` gets a column `x_s` with seconds, which
    list_display may name (ReadOnlyRecords puts them on the record's page by itself)."""

    def decorate(cls: type) -> type:
        for field in model._meta.fields:
            if isinstance(field, models.DateTimeField) and not hasattr(cls, field.name + SECONDS_SUFFIX):
                setattr(cls, field.name + SECONDS_SUFFIX, staticmethod(time_column(field.name, field.verbose_name)))
        return cls

    return decorate


def _record_fields(model_admin: admin.options.BaseModelAdmin) -> list[str]:
    """The fields of a record's page, all read-only: the admin's `fields`, else every model field not excluded,
    then its computed read-only columns; times swapped for their columns with seconds. (Not Django's own
    get_fields: that asks get_readonly_fields, which here asks this.)"""
    model = model_admin.model
    excluded = model_admin.exclude or ()
    names = list(model_admin.fields or [f.name for f in model._meta.fields if f.name not in excluded])
    model_fields = {f.name for f in model._meta.fields}
    names += [name for name in model_admin.readonly_fields if name not in model_fields and name not in names]
    times = {f.name for f in model._meta.fields if isinstance(f, models.DateTimeField)}
    return [f"{name}{SECONDS_SUFFIX}" if name in times else name for name in names]


class ReadOnlyRecords:
    """Records of what happened (billing data, the charger's own words): no add, no change, no delete, for anyone;
    whoever may view the model sees them, every field read-only, times with seconds (decorate the admin class
    with `seconds_shown`)."""

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list[str]:
        return _record_fields(self)

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list[str]:
        return _record_fields(self)


class RecordAdmin(ReadOnlyRecords, admin.ModelAdmin):
    pass


class RecordInline(ReadOnlyRecords, admin.TabularInline):
    extra = 0
    max_num = 0
