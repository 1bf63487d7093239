"""Writes and business rules for charger model profiles (the vendor integration questionnaire as data).

A profile is matched to a charger at BootNotification (unless an operator chose one), creates its connectors,
and is exported and imported as JSON or YAML so that installations can share what vendors answered. What a
model supports is a read (selectors.charge_point_supports_action).
"""

import json
import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from chargers.layer import channel_send
from chargers.models import (
    ChargePoint,
    ChargerInterface,
    ChargerModel,
    Connector,
    ConnectorSpec,
    DataTransferSpec,
    FirmwareVersion,
    MeasurandSpec,
    ProfileStatus,
    QuestionnaireShareLink,
    VendorErrorCode,
)
from chargers.profiles.selectors import charger_model_match

logger = logging.getLogger(__name__)

__all__ = [
    "EXPORT_FORMAT_VERSION",
    "charge_point_profile_apply",
    "charge_point_set_charger_model",
    "charge_points_profile_apply",
    "charger_model_dumps",
    "charger_model_export",
    "charger_model_import",
    "charger_model_loads",
    "share_link_create",
    "share_link_mark_submitted",
]

EXPORT_FORMAT_VERSION = 1


# --- Matching at BootNotification -------------------------------------------------------------------------


def charge_point_profile_apply(*, charge_point_pk: int, vendor: str, model: str) -> ChargerModel | None:
    """Called from BootNotification: match the profile (unless an operator chose one) and create the
    connectors of its layout. Returns the charger's profile."""
    return charge_points_profile_apply(items=[(charge_point_pk, vendor, model)])[0]


def charge_points_profile_apply(*, items: list[tuple[int, str, str]]) -> list[ChargerModel | None]:
    """charge_point_profile_apply for many (charger pk, vendor, model) at once (a batch of BootNotifications):
    each distinct vendor and model matched once, the chargers read and their connectors made in one query each."""
    chargers = ChargePoint.objects.select_related("charger_model").in_bulk({pk for pk, _, _ in items})
    matched: dict[tuple[str, str], ChargerModel | None] = {}
    profiles: dict[int, ChargerModel | None] = {}
    changed: dict[int, ChargerModel | None] = {}
    for pk, vendor, model in items:
        charge_point = chargers[pk]
        profile = charge_point.charger_model
        if not charge_point.charger_model_overridden:
            if (vendor, model) not in matched:
                matched[vendor, model] = charger_model_match(vendor=vendor, model=model)
            profile = matched[vendor, model]
            if profile != charge_point.charger_model:
                changed[pk] = profile
                charge_point.charger_model = profile  # a second boot in the batch compares with this one
                logger.info("charger %s (%s %s) matched to %s", charge_point.charge_point_id, vendor, model, profile)
        profiles[pk] = profile
    for profile in set(changed.values()):  # one UPDATE per profile, not per charger
        ChargePoint.objects.filter(pk__in=[pk for pk, p in changed.items() if p == profile]).update(
            charger_model=profile
        )
    _connectors_from_layouts({pk: p for pk, p in profiles.items() if p is not None})
    return [profiles[pk] for pk, _, _ in items]


def _connectors_from_layouts(profiles: dict[int, ChargerModel]) -> None:
    """Connector 0 and one per connector column of each charger's profile; existing rows are left alone."""
    codes: dict[int, set[int]] = {}
    for profile in {p.pk: p for p in profiles.values()}.values():
        codes[profile.pk] = {0, *profile.connector_specs.values_list("connector_code", flat=True)}
    existing = set(
        Connector.objects.filter(charge_point_id__in=list(profiles)).values_list("charge_point_id", "connector_id")
    )
    wanted = {(pk, code) for pk, profile in profiles.items() for code in codes[profile.pk]}
    Connector.objects.bulk_create(
        [Connector(charge_point_id=pk, connector_id=code) for pk, code in sorted(wanted - existing)],
        ignore_conflicts=True,  # a StatusNotification may create the same connector at the same moment
    )


