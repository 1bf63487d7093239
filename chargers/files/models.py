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
