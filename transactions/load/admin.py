"""Admin of load management: how it sees each charger (phases, wiring, maximum current, priority). Registered
through transactions/admin.py (Django's autodiscovery imports an app's admin module only)."""

from django.contrib import admin

from transactions.load.models import BuildingReading, LoadPoint


@admin.register(LoadPoint)
class LoadPointAdmin(admin.ModelAdmin):
    list_display = ("charge_point", "phases", "phase", "max_current_a", "priority")
    list_filter = ("phases", "priority")
    search_fields = ("charge_point__charge_point_id",)
    raw_id_fields = ("charge_point",)


@admin.register(BuildingReading)
class BuildingReadingAdmin(admin.ModelAdmin):
    """The readings integrators posted (pruned with the history after settings.LOAD_HISTORY_DAYS)."""

    list_display = ("site", "measured_at", "l1_a", "l2_a", "l3_a")
    list_filter = ("site",)
    date_hierarchy = "measured_at"
