"""What a charger's page shows (chargers/pages/charge_points.py renders it; a form that failed is shown bound)."""

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from chargers import selectors
from chargers.models import ChargePoint
from chargers.pages.operations import may_send, operation_forms
from chargers.pages.presenting import MESSAGE_TYPE_WORDS, answer_fields, log_lines
from chargers.profiles import selectors as profile_selectors
from chargers.profiles.forms import ChargePointProfileForm, data_transfer_form_class
from live import selectors as live_selectors
from live.access import user_may_share
from transactions.models import MeterValue

METER_VALUES_SHOWN = 40


def profile_initial(charge_point: ChargePoint) -> dict:
    return {"charger_model": charge_point.charger_model, "override": True}


def charge_point_context(
    charge_point: ChargePoint,
    *,
    user: AbstractBaseUser | AnonymousUser,
    profile_form: forms.Form | None = None,
    bound_operation: tuple[str, forms.Form] | None = None,
) -> dict:
    profile = charge_point.charger_model
    operations = profile_selectors.charge_point_operations(charge_point=charge_point)
    may_operate = may_send(user)
    return {
        "charge_point": charge_point,
        "live_feeds": [f"charger:{charge_point.pk}"],
        "chart": live_selectors.chart_lines_charger(charge_point=charge_point),
        "phase_chart": selectors.phase_series(
            charge_point_pk=charge_point.pk, since=timezone.now() - selectors.PHASE_CHART_WINDOW
        ),
        "profile": profile,
        "profile_form": profile_form or ChargePointProfileForm(initial=profile_initial(charge_point)),
        "connectors": _connectors(charge_point, profile),
        "meter_values": _meter_values(charge_point, profile),
        "operations": operations,
        "may_operate": may_operate,
        "may_change": user.has_perm("chargers.change_chargepoint"),
        "operation_forms": operation_forms(
            charge_point=charge_point,
            supported={op.action: (op.supported, op.reason) for op in operations},
            bound=bound_operation,
        )
        if may_operate
        else [],
        "configuration": selectors.configuration_keys(charge_point=charge_point),
        "commands": [(c, answer_fields(c.response)) for c in selectors.commands_recent(charge_point=charge_point)],
        "log_tail": log_lines(selectors.message_log_tail(charge_point=charge_point)),
        "message_type_words": MESSAGE_TYPE_WORDS,
        "data_transfers": profile_selectors.data_transfers_decoded(charge_point=charge_point),
        "data_transfer_forms": _data_transfer_forms(profile) if may_operate else [],
        "may_share": user_may_share(user),
    }


def _connectors(charge_point: ChargePoint, profile) -> list[tuple]:
    """(connector, the meaning of its vendor error code, its running session) for each connector."""
    meanings = profile_selectors.vendor_error_meanings(profile=profile)
    sessions = live_selectors.sessions_running(charge_point=charge_point)
    return [
        (c, meanings.get(c.vendor_error_code.casefold()) if c.vendor_error_code else None, sessions.get(c.connector_id))
        for c in charge_point.connectors.all()
    ]


def _meter_values(charge_point: ChargePoint, profile) -> list[tuple]:
    labels = profile_selectors.measurand_labels(profile=profile)
    recent = MeterValue.objects.filter(charge_point=charge_point).order_by("-timestamp", "-id")[:METER_VALUES_SHOWN]
    return [(m, profile_selectors.measurand_label(labels=labels, measurand=m.measurand)) for m in recent]


def _data_transfer_forms(profile) -> list[tuple]:
    if profile is None:
        return []
    return [
        (spec, data_transfer_form_class(message=spec)(prefix=f"dt{spec.pk}"))
        for spec in profile.data_transfers.exclude(direction="from_charger")
    ]
