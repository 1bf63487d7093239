"""Charger model profiles: the vendor integration questionnaire, kept as data that drives the portal.

One `ChargerModel` per vendor model (and firmware line) holds every answer of the questionnaire; the lists of the
questionnaire (firmware versions, connector columns, meter values, DataTransfer messages, vendor error codes,
other interfaces) are rows of their own so that pages, forms and exports can treat them one by one. Their choices
live in vocabulary.py, their checks in validation.py (models import nothing above them).
"""

import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from chargers.profiles.validation import (
    json_schema_problem,
    json_schema_with_property_order,
    validate_regex,
    validate_security_schemes,
    validate_supported_messages,
    validate_transports,
    validate_upload_protocols,
)
from chargers.profiles.vocabulary import (
    ByteOrder,
    ChargingType,
    LoadRole,
    MessageDirection,
    MeterLevel,
    ProfileStatus,
    Transport,
)

# --- The profile ------------------------------------------------------------------------------------------


class ChargerModel(models.Model):
    """A charger model as its vendor describes it in the integration questionnaire."""

    # General model information.
    vendor = models.CharField(max_length=50)
    model = models.CharField(max_length=50)
    status = models.CharField(max_length=10, choices=ProfileStatus.choices, default=ProfileStatus.DRAFT)
    # Matching at BootNotification: chargers report product codes ("G-HB1V5CY20-A14"), not marketing names.
    boot_vendor_pattern = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_regex],
        help_text="Regular expression for chargePointVendor (whole value, case-insensitive); blank: the vendor name",
    )
    boot_model_pattern = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_regex],
        help_text="Regular expression for chargePointModel (whole value, case-insensitive); blank: the model name",
    )
    match_priority = models.SmallIntegerField(default=0, help_text="Higher wins when several profiles match")

    # OCPP versions, transports and messages: {transport: [message, ...]}.
    supported_messages = models.JSONField(default=dict, blank=True, validators=[validate_supported_messages])

    # Authorize: RFID code representation.
    rfid_byte_order = models.CharField(max_length=13, choices=ByteOrder.choices, default=ByteOrder.BIG_ENDIAN)
    rfid_delimiter = models.CharField(max_length=5, blank=True, help_text="Between bytes; blank: none")
    rfid_example = models.CharField(max_length=40, blank=True)
    rfid_notes = models.TextField(blank=True)

    # DataTransfer: general remarks (the messages are rows of DataTransferSpec).
    data_transfer_notes = models.TextField(blank=True)

    # GetDiagnostics and UpdateFirmware.
    diagnostics_file_format = models.CharField(max_length=200, blank=True)
    diagnostics_upload_protocols = models.JSONField(default=list, blank=True, validators=[validate_upload_protocols])
    diagnostics_upload_notes = models.TextField(blank=True, help_text="ftp authentication, a location example")
    firmware_file_format = models.CharField(max_length=200, blank=True)

    # MeterValues: general remarks (the measurands are rows of MeasurandSpec).
    meter_values_notes = models.TextField(blank=True)

    # SendLocalList.
    local_list_capacity = models.PositiveIntegerField(null=True, blank=True)
    local_list_capacity_exceeded = models.BooleanField(
        default=False, help_text="The vendor answered 'more than' the capacity (e.g. > 100000)"
    )

    # SetChargingProfile: the model's profile capacity (its ChargingProfileMaxStackLevel and
    # MaxChargingProfilesInstalled), for a charger whose own configuration keys the portal has not read.
    charging_profile_max_stack_level = models.PositiveSmallIntegerField(null=True, blank=True)
    max_charging_profiles_installed = models.PositiveSmallIntegerField(null=True, blank=True)

    # StatusNotification: general remarks (the codes are rows of VendorErrorCode).
    vendor_error_codes_notes = models.TextField(blank=True)

    # The charge point's own OCPP service endpoint (SOAP only: over JSON the charger is the client).
    service_port = models.PositiveIntegerField(null=True, blank=True)
    service_path = models.CharField(max_length=200, blank=True)
    service_transports = models.JSONField(default=list, blank=True, validators=[validate_transports])
    service_notes = models.TextField(blank=True)
    # Security of the charge point's interface and of its connection to the back end.
    charge_point_security = models.JSONField(default=list, blank=True, validators=[validate_security_schemes])
    charge_point_security_notes = models.TextField(blank=True)
    backend_security = models.JSONField(default=list, blank=True, validators=[validate_security_schemes])
    backend_security_notes = models.TextField(blank=True)

    # Technical contact, documentation, vendor support.
    contact_first_name = models.CharField(max_length=100, blank=True)
    contact_last_name = models.CharField(max_length=100, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    documentation_url = models.URLField(max_length=500, blank=True)
    documentation_notes = models.TextField(blank=True)
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=40, blank=True)

    notes = models.TextField(blank=True, help_text="Where answers come from, what is still open")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["vendor", "model"]
        constraints = [models.UniqueConstraint(fields=["vendor", "model"], name="unique_charger_model")]
        verbose_name = "charger model"

    def __str__(self) -> str:
        return f"{self.vendor} {self.model}"

    def clean(self) -> None:
        if self.local_list_capacity_exceeded and self.local_list_capacity is None:
            raise ValidationError({"local_list_capacity": "'more than' needs a number"})
        if self.service_port is not None and not 1 <= self.service_port <= 65535:
            raise ValidationError({"service_port": "a TCP port is 1 to 65535"})

    def supports(self, action: str, transport: str) -> bool:
        return action in (self.supported_messages or {}).get(transport, [])

    @property
    def transports(self) -> list[str]:
        """The transports with at least one message supported, in the questionnaire's order."""
        return [t for t in Transport.values if (self.supported_messages or {}).get(t)]

    @property
    def latest_firmware(self) -> "FirmwareVersion | None":
        return self.firmware_versions.order_by(models.F("issued_on").desc(nulls_last=True), "-id").first()

    @property
    def local_list_capacity_display(self) -> str:
        if self.local_list_capacity is None:
            return ""
        return f"> {self.local_list_capacity}" if self.local_list_capacity_exceeded else str(self.local_list_capacity)


