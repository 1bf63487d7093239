"""The records of files exchanged with chargers: one-time diagnostics upload slots with what arrived in them, and
hosted firmware files."""

from django.db import models
from django.utils import timezone


class UploadProtocol(models.TextChoices):
    FTP = "ftp"
    HTTP = "http"


class DiagnosticsStatus(models.TextChoices):
    WAITING = "waiting"  # the location was handed out; nothing arrived yet
    RECEIVING = "receiving"  # an upload has begun: the location is used up
    UPLOADED = "uploaded"
    REFUSED = "refused"  # too large, a zip bomb, broken off: the file was not kept
    EXPIRED = "expired"


class DiagnosticsUpload(models.Model):
    """One GetDiagnostics request's upload location, and the one file that may arrive there.

    `token` names the location (the FTP user and folder, the HTTP path); the secret beside it (the FTP password,
    the HTTP path's key) is stored only as its SHA-256, so neither this row nor a database dump can upload."""

    charge_point = models.ForeignKey(
        "chargers.ChargePoint", on_delete=models.CASCADE, related_name="diagnostics_uploads"
    )
    protocol = models.CharField(max_length=4, choices=UploadProtocol.choices)
    token = models.CharField(max_length=32, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=DiagnosticsStatus.choices, default=DiagnosticsStatus.WAITING)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    file_name = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(null=True, blank=True, help_text="bytes")
    uploaded_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True, help_text="Why an upload was refused")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["charge_point", "created_at"])]

    def __str__(self) -> str:
        return f"diagnostics of {self.charge_point} ({self.status})"


class HostedFirmware(models.Model):
    """A firmware file the portal serves to chargers of one model."""

    version = models.CharField(max_length=100)
    model = models.CharField(max_length=100, help_text="The model name chargers boot with, e.g. INCH")
    charger_model = models.ForeignKey(
        "chargers.ChargerModel", on_delete=models.SET_NULL, null=True, blank=True, related_name="hosted_firmware"
    )
    file_name = models.CharField(max_length=255)
    size = models.BigIntegerField(help_text="bytes")
    sha256 = models.CharField(max_length=64)
    notes = models.TextField(blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="hosted_firmware"
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["model", "version"], name="unique_hosted_firmware")]
        verbose_name_plural = "hosted firmware"

    def __str__(self) -> str:
        return f"{self.model} {self.version}"


class RolloutStatus(models.TextChoices):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"  # past max_failure_rate (or by an operator): no new wave until resumed
    COMPLETED = "completed"


class FirmwareRollout(models.Model):
    """Hosted firmware sent to many chargers in waves of `batch_size`, from `start_time`: a wave goes out when the
    previous one has finished (each charger Installed or failed for good)."""

    firmware = models.ForeignKey(HostedFirmware, on_delete=models.PROTECT, related_name="rollouts")
    target = models.JSONField(default=dict, blank=True, help_text="The list or filter the chargers were chosen by")
    batch_size = models.PositiveIntegerField()
    start_time = models.DateTimeField()
    retries = models.PositiveSmallIntegerField(default=0, help_text="Further attempts for a charger that failed")
    max_failure_rate = models.FloatField(help_text="0 to 1: past this share of failed chargers the rollout pauses")
    status = models.CharField(max_length=10, choices=RolloutStatus.choices, default=RolloutStatus.SCHEDULED)
    reason = models.CharField(max_length=255, blank=True)
    # Chargers failed for good when an operator resumed the rollout: they no longer count against the rate.
    failures_forgiven = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="firmware_rollouts"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"rollout of {self.firmware} ({self.status})"


class RolloutChargerStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"  # UpdateFirmware queued or sent
    DOWNLOADING = "downloading"
    DOWNLOADED = "downloaded"
    INSTALLING = "installing"
    INSTALLED = "installed"
    FAILED = "failed"


IN_FLIGHT_STATUSES = (
    RolloutChargerStatus.SENT,
    RolloutChargerStatus.DOWNLOADING,
    RolloutChargerStatus.DOWNLOADED,
    RolloutChargerStatus.INSTALLING,
)


class RolloutCharger(models.Model):
    """One charger of a rollout: where it stands, how often it was tried, its latest UpdateFirmware."""

    rollout = models.ForeignKey(FirmwareRollout, on_delete=models.CASCADE, related_name="chargers")
    charge_point = models.ForeignKey("chargers.ChargePoint", on_delete=models.CASCADE, related_name="rollouts")
    status = models.CharField(max_length=12, choices=RolloutChargerStatus.choices, default=RolloutChargerStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    command = models.ForeignKey("chargers.Command", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rollout", "charge_point__charge_point_id"]
        constraints = [models.UniqueConstraint(fields=["rollout", "charge_point"], name="unique_rollout_charger")]
        indexes = [models.Index(fields=["charge_point", "status"])]

    def __str__(self) -> str:
        return f"{self.charge_point} in {self.rollout} ({self.status})"