def charge_point_set_charger_model(
    *, charge_point: ChargePoint, charger_model: ChargerModel | None, override: bool = True
) -> ChargePoint:
    """An operator sets the charger's profile. With override, BootNotification keeps it; without, the next
    boot matches again (and `charger_model=None, override=False` hands the choice back to matching)."""
    charge_point.charger_model = charger_model
    charge_point.charger_model_overridden = override
    charge_point.save(update_fields=["charger_model", "charger_model_overridden"])
    if charger_model is not None:
        _connectors_from_layouts({charge_point.pk: charger_model})
    channel = ChargePoint.objects.filter(pk=charge_point.pk).values_list("channel_name", flat=True).first()
    if channel:
        # The live session caches the profile's traits (RFID byte order, units): tell it to read them again.
        transaction.on_commit(lambda: channel_send(channel, {"type": "ocpp.profile"}))
    return charge_point


# --- Export and import ------------------------------------------------------------------------------------

_PROFILE_FIELDS = (
    "vendor",
    "model",
    "status",
    "boot_vendor_pattern",
    "boot_model_pattern",
    "match_priority",
    "supported_messages",
    "rfid_byte_order",
    "rfid_delimiter",
    "rfid_example",
    "rfid_notes",
    "data_transfer_notes",
    "diagnostics_file_format",
    "diagnostics_upload_protocols",
    "diagnostics_upload_notes",
    "firmware_file_format",
    "meter_values_notes",
    "local_list_capacity",
    "local_list_capacity_exceeded",
    "vendor_error_codes_notes",
    "service_port",
    "service_path",
    "service_transports",
    "service_notes",
    "charge_point_security",
    "charge_point_security_notes",
    "backend_security",
    "backend_security_notes",
    "contact_first_name",
    "contact_last_name",
    "contact_email",
    "contact_phone",
    "documentation_url",
    "documentation_notes",
    "support_email",
    "support_phone",
    "notes",
)
# key in the export -> (related name, model, fields)
_CHILDREN: dict[str, tuple[str, type, tuple[str, ...]]] = {
    "firmware_versions": ("firmware_versions", FirmwareVersion, FirmwareVersion.QUESTIONNAIRE_FIELDS),
    "connectors": ("connector_specs", ConnectorSpec, ConnectorSpec.QUESTIONNAIRE_FIELDS),
    "meter_values": ("measurands", MeasurandSpec, MeasurandSpec.QUESTIONNAIRE_FIELDS),
    "data_transfer_messages": (
        "data_transfers",
        DataTransferSpec,
        ("vendor_id", "message_id", "direction", "data_schema", "description"),
    ),
    "vendor_error_codes": ("vendor_error_codes", VendorErrorCode, VendorErrorCode.QUESTIONNAIRE_FIELDS),
    "interfaces": ("interfaces", ChargerInterface, ChargerInterface.QUESTIONNAIRE_FIELDS),
}


def _plain(value: Any) -> Any:
    """JSON and YAML friendly: Decimals as strings (no float rounding), dates in ISO form."""
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def charger_model_export(*, profile: ChargerModel) -> dict:
    """The profile as a plain document, ids left out (they mean nothing in another installation)."""
    document: dict[str, Any] = {"format": "charger-model", "version": EXPORT_FORMAT_VERSION}
    document.update({name: _plain(getattr(profile, name)) for name in _PROFILE_FIELDS})
    for key, (related, _model, fields) in _CHILDREN.items():
        document[key] = [{f: _plain(getattr(row, f)) for f in fields} for row in getattr(profile, related).all()]
    return document


def charger_model_dumps(*, profile: ChargerModel, fmt: str = "json") -> str:
    document = charger_model_export(profile=profile)
    if fmt == "yaml":
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return json.dumps(document, indent=2, ensure_ascii=False)