class FirmwareVersion(models.Model):
    # The answers the questionnaire asks for, in its order (forms and export/import use the same list).
    QUESTIONNAIRE_FIELDS = ("version", "issued_on", "notes")

    profile = models.ForeignKey(ChargerModel, on_delete=models.CASCADE, related_name="firmware_versions")
    version = models.CharField(max_length=50)
    issued_on = models.DateField(null=True, blank=True)
    notes = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["profile", "id"]  # as the vendor listed them (issue dates are often missing)
        constraints = [models.UniqueConstraint(fields=["profile", "version"], name="unique_firmware_per_model")]

    def __str__(self) -> str:
        return self.version


class ConnectorSpec(models.Model):
    """One column of the questionnaire's connector table."""

    QUESTIONNAIRE_FIELDS = (
        "position",
        "evse_code",
        "connector_code",
        "charging_type",
        "connector_type",
        "max_power_kw",
        "phases",
    )

    profile = models.ForeignKey(ChargerModel, on_delete=models.CASCADE, related_name="connector_specs")
    position = models.PositiveSmallIntegerField(help_text="The questionnaire's column (Connector 1, 2, ...)")
    evse_code = models.CharField(max_length=20, blank=True, help_text="EVSE code as used in OCPP messages")
    connector_code = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="connectorId as used in OCPP messages"
    )
    charging_type = models.CharField(max_length=8, choices=ChargingType.choices)
    connector_type = models.CharField(max_length=40, help_text="Type 2, CCS, CHAdeMO, ...")
    max_power_kw = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))], help_text="kW"
    )
    phases = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=[(1, "1"), (2, "2"), (3, "3")], help_text="AC only"
    )

    class Meta:
        ordering = ["profile", "position"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "position"], name="unique_connector_column"),
            models.UniqueConstraint(fields=["profile", "connector_code"], name="unique_connector_code"),
        ]

    def __str__(self) -> str:
        return f"#{self.connector_code} {self.charging_type} {self.connector_type} {self.max_power_kw} kW"

    def clean(self) -> None:
        if self.charging_type == ChargingType.AC and not self.phases:
            raise ValidationError({"phases": "an AC connector needs its number of phases"})
        if self.charging_type == ChargingType.DC and self.phases:
            raise ValidationError({"phases": "do not enter phases for DC charging"})


