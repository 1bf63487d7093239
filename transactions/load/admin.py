"""Admin of load management: how it sees each charger (phases, wiring, maximum current, priority). Registered
through transactions/admin.py (Django's autodiscovery imports an app's admin module only)."""

from django.contrib import admin

from transactions.load.models import LoadPoint


@admin.register(LoadPoint)
class LoadPointAdmin(admin.ModelAdmin):
    list_display = ("charge_point", "phases", "phase", "max_current_a", "priority")
    list_filter = ("phases", "priority")
    search_fields = ("charge_point__charge_point_id",)
    raw_id_fields = ("charge_point",)
