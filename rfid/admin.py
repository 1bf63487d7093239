"""The admin of id tags: its writes are recorded in the history (source "admin") and reach the local-list sync
like every other tag write; the history itself is read-only."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from rfid.models import IdTag, IdTagChange
from rfid.services import id_tag_delete, id_tag_normalize, id_tag_record_change, id_tag_snapshot

SOURCE = "admin"


@admin.register(IdTag)
class IdTagAdmin(admin.ModelAdmin):
    list_display = ("id_tag", "label", "status", "expires_at", "parent", "user", "updated_at")
    list_filter = ("status",)
    search_fields = ("id_tag", "label", "note", "user__username")
    raw_id_fields = ("parent", "user")
    filter_horizontal = ("allowed_sites", "allowed_charge_points")
    list_select_related = ("parent", "user")

    def save_model(self, request: HttpRequest, obj: IdTag, form, change: bool) -> None:
        obj.id_tag = id_tag_normalize(raw=obj.id_tag)
        # The stored tag as it was (the form has changed `obj` already); the record follows in save_related,
        # once the many-to-many fields are saved too.
        request._id_tag_before = id_tag_snapshot(tag=IdTag.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        id_tag_record_change(tag=form.instance, before=request._id_tag_before, changed_by=request.user, source=SOURCE)

    def delete_model(self, request: HttpRequest, obj: IdTag) -> None:
        id_tag_delete(tag=obj, changed_by=request.user, source=SOURCE)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[IdTag]) -> None:
        for tag in queryset:
            id_tag_delete(tag=tag, changed_by=request.user, source=SOURCE)


@admin.register(IdTagChange)
class IdTagChangeAdmin(admin.ModelAdmin):
    list_display = ("at", "id_tag", "action", "user", "source", "changes")
    list_filter = ("action", "source")
    search_fields = ("id_tag",)
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
