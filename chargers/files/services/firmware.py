"""Hosted firmware: a file for one charger model and version (checksum and size taken while it is written), and
the signed, expiring download link per charger that an UpdateFirmware carries instead of `firmware_id`."""

import hashlib
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from chargers.files.models import HostedFirmware
from chargers.files.services.diagnostics import public_base_url
from chargers.files.values import FIRMWARE_LINK_SALT, FIRMWARE_PATH, firmware_path
from chargers.models import ChargePoint, ChargerModel

__all__ = ["firmware_create", "firmware_delete", "firmware_payload_fill", "firmware_signed_url"]


def _charger_model(model: str) -> tuple[str, ChargerModel | None]:
    """`model` is a profile's id or the model name chargers boot with."""
    model = model.strip()
    if model.isdigit():
        profile = ChargerModel.objects.filter(pk=int(model)).first()
        if profile is None:
            raise ValidationError({"model": [f"no charger model profile has the id {model}"]})
        return profile.model, profile
    if not model:
        raise ValidationError({"model": ["a profile's id or the model name chargers boot with is required"]})
    return model, ChargerModel.objects.filter(model__iexact=model).first()


def firmware_create(
    *, chunks: Iterable[bytes], file_name: str, version: str, model: str, notes: str = "", uploaded_by=None
) -> HostedFirmware:
    """Store a firmware file; its SHA-256 and size are measured while it is written. Refused past
    FIRMWARE_MAX_BYTES, for a model and version already hosted, or an empty file."""
    model_name, profile = _charger_model(model)
    version = version.strip()
    if not version:
        raise ValidationError({"version": ["the firmware version is required"]})
    try:
        with transaction.atomic():
            firmware = HostedFirmware.objects.create(
                version=version,
                model=model_name,
                charger_model=profile,
                file_name=file_name.rsplit("/", 1)[-1][:255] or "firmware.bin",
                size=0,
                sha256="",
                notes=notes,
                uploaded_by=uploaded_by if getattr(uploaded_by, "is_authenticated", False) else None,
            )
            firmware.size, firmware.sha256 = _write(firmware_path(firmware.pk), chunks)
            firmware.save(update_fields=["size", "sha256"])
    except IntegrityError as error:
        raise ValidationError({"version": [f"{model_name} {version} is hosted already"]}) from error
    return firmware


def _write(path, chunks: Iterable[bytes]) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("wb") as file:
            for chunk in chunks:
                size += len(chunk)
                if size > settings.FIRMWARE_MAX_BYTES:
                    raise ValidationError({"file": [f"more than the {settings.FIRMWARE_MAX_BYTES} bytes allowed"]})
                digest.update(chunk)
                file.write(chunk)
        if size == 0:
            raise ValidationError({"file": ["the file is empty"]})
    except ValidationError:
        path.unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


def firmware_delete(*, firmware: HostedFirmware) -> None:
    """Remove hosted firmware and its file; refused while a rollout names it (its history would lose the file)."""
    if firmware.rollouts.exists():
        raise ValidationError({"firmware": [f"{firmware} is used by a rollout: it stays"]})
    firmware_path(firmware.pk).unlink(missing_ok=True)
    firmware.delete()


def firmware_signed_url(*, firmware: HostedFirmware, charge_point: ChargePoint, ttl_s: int | None = None) -> str:
    """A download link for this charger alone that dies after `ttl_s` (FIRMWARE_URL_TTL_S): its expiry is inside
    the signed value, so that the link, not the server's current setting, says how long it lives."""
    expires = int(time.time()) + (settings.FIRMWARE_URL_TTL_S if ttl_s is None else ttl_s)
    token = signing.dumps(
        {"f": firmware.pk, "cp": charge_point.charge_point_id, "exp": expires}, salt=FIRMWARE_LINK_SALT
    )
    return f"{public_base_url()}/{FIRMWARE_PATH}{token}/{firmware.file_name}"


def firmware_payload_fill(*, charge_point: ChargePoint, payload: dict) -> dict:
    """An UpdateFirmware naming `firmware_id` gets the signed link as its location (and now as retrieveDate when it
    names none); firmware_id itself never reaches the charger."""
    firmware_id = payload.pop("firmware_id")
    if "location" in payload:
        raise ValidationError({"payload": ["firmware_id: name either hosted firmware or a location, not both"]})
    firmware = HostedFirmware.objects.filter(pk=firmware_id).first() if isinstance(firmware_id, int) else None
    if firmware is None:
        raise ValidationError({"payload": [f"firmware_id: no hosted firmware has the id {firmware_id!r}"]})
    profile = charge_point.charger_model
    if firmware.charger_model is not None and profile is not None and firmware.charger_model != profile:
        raise ValidationError({"payload": [f"firmware_id: {firmware} is for {firmware.charger_model}, not {profile}"]})
    payload["location"] = firmware_signed_url(firmware=firmware, charge_point=charge_point)
    payload.setdefault("retrieveDate", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return payload
