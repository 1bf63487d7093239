"""Charge points, their connectors and everything the OCPP session leaves behind."""

from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from chargers.profiles.vocabulary import Transport


class RegistrationStatus(models.TextChoices):
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class ChargePoint(models.Model):
    """A charger as the portal knows it. `charge_point_id` is the OCPP identity in the websocket URL."""

    charge_point_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=100, blank=True)
    registration_status = models.CharField(
        max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.PENDING
    )
    # OCPP 1.6 security whitepaper: 1 Basic auth over ws or wss, 2 Basic auth over TLS only, 3 TLS with a client
    # certificate whose CN is the charge point id. A connection weaker than the profile is refused and logged.
    security_profile = models.PositiveSmallIntegerField(
        choices=[(1, "1: Basic auth"), (2, "2: Basic auth over TLS"), (3, "3: TLS client certificate")],
        default=1,
    )
    # HMAC-SHA256 of the AuthorizationKey (Basic auth password); blank means the charger has none yet.
    auth_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    # A new AuthorizationKey sent with ChangeConfiguration and not yet confirmed: the charger may already use it
    # (it took it, the answer was lost) or not yet (offline, rebooting), so both keys open its session until it
    # confirms the new one, by an Accepted answer or by connecting with it.
    auth_key_hash_next = models.CharField(max_length=64, blank=True, editable=False)

    # From BootNotification.
    vendor = models.CharField(max_length=20, blank=True)
    model = models.CharField(max_length=20, blank=True)
    serial_number = models.CharField(max_length=25, blank=True)
    charge_box_serial_number = models.CharField(max_length=25, blank=True)
    firmware_version = models.CharField(max_length=50, blank=True)
    iccid = models.CharField(max_length=20, blank=True)
    imsi = models.CharField(max_length=20, blank=True)
    meter_type = models.CharField(max_length=25, blank=True)
    meter_serial_number = models.CharField(max_length=25, blank=True)
    last_boot_at = models.DateTimeField(null=True, blank=True)
    # The model profile (questionnaire) matched at BootNotification; an operator's choice is kept over boots.
    charger_model = models.ForeignKey(
        "chargers.ChargerModel",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="charge_points",
        verbose_name="model profile",
    )
    charger_model_overridden = models.BooleanField(
        default=False, help_text="Set by an operator: BootNotification does not change the model profile"
    )
    heartbeat_interval_s = models.PositiveIntegerField(null=True, blank=True)
    site = models.ForeignKey(
        "transactions.Site", on_delete=models.SET_NULL, null=True, blank=True, related_name="charge_points"
    )

    # The session: which consumer holds the socket (the command pipeline sends there).
    is_online = models.BooleanField(default=False)
    channel_name = models.CharField(max_length=200, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    # How the charger speaks OCPP: 1.6J holds a websocket (channel_name above), 1.6S POSTs to /ocpp/soap/ and is
    # called back at its SOAP address (wsa:From of its latest request, unless an operator set an override).
    transport = models.CharField(max_length=20, choices=Transport.choices, default=Transport.OCPP16_JSON)
    soap_address = models.CharField(max_length=500, blank=True, editable=False)
    soap_address_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A CharField with a URL check rather than a URLField: its form field would guess a scheme for a bare host.
    soap_address_override = models.CharField(
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Call the charger here instead of its wsa:From (a charger behind NAT), e.g. http://10.0.0.7/",
    )

    diagnostics_status = models.CharField(max_length=20, blank=True)
    diagnostics_status_at = models.DateTimeField(null=True, blank=True)
    firmware_status = models.CharField(max_length=30, blank=True)
    firmware_status_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["charge_point_id"]

    def __str__(self) -> str:
        return self.name or self.charge_point_id

    @property
    def has_auth_key(self) -> bool:
        return bool(self.auth_key_hash)

    @property
    def soap_endpoint(self) -> str:
        """Where commands to a SOAP charger are POSTed: the operator's override, else the address it gave."""
        return self.soap_address_override or self.soap_address


class Connector(models.Model):
    """Connector 0 is the charge point as a whole; 1..n are the outlets. Status as last reported."""

    charge_point = models.ForeignKey(ChargePoint, on_delete=models.CASCADE, related_name="connectors")
    connector_id = models.PositiveIntegerField()
    status = models.CharField(max_length=20, blank=True)
    error_code = models.CharField(max_length=30, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    vendor_id = models.CharField(max_length=255, blank=True)
    info = models.CharField(max_length=50, blank=True)
    status_timestamp = models.DateTimeField(null=True, blank=True, help_text="As sent by the charger")
    status_received_at = models.DateTimeField(null=True, blank=True)
    # As set by ChangeAvailability; a change the charger accepted as Scheduled waits in availability_scheduled.
    availability = models.CharField(max_length=12, default="Operative")
    availability_scheduled = models.CharField(max_length=12, blank=True)
    # Latest readings, kept here so that pages and the API need not scan the meter value history.
    power_w = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)
    energy_wh = models.DecimalField(max_digits=16, decimal_places=3, null=True, blank=True)
    meter_timestamp = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["charge_point", "connector_id"]
        constraints = [
            models.UniqueConstraint(fields=["charge_point", "connector_id"], name="unique_connector_per_charger")
        ]

    def __str__(self) -> str:
        return f"{self.charge_point} #{self.connector_id}"


class Direction(models.TextChoices):
    IN = "in", "charger → portal"
    OUT = "out", "portal → charger"


class MessageLog(models.Model):
    """Every OCPP frame in and out, for the installer who asks why a charger misbehaves."""

    charge_point = models.ForeignKey(
        ChargePoint, on_delete=models.CASCADE, related_name="messages", null=True, blank=True
    )
    charge_point_ident = models.CharField(max_length=100, db_index=True)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    message_type = models.PositiveSmallIntegerField(null=True, blank=True)  # 2 CALL, 3 CALLRESULT, 4 CALLERROR
    unique_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=50, blank=True, db_index=True)
    payload = models.JSONField(null=True, blank=True)
    raw = models.TextField(blank=True, help_text="The frame as received, when it was not valid JSON")
    error_code = models.CharField(max_length=40, blank=True)
    problems = models.TextField(blank=True, help_text="Parts of the frame the portal could not keep, and why")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["charge_point", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.charge_point_ident} {self.direction} {self.action or self.message_type} {self.unique_id}"


class ConnectionAttempt(models.Model):
    """A websocket handshake the portal refused, with why: the first thing to read when a charger 'does not
    connect'."""

    charge_point_ident = models.CharField(max_length=200, db_index=True, blank=True)
    charge_point = models.ForeignKey(ChargePoint, on_delete=models.SET_NULL, null=True, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=500, blank=True)
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.charge_point_ident or self.path}: {self.reason}"


class DataTransferMessage(models.Model):
    """DataTransfer frames the charger sent, kept with what the portal answered."""

    charge_point = models.ForeignKey(ChargePoint, on_delete=models.CASCADE, related_name="data_transfers")
    vendor_id = models.CharField(max_length=255)
    message_id = models.CharField(max_length=50, blank=True)
    data = models.TextField(blank=True)
    response_status = models.CharField(max_length=20)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.vendor_id}/{self.message_id}"
