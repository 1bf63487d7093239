"""Plain values of chargers/files/ that services and selectors share: where files live, how secrets are kept."""

import hashlib
from pathlib import Path

from django.conf import settings

from chargers.redaction import DIAGNOSTICS_UPLOAD_PATH

__all__ = ["FIRMWARE_LINK_SALT", "FIRMWARE_PATH", "UPLOAD_PATH", "diagnostics_folder", "firmware_path", "secret_digest"]

# Where HTTP uploads go, under PUBLIC_URL: UPLOAD_PATH<token>/<secret>/ (portal/urls.py mounts it there); the
# redaction that masks the secret is declared beside it.
UPLOAD_PATH = DIAGNOSTICS_UPLOAD_PATH
# Where chargers download hosted firmware, under PUBLIC_URL: FIRMWARE_PATH<signed token>/<file name>.
FIRMWARE_PATH = "files/firmware/"
# The signing salt of those tokens (django.core.signing): a token of another kind never opens a firmware file.
FIRMWARE_LINK_SALT = "chargers.files.firmware-link"


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def diagnostics_folder(token: str) -> Path:
    """An upload location's folder: the one an FTP login may write to, where an HTTP upload is written too."""
    return Path(settings.FILES_ROOT) / "diagnostics" / token


def firmware_path(firmware_pk: int) -> Path:
    return Path(settings.FILES_ROOT) / "firmware" / str(firmware_pk)
