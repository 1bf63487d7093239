"""Helpers of the record page tests: people with the rights the pages ask for, and sessions with readings."""

from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import Group, Permission

from portal.roles import VIEWERS_GROUP
from tests.factories import MeterValueFactory, OperatorFactory, UserFactory
from transactions.models import Transaction


def full_operator():
    return OperatorFactory()


def viewer():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    return user


def staff_without_rights():
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_chargepoint"))
    return user


def reading(session: Transaction, at: datetime, measurand: str, value: str, si_unit: str, phase: str = ""):
    return MeterValueFactory(
        transaction=session,
        timestamp=at,
        measurand=measurand,
        phase=phase,
        unit=si_unit,
        raw_value=value,
        value=Decimal(value),
        si_unit=si_unit,
        location="Outlet",
    )
