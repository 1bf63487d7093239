"""The operations on a charger's page as proper forms, and accepting a pending charger.

Each form is the typed form of the operation's OCPP request (chargers/commands/forms.py, the admin's too) and a
valid one goes through `command_create` exactly as the API's POST does; only `requested_via` differs ("web").
Sending needs `chargers.add_command` (accepting `chargers.change_chargepoint`): a viewer's POST gets 403.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.fields import InvalidJSONInput
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from chargers.commands.forms import action_form_class, command_payload
from chargers.commands.models import Command
from chargers.commands.services import command_create
from chargers.models import ChargePoint, RegistrationStatus
from chargers.ocpp.results import request_problem
from chargers.ocpp.schemas import request_schema
from chargers.ocpp.timestamps import format_timestamp
from chargers.services import charge_point_accept
from live import selectors as live_selectors
from portal.decorators import operator_required

# The operations the page offers as forms, in this order (the rest stay in the admin's command form).
PAGE_OPERATIONS = (
    "RemoteStopTransaction",
    "Reset",
    "GetConfiguration",
    "ChangeConfiguration",
    "ChangeAvailability",
    "UnlockConnector",
    "TriggerMessage",
    "RemoteStartTransaction",
    "ClearCache",
)
SEND_PERMISSION = "chargers.add_command"
ACCEPT_PERMISSION = "chargers.change_chargepoint"
CONFIRM_RESET = "A session is running: tick to reset all the same."


def may_send(user) -> bool:
    return user.has_perm(SEND_PERMISSION)


def _prefix(action: str) -> str:
    return f"op-{action}"


def operation_form_class(*, action: str, session_running: bool) -> type[forms.Form]:
    """The typed form of `action`'s request; a Reset while a session runs also asks for confirmation."""
    form_class = action_form_class(action=action, schema=request_schema(action))
    if action == "Reset" and session_running:
        confirm = forms.BooleanField(label=CONFIRM_RESET, error_messages={"required": CONFIRM_RESET})
        form_class = type("ResetConfirmedForm", (form_class,), {"confirm": confirm})
    return form_class


def _initial(action: str, running_transaction_pk: int | None) -> dict:
    """Reset defaults to Soft (a Hard one cuts a session short); RemoteStop names the running session."""
    if action == "Reset":
        return {"type": "Soft"}
    if action == "RemoteStopTransaction" and running_transaction_pk is not None:
        return {"transactionId": running_transaction_pk}
    return {}


def _empty_json_boxes(form: forms.Form) -> None:
    """A JSON field without a value shows an empty box, not the word "null" (Django writes json.dumps(None));
    InvalidJSONInput is the one value its JSONField renders as it is, and an empty optional box cleans to None."""
    for name, field in form.fields.items():
        if isinstance(field, forms.JSONField) and name not in form.initial:
            form.initial[name] = InvalidJSONInput("")


@dataclass(frozen=True)
class OperationForm:
    action: str
    form: forms.Form
    supported: bool
    reason: str


def operation_forms(
    *, charge_point: ChargePoint, supported: dict[str, tuple[bool, str]], bound: tuple[str, forms.Form] | None = None
) -> list[OperationForm]:
    """The page's forms, in PAGE_OPERATIONS order; `bound` replaces one of them with the form just posted."""
    running = live_selectors.sessions_running(charge_point=charge_point)
    running_pk = next(iter(running.values())).pk if running else None
    result = []
    for action in PAGE_OPERATIONS:
        if bound is not None and bound[0] == action:
            form = bound[1]
        else:
            form_class = operation_form_class(action=action, session_running=bool(running))
            form = form_class(initial=_initial(action, running_pk), prefix=_prefix(action))
            _empty_json_boxes(form)
        is_supported, reason = supported.get(action, (True, ""))
        result.append(OperationForm(action, form, is_supported, reason))
    return result


def operation_submit(
    *, request: HttpRequest, charge_point: ChargePoint, action: str
) -> tuple[forms.Form, Command | None]:
    """Validate the posted form of `action` and queue it as a command; the form carries what was wrong."""
    running = bool(live_selectors.sessions_running(charge_point=charge_point))
    form = operation_form_class(action=action, session_running=running)(request.POST, prefix=_prefix(action))
    if not form.is_valid():
        return form, None
    payload = command_payload(schema=form.json_schema, cleaned_data=form.cleaned_data, format_time=format_timestamp)
    try:
        command = command_create(
            charge_point=charge_point,
            action=action,
            payload=payload,
            check_payload=request_problem,
            requested_by=request.user,
            requested_via="web",
        )
    except ValidationError as error:
        form.add_error(None, "; ".join(m for ms in error.message_dict.values() for m in ms))
        return form, None
    return form, command


@operator_required
@require_POST
def charge_point_accept_view(request: HttpRequest, charge_point_id: str) -> HttpResponse:
    """Accept a pending charger (from the dashboard or its page) and have it boot again at once."""
    if not request.user.has_perm(ACCEPT_PERMISSION):
        raise PermissionDenied
    charge_point = get_object_or_404(ChargePoint, charge_point_id=charge_point_id)
    if charge_point.registration_status == RegistrationStatus.ACCEPTED:
        messages.info(request, f"{charge_point} was already accepted.")
    else:
        try:
            command = charge_point_accept(
                charge_point=charge_point, check_payload=request_problem, requested_by=request.user
            )
        except ValidationError as error:
            messages.error(request, f"{charge_point} not accepted: {'; '.join(error.messages)}")
        else:
            asked = f"; asked to boot again (command #{command.pk})" if command else ""
            messages.success(request, f"{charge_point} accepted{asked}.")
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("chargers:charge-point-detail", charge_point_id=charge_point_id)


def operation_or_404(action: str) -> str:
    if action not in PAGE_OPERATIONS:
        raise Http404(f"{action!r} is not one of the page's operations")
    return action
