"""Admin of API keys: listed by prefix, revocable, never shown (only a hash is stored). And django-celery-beat's
task admin, whose actions (enable, disable, toggle, run now) would otherwise be offered to anyone who may only
view tasks."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django_celery_beat import admin as celery_beat_admin
from django_celery_beat.models import PeriodicTask

from portal.models import ApiKey
from portal.services import api_keys_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "scopes", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    fields = ("prefix", "name", "user", "scopes", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a key is made with `manage.py api_token <user>`, which shows it once

    def has_change_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False  # nothing to edit; revoking is an action

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("portal.change_apikey")

    @admin.action(description="Revoke the selected API keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = api_keys_revoke(keys=queryset)
        self.message_user(request, f"{revoked} API key(s) revoked", messages.SUCCESS)


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(celery_beat_admin.PeriodicTaskAdmin):
    def get_actions(self, request: HttpRequest) -> dict:
        # Every one of its actions changes tasks (or runs one now): none without the permission to change them.
        return super().get_actions(request) if self.has_change_permission(request) else {}