class MeasurandSpec(models.Model):
    """A meter value the model sends: a standard OCPP measurand, or a vendor's own one with a label."""

    QUESTIONNAIRE_FIELDS = (
        "measurand",
        "label",
        "standard",
        "per_phase",
        "level",
        "interval_charging",
        "interval_standby",
        "unit",
        "location",
        "load_role",
        "notes",
    )

    profile = models.ForeignKey(ChargerModel, on_delete=models.CASCADE, related_name="measurands")
    measurand = models.CharField(max_length=60, help_text="OCPP name, or the vendor's name for a non-standard one")
    label = models.CharField(max_length=100, blank=True, help_text="How pages name it (non-standard ones)")
    standard = models.BooleanField(default=True)
    per_phase = models.BooleanField(default=False, help_text="Sent for each phase")
    level = models.CharField(max_length=12, choices=MeterLevel.choices, default=MeterLevel.CONNECTOR)
    interval_charging = models.CharField(max_length=100, blank=True, help_text="blank: not sent while charging")
    interval_standby = models.CharField(max_length=100, blank=True, help_text="blank: not sent in standby")
    unit = models.CharField(max_length=20, blank=True, help_text="The unit it is sent in (read when none is sent)")
    location = models.CharField(
        max_length=10, blank=True, help_text="The sampledValue location it comes with (Inlet, Outlet, Body); blank: any"
    )
    # Read by the MeterValues handler (chargers/ocpp/handlers.py) into a BuildingReading of the charger's site or
    # circuit; the value is also kept as a meter value like any other.
    load_role = models.CharField(
        max_length=10,
        blank=True,
        choices=LoadRole.choices,
        help_text="What load management takes it for (A per phase, or W: a total without a phase)",
    )
    notes = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["profile", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "measurand", "location"], name="unique_measurand_per_model")
        ]

    def __str__(self) -> str:
        return self.label or self.measurand


class DataTransferSpec(models.Model):
    """A custom DataTransfer message of the model; `data_schema` is a JSON schema of `data` (a JSON string)."""

    profile = models.ForeignKey(ChargerModel, on_delete=models.CASCADE, related_name="data_transfers")
    vendor_id = models.CharField(max_length=255)
    message_id = models.CharField(max_length=50)
    direction = models.CharField(max_length=12, choices=MessageDirection.choices, default=MessageDirection.TO_CHARGER)
    data_schema = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["profile", "vendor_id", "message_id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "vendor_id", "message_id"], name="unique_data_transfer_spec")
        ]
        verbose_name = "DataTransfer message"

    def __str__(self) -> str:
        return f"{self.vendor_id}/{self.message_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.data_schema = json_schema_with_property_order(self.data_schema)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        problem = json_schema_problem(self.data_schema)
        if problem:
            raise ValidationError({"data_schema": problem})


class VendorErrorCode(models.Model):
    QUESTIONNAIRE_FIELDS = ("code", "meaning", "when")

    profile = models.ForeignKey(ChargerModel, on_delete=models.CASCADE, related_name="vendor_error_codes")
    code = models.CharField(max_length=50)
    meaning = models.CharField(max_length=255)
    when = models.CharField(max_length=255, blank=True, help_text="The errorCode/status it comes with")

    class Meta:
        ordering = ["profile", "code"]
        constraints = [models.UniqueConstraint(fields=["profile", "code"], name="unique_vendor_error_code")]

    def __str__(self) -> str:
        return f"{self.code}: {self.meaning}"


class ChargerInterface(models.Model):
    """Other services running on the charger (web configuration, SSH, ...)."""

    QUESTIONNAIRE_FIELDS = ("name", "address", "purpose")

    profile = models.ForeignKey(ChargerModel, on_delete=models.CASCADE, related_name="interfaces")
    name = models.CharField(max_length=100)
    address = models.CharField(max_length=200, help_text="e.g. http://<charger>:80")
    purpose = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["profile", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.address}"


def _share_token() -> str:
    return secrets.token_urlsafe(32)


def _share_expiry():
    return timezone.now() + timedelta(days=14)


class QuestionnaireShareLink(models.Model):
    """A secret, expiring link that lets a vendor fill in one questionnaire, and nothing else."""

    profile = models.ForeignKey(ChargerModel, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True, default=_share_token, editable=False)
    expires_at = models.DateTimeField(default=_share_expiry)
    revoked = models.BooleanField(default=False)
    created_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"share link for {self.profile} (until {self.expires_at:%Y-%m-%d})"

    @property
    def is_valid(self) -> bool:
        return not self.revoked and self.expires_at > timezone.now()
