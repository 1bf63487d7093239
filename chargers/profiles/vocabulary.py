"""The questionnaire's vocabulary: the choices its answers are made of, and what each transport can carry."""

from django.db import models

from chargers.actions import OCPP16_ONLY_MESSAGES, OCPP_MESSAGES


class Transport(models.TextChoices):
    OCPP15_SOAP = "ocpp15_soap", "OCPP 1.5 SOAP"
    OCPP16_SOAP = "ocpp16_soap", "OCPP 1.6 SOAP"
    OCPP16_JSON = "ocpp16_json", "OCPP 1.6 JSON"


def messages_for(transport: str) -> tuple[str, ...]:
    """The messages a transport can carry at all."""
    if transport == Transport.OCPP15_SOAP:
        return tuple(m for m in OCPP_MESSAGES if m not in OCPP16_ONLY_MESSAGES)
    return OCPP_MESSAGES


class ProfileStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted by the vendor, to review"
    ACTIVE = "active", "Active (matched at BootNotification)"


class ByteOrder(models.TextChoices):
    LITTLE_ENDIAN = "little_endian", "Little-endian"
    BIG_ENDIAN = "big_endian", "Big-endian"


class ChargingType(models.TextChoices):
    AC = "AC", "AC"
    DC = "DC", "DC"
    WIRELESS = "wireless", "Wireless"


class MeterLevel(models.TextChoices):
    CHARGE_POINT = "charge_point", "Charge point"
    EVSE = "evse", "EVSE"
    CONNECTOR = "connector", "Connector"


class LoadRole(models.TextChoices):
    """What a meter value means to load management (transactions/load): the draw of what is not our chargers."""

    NONE = "", "None"
    BUILDING = "building", "Building consumption of the charger's site"
    CLUSTER = "cluster", "Consumption of the charger's circuit (cluster)"


class MessageDirection(models.TextChoices):
    TO_CHARGER = "to_charger", "Central system → charger"
    FROM_CHARGER = "from_charger", "Charger → central system"
    BOTH = "both", "Both directions"


UPLOAD_PROTOCOLS = ("ftp", "ftps", "http", "https", "sftp")
SECURITY_SCHEMES = ("ws", "wss", "http", "https")
