"""Alerts in the admin: read only (they are raised and cleared by the rules), and the operators' subscriptions."""

from django.contrib import admin
from django.http import HttpRequest

from alerts.models import Alert, Subscription


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("kind", "message", "charge_point", "site", "raised_at", "cleared_at", "acknowledged_by")
    list_filter = ("kind", ("cleared_at", admin.EmptyFieldListFilter))
    search_fields = ("message", "charge_point__charge_point_id", "site__name")
    list_select_related = ("charge_point", "site", "acknowledged_by")
    readonly_fields = [field.name for field in Alert._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "kinds", "email", "updated_at")
    list_select_related = ("user",)
    filter_horizontal = ("sites",)
