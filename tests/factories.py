"""factory-boy factories for the API tests (and whoever else wants them)."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from chargers.models import ChargePoint, Connector, RegistrationStatus
from portal.services import api_key_create
from rfid.models import IdTag
from transactions.models import MeterValue, Transaction


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("secret-password")


class StaffUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"operator{n}")
    is_staff = True


class OperatorFactory(StaffUserFactory):
    """A full operator: staff with every model permission (writes check Django's permissions)."""

    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"full-operator{n}")

    @factory.post_generation
    def all_permissions(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.user_permissions.set(Permission.objects.all())


class ChargePointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChargePoint

    charge_point_id = factory.Sequence(lambda n: f"CP-{n:04d}")
    registration_status = RegistrationStatus.ACCEPTED
    vendor = "Acme"
    model = "Wallbox 22"
    firmware_version = "1.0.0"


class ConnectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connector

    charge_point = factory.SubFactory(ChargePointFactory)
    connector_id = 1
    status = "Available"
    error_code = "NoError"


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    charge_point = factory.SubFactory(ChargePointFactory)
    connector_id = 1
    id_tag = "77FD2AFA"
    id_tag_status = "Accepted"
    meter_start_wh = 1000
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))


class MeterValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeterValue

    transaction = factory.SubFactory(TransactionFactory)
    charge_point = factory.SelfAttribute("transaction.charge_point")
    connector_id = factory.SelfAttribute("transaction.connector_id")
    timestamp = factory.Sequence(lambda n: timezone.now() - timedelta(minutes=60 - n))
    measurand = "Energy.Active.Import.Register"
    location = "Outlet"
    context = "Sample.Periodic"
    unit = "Wh"
    raw_value = "1500"
    value = Decimal("1500")
    si_unit = "Wh"


class IdTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdTag

    id_tag = factory.Sequence(lambda n: f"TAG{n:05d}")


def token_client(user=None) -> APIClient:
    """An API client that speaks as `user` through a real `Authorization: Token` header (anonymous if None)."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(user)}")
    return client


def api_key_for(user) -> str:
    """A new API key of `user`, as `Authorization: Token <key>` takes it."""
    _, key = api_key_create(user=user, name="tests")
    return key
