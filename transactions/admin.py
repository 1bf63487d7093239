"""Admin of sessions and meter values: read-only records (billing data: no add, no change, no delete), times
with seconds, units in the column names. Sites are edited here too, and on their own pages (/sites/)."""

from django.contrib import admin

from portal.admin_records import RecordAdmin, RecordInline, seconds_shown
from transactions.models import MeterValue, Site, Transaction


@admin.display(description="value (SI unit)")
def si_value(obj: MeterValue) -> str:
    return "" if obj.value is None else f"{obj.value.normalize():f} {obj.si_unit}"


@seconds_shown(MeterValue)
class MeterValueInline(RecordInline):
    model = MeterValue
    fields = ("timestamp", "measurand", "phase", "raw_value", "unit", "si_value", "context", "location")
    ordering = ("timestamp", "measurand", "phase")

    si_value = staticmethod(si_value)


@admin.register(Transaction)
@seconds_shown(Transaction)
class TransactionAdmin(RecordAdmin):
    list_display = (
        "id",
        "charge_point",
        "connector_id",
        "id_tag",
        "id_tag_status",
        "started_at_s",
        "stopped_at_s",
        "meter_start",
        "meter_stop",
        "energy_kwh",
        "stop_reason",
    )
    list_filter = ("id_tag_status", "stop_reason")
    search_fields = ("id", "id_tag", "charge_point__charge_point_id")
    date_hierarchy = "started_at"
    list_select_related = ("charge_point",)
    inlines = [MeterValueInline]
    readonly_fields = ("meter_start", "meter_stop", "energy_kwh")
    exclude = ("meter_start_wh", "meter_stop_wh")

    @admin.display(description="Meter start (Wh)", ordering="meter_start_wh")
    def meter_start(self, obj: Transaction) -> int:
        return obj.meter_start_wh

    @admin.display(description="Meter stop (Wh)", ordering="meter_stop_wh")
    def meter_stop(self, obj: Transaction) -> int | None:
        return obj.meter_stop_wh

    @admin.display(description="Energy (kWh)")
    def energy_kwh(self, obj: Transaction) -> str:
        return "" if obj.energy_wh is None else f"{obj.energy_wh / 1000:.3f}"


@admin.register(MeterValue)
@seconds_shown(MeterValue)
class MeterValueAdmin(RecordAdmin):
    list_display = (
        "timestamp_s",
        "charge_point",
        "connector_id",
        "transaction",
        "measurand",
        "phase",
        "raw_value",
        "unit",
        "si_value",
    )
    list_filter = ("measurand", "si_unit", "context")
    search_fields = ("charge_point__charge_point_id",)
    list_select_related = ("charge_point",)
    show_full_result_count = False
    readonly_fields = ("si_value",)

    si_value = staticmethod(si_value)


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "parent", "grid_limit_a", "grid_limit_kw")
    search_fields = ("name", "address")
    list_filter = ("parent",)
