"""The OCPP 1.6 smart-charging words, declared once (models' choices and the validation rules derive from them)."""

from django.db import models


class ProfilePurpose(models.TextChoices):
    CHARGE_POINT_MAX = "ChargePointMaxProfile"
    TX_DEFAULT = "TxDefaultProfile"
    TX = "TxProfile"


class ProfileKind(models.TextChoices):
    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


class RecurrencyKind(models.TextChoices):
    DAILY = "Daily"
    WEEKLY = "Weekly"


class RateUnit(models.TextChoices):
    AMPS = "A"
    WATTS = "W"


MAX_PHASES = 3
