"""Admin of webhooks (the secret is shown once, when one is added) and their delivery attempts (read only)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Field
from django.forms import Field as FormField
from django.forms import ModelForm
from django.http import HttpRequest

from webhooks import services
from webhooks.models import Delivery, Webhook


def _https_by_default(db_field: Field, **kwargs: object) -> FormField | None:
    if db_field.name == "url":
        kwargs["assume_scheme"] = "https"  # what Django 6 will assume for "example.com/hook"
    return db_field.formfield(**kwargs)


class WebhookForm(ModelForm):
    class Meta:
        model = Webhook
        fields = services.EDITABLE
        formfield_callback = _https_by_default

    def clean_events(self) -> list[str]:
        try:
            return services.events_clean(events=self.cleaned_data["events"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["events"]) from error


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ("url", "events", "active", "owner", "retry_at", "created_at")
    list_filter = ("active",)
    search_fields = ("url", "description", "owner__username")
    list_select_related = ("owner",)
    fields = ("url", "events", "description", "active", "owner", "retry_at", "created_at")
    readonly_fields = ("owner", "retry_at", "created_at")

    def formfield_for_dbfield(self, db_field: Field, request: HttpRequest, **kwargs: object) -> FormField | None:
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"  # what Django 6 will assume for "example.com/hook"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Webhook, form: ModelForm, change: bool) -> None:
        values = {field: form.cleaned_data[field] for field in services.EDITABLE}
        if change:
            services.webhook_update(webhook=obj, **{field: values[field] for field in form.changed_data})
            return
        webhook, secret = services.webhook_create(owner=request.user, **values)
        obj.pk = webhook.pk
        # The one time the secret is shown; only the receiver needs it afterwards.
        self.message_user(request, f"The webhook's secret (shown this once): {secret}", messages.WARNING)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("event_name", "event_id", "webhook", "attempt", "state", "status_code", "attempted_at")
    list_filter = ("state", "event_name")
    search_fields = ("event_id", "webhook__url")
    list_select_related = ("webhook",)
    readonly_fields = [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # deliveries are made by published events

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False
