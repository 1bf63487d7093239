"""Admin for remote commands: the audit trail, and a typed form to send any operation to one charger or many."""

import json

from django.contrib import admin, messages
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html

from chargers.actions import CENTRAL_ACTIONS
from chargers.commands.forms import action_form_class, command_payload
from chargers.commands.models import Command, CommandBatch, ConfigurationKey, Reservation
from chargers.commands.services import command_batch_create, command_cancel, command_create, command_supported
from chargers.models import ChargePoint
from chargers.ocpp.results import request_problem
from chargers.ocpp.schemas import request_schema
from chargers.ocpp.timestamps import format_timestamp
from chargers.redaction import redact
from portal.admin_records import RecordAdmin, RecordInline, seconds_shown


@admin.register(Command)
@seconds_shown(Command)
class CommandAdmin(RecordAdmin):
    """The audit trail of commands: read-only (RecordAdmin); cancelling one not sent yet is an action, for
    whoever may change commands."""

    list_display = (
        "created_at_s",
        "charge_point",
        "action",
        "status_badge",
        "requested_by",
        "requested_via",
        "sent_at_s",
        "answered_at_s",
        "short_response",
    )
    list_filter = ("status", "action", "requested_via")
    search_fields = ("charge_point__charge_point_id", "action", "unique_id")
    date_hierarchy = "created_at"
    list_select_related = ("charge_point", "requested_by")
    # payload and response through `redact`: a queued ChangeConfiguration still holds the AuthorizationKey it
    # is to send (chargers/commands/secrets.py).
    readonly_fields = [
        *(f.name for f in Command._meta.fields if f.name not in ("payload", "response")),
        "shown_payload",
        "shown_response",
    ]
    exclude = ("payload", "response")
    actions = ["cancel"]

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        # Commands are sent with the form (chargers: "Send a command"), never added or edited here.
        return request.user.has_perm("chargers.change_command")

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Command) -> str:
        colour = {"accepted": "#1a7f37", "rejected": "#b35900", "queued": "#555", "sent": "#0550ae"}.get(
            obj.status, "#cf222e"
        )
        return format_html('<b style="color:{}">{}</b>', colour, obj.status)

    @admin.display(description="payload")
    def shown_payload(self, obj: Command) -> str:
        return json.dumps(redact(obj.action, obj.payload))

    @admin.display(description="response")
    def shown_response(self, obj: Command) -> str:
        return "" if obj.response is None else json.dumps(redact(obj.action, obj.response))

    @admin.display(description="answer")
    def short_response(self, obj: Command) -> str:
        if obj.error_code or obj.error_description:
            return f"{obj.error_code} {obj.error_description}".strip()[:80]
        return self.shown_response(obj)[:80]

    @admin.action(description="Cancel the selected commands (if not sent yet)", permissions=["cancel"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Command]) -> None:
        cancelled = sum(command_cancel(command=command) for command in queryset)
        self.message_user(request, f"{cancelled} command(s) cancelled", messages.SUCCESS)


@seconds_shown(Command)
class CommandInline(RecordInline):
    model = Command
    fields = ("created_at", "action", "status", "shown_response", "error_code", "error_description", "answered_at")
    ordering = ("-created_at",)
    show_change_link = True

    @admin.display(description="response")
    def shown_response(self, obj: Command) -> str:
        # Through `redact`, as on the command's own page.
        return "" if obj.response is None else json.dumps(redact(obj.action, obj.response))


class ConfigurationKeyInline(admin.TabularInline):
    model = ConfigurationKey
    extra = 0
    can_delete = False
    fields = ("key", "value", "readonly", "updated_at")
    readonly_fields = fields
    max_num = 0


@admin.register(CommandBatch)
class CommandBatchAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "description", "requested_by", "progress")
    readonly_fields = ("action", "payload", "description", "requested_by", "created_at")

    @admin.display(description="answered / total")
    def progress(self, obj: CommandBatch) -> str:
        commands = list(obj.commands.values_list("status", flat=True))
        answered = sum(status not in ("queued", "sent") for status in commands)
        url = reverse("admin:chargers_command_changelist") + f"?batch__id__exact={obj.pk}"
        return format_html('<a href="{}">{} / {}</a>', url, answered, len(commands))


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = ("id", "charge_point", "connector_id", "id_tag", "expires_at", "status")
    list_filter = ("status",)
    raw_id_fields = ("charge_point",)


