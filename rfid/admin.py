from django.contrib import admin

from rfid.models import IdTag
from rfid.services import id_tag_normalize


@admin.register(IdTag)
class IdTagAdmin(admin.ModelAdmin):
    list_display = ("id_tag", "status", "expires_at", "parent", "user", "note")
    list_filter = ("status",)
    search_fields = ("id_tag", "note")
    raw_id_fields = ("parent", "user")

    def save_model(self, request, obj: IdTag, form, change: bool) -> None:
        obj.id_tag = id_tag_normalize(raw=obj.id_tag)
        super().save_model(request, obj, form, change)
