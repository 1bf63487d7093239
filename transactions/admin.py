from django.contrib import admin

from transactions.models import MeterValue, Site, Transaction


class MeterValueInline(admin.TabularInline):
    model = MeterValue
    extra = 0
    can_delete = False
    fields = (
        "timestamp",
        "measurand",
        "phase",
        "raw_value",
        "unit",
        "value",
        "si_unit",
        "context",
        "location",
    )
    readonly_fields = fields
    ordering = ("timestamp", "measurand", "phase")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "charge_point",
        "connector_id",
        "id_tag",
        "id_tag_status",
        "started_at",
        "stopped_at",
        "meter_start_wh",
        "meter_stop_wh",
        "stop_reason",
    )
    list_filter = ("id_tag_status", "stop_reason")
    search_fields = ("id", "id_tag", "charge_point__charge_point_id")
    date_hierarchy = "started_at"
    list_select_related = ("charge_point",)
    inlines = [MeterValueInline]
    readonly_fields = [f.name for f in Transaction._meta.fields]


@admin.register(MeterValue)
class MeterValueAdmin(admin.ModelAdmin):
    list_display = (
        "timestamp",
        "charge_point",
        "connector_id",
        "transaction",
        "measurand",
        "phase",
        "raw_value",
        "unit",
        "value",
        "si_unit",
    )
    list_filter = ("measurand", "si_unit", "context")
    search_fields = ("charge_point__charge_point_id",)
    list_select_related = ("charge_point",)
    show_full_result_count = False
    raw_id_fields = ("transaction", "charge_point")


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "address", "parent", "grid_limit_a", "grid_limit_kw")
    search_fields = ("name", "address")
    list_filter = ("parent",)