def charger_model_loads(*, text: str, fmt: str = "json") -> dict:
    """Parse an exported profile; a syntax error becomes a ValidationError that says where."""
    try:
        document = yaml.safe_load(text) if fmt == "yaml" else json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ValidationError(f"not valid {fmt.upper()}: {error}") from None
    if not isinstance(document, dict):
        raise ValidationError("the document must be an object (a mapping)")
    return document


def charger_model_import(*, document: dict, replace: bool = False) -> ChargerModel:
    """Create (or with `replace`, overwrite) a profile from an exported document.

    Every field is checked the way the questionnaire page checks it; all problems are reported at once,
    each under its path ("connectors[0].max_power_kw"), and nothing is saved unless all is valid.
    """
    if document.get("format", "charger-model") != "charger-model":
        raise ValidationError({"format": "not a charger model export"})
    unknown = set(document) - {"format", "version", *_PROFILE_FIELDS, *_CHILDREN}
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["document"] = [f"unknown keys: {', '.join(sorted(unknown))}"]
    existing = ChargerModel.objects.filter(vendor=document.get("vendor"), model=document.get("model")).first()
    if existing is not None and not replace:
        errors.setdefault("model", []).append(f"{existing} exists already (import with replace to overwrite it)")
    profile = existing if existing is not None and replace else ChargerModel()
    for name in _PROFILE_FIELDS:
        if name in document:
            setattr(profile, name, document[name])
    _collect(errors, "", profile, exclude=set())
    rows = _children_from_document(document, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        profile.save()
        for _key, (related, _model, _fields) in _CHILDREN.items():
            getattr(profile, related).all().delete()
        for row in rows:
            row.profile = profile
            row.save()
    return profile


def _children_from_document(document: dict, errors: dict[str, list[str]]) -> list:
    rows = []
    for key, (_related, model, fields) in _CHILDREN.items():
        items = document.get(key, [])
        if not isinstance(items, list):
            errors[key] = ["must be a list"]
            continue
        seen: dict[tuple, int] = {}
        for i, item in enumerate(items):
            where = f"{key}[{i}]"
            if not isinstance(item, dict):
                errors[where] = ["must be an object"]
                continue
            extra = set(item) - set(fields)
            if extra:
                errors[where] = [f"unknown keys: {', '.join(sorted(extra))}"]
            row = model(**{f: item[f] for f in fields if f in item})
            _collect(errors, f"{where}.", row, exclude={"profile"})
            identity = tuple(str(item.get(f)) for f in _identity(model))
            if identity in seen:
                errors.setdefault(where, []).append(f"the same as {key}[{seen[identity]}]")
            seen[identity] = i
            rows.append(row)
    return rows


def _identity(model: type) -> tuple[str, ...]:
    """The fields a profile may hold one row of (its unique constraint), for duplicate checks."""
    for constraint in model._meta.constraints:
        fields = [f for f in getattr(constraint, "fields", ()) if f != "profile"]
        if fields:
            return tuple(fields)
    return ()


def _collect(errors: dict[str, list[str]], prefix: str, instance: Any, exclude: set[str]) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            name = "document" if field == "__all__" else field
            errors.setdefault(f"{prefix}{name}", []).extend(messages)


# --- Share links ------------------------------------------------------------------------------------------


def share_link_create(*, profile: ChargerModel, created_by=None, days: int = 14) -> QuestionnaireShareLink:
    if not 1 <= days <= 90:
        raise ValidationError({"days": "a share link lives 1 to 90 days"})
    return QuestionnaireShareLink.objects.create(
        profile=profile, created_by=created_by, expires_at=timezone.now() + timedelta(days=days)
    )


def share_link_mark_submitted(*, link: QuestionnaireShareLink) -> None:
    """The vendor submitted: the profile waits for an operator's review (it is not matched before)."""
    link.submitted_at = timezone.now()
    link.save(update_fields=["submitted_at"])
    profile = link.profile
    if profile.status != ProfileStatus.ACTIVE:
        profile.status = ProfileStatus.SUBMITTED
        profile.save(update_fields=["status", "updated_at"])
