"""Reads of the portal app: customer accounts and their id tags."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, QuerySet

from rfid.models import IdTag


def customer_list() -> QuerySet:
    """Customers: active or not, every user who is not staff, with how many id tags each owns."""
    return get_user_model().objects.filter(is_staff=False, is_superuser=False).annotate(id_tag_count=Count("id_tags"))


def customer_id_tags(*, customer: AbstractBaseUser) -> QuerySet[IdTag]:
    return IdTag.objects.filter(user=customer).select_related("parent").order_by("id_tag")