# Sending a command adds a Command row: the permission the REST API asks for too (portal.permissions).
SEND_COMMAND_PERMISSION = "chargers.add_command"


def user_may_send_commands(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.has_perm(SEND_COMMAND_PERMISSION)


def send_command_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """Step 1: pick the operation (unsupported ones greyed out); step 2: its typed form; then queue."""
    if not user_may_send_commands(request.user):
        raise PermissionDenied("Sending commands needs the permission to add commands (viewers may not).")
    ids = [int(pk) for pk in request.GET.get("ids", "").split(",") if pk.isdigit()]
    chargers = list(ChargePoint.objects.filter(pk__in=ids))
    if not chargers:
        model_admin.message_user(request, "Select one or more chargers first", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:chargers_chargepoint_changelist"))
    action = request.GET.get("action", "")
    context = {
        **model_admin.admin_site.each_context(request),
        "chargers": chargers,
        "opts": model_admin.model._meta,
        "title": "Send a command",
        "actions_available": _action_choices(chargers),
    }
    if action not in CENTRAL_ACTIONS:
        return render(request, "admin/chargers/send_command.html", context)
    form_class = action_form_class(action=action, schema=request_schema(action))
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = command_payload(
            schema=form_class.json_schema, cleaned_data=form.cleaned_data, format_time=format_timestamp
        )
        try:
            return _queue(model_admin, request, chargers, action, data)
        except ValidationError as error:
            for message in [m for ms in error.message_dict.values() for m in ms]:
                form.add_error(None, message)
    return render(request, "admin/chargers/send_command.html", {**context, "action": action, "form": form})


def _action_choices(chargers: list[ChargePoint]) -> list[tuple[str, bool, str]]:
    """(action, enabled, why not) for the select; with many chargers everything is offered and each charger
    that cannot take it is reported."""
    choices = []
    for action in sorted(CENTRAL_ACTIONS):
        if len(chargers) == 1:
            supported, reason = command_supported(charge_point=chargers[0], action=action)
        else:
            supported, reason = True, ""
        choices.append((action, supported, reason))
    return choices


def _queue(
    model_admin: admin.ModelAdmin, request: HttpRequest, chargers: list[ChargePoint], action: str, data: dict
) -> HttpResponse:
    changelist = reverse("admin:chargers_command_changelist")
    if len(chargers) == 1:
        command = command_create(
            charge_point=chargers[0],
            action=action,
            payload=data,
            check_payload=request_problem,
            requested_by=request.user,
            requested_via="admin",
        )
        model_admin.message_user(request, f"{action} queued for {chargers[0]}", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:chargers_command_change", args=[command.pk]))
    batch, refused = command_batch_create(
        charge_points=chargers,
        action=action,
        payload=data,
        check_payload=request_problem,
        requested_by=request.user,
        requested_via="admin",
        description=f"{len(chargers)} chargers chosen in the admin",
    )
    for charge_point_id, reasons in refused.items():
        model_admin.message_user(request, f"{charge_point_id}: {'; '.join(reasons)}", messages.WARNING)
    model_admin.message_user(
        request, f"{action} queued for {len(chargers) - len(refused)} charger(s)", messages.SUCCESS
    )
    return HttpResponseRedirect(f"{changelist}?batch__id__exact={batch.pk}")


def command_urls(model_admin: admin.ModelAdmin) -> list:
    view = model_admin.admin_site.admin_view(lambda request: send_command_view(model_admin, request))
    return [path("send-command/", view, name="chargers_chargepoint_send_command")]


@admin.action(description="Send a command to the selected chargers…", permissions=["send_command"])
def send_command_action(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
    ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
    return HttpResponseRedirect(reverse("admin:chargers_chargepoint_send_command") + f"?ids={ids}")
