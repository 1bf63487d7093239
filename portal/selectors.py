"""Reads of the portal app: customer accounts and their id tags; API keys and who may see and revoke which."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, QuerySet

from portal.models import ApiKey
from portal.roles import user_is_operator, user_is_viewer
from rfid.models import IdTag


def customer_list() -> QuerySet:
    """Customers: active or not, every user who is not staff, with how many id tags each owns."""
    return get_user_model().objects.filter(is_staff=False, is_superuser=False).annotate(id_tag_count=Count("id_tags"))


def customer_id_tags(*, customer: AbstractBaseUser) -> QuerySet[IdTag]:
    return IdTag.objects.filter(user=customer).select_related("parent").order_by("id_tag")


def api_keys_see_all(*, user: AbstractBaseUser) -> bool:
    """An operator allowed to read API keys (Django's `portal.view_apikey`) sees everyone's; others their own."""
    return user_is_operator(user) and user.has_perm("portal.view_apikey")


def api_keys_revoke_any(*, user: AbstractBaseUser) -> bool:
    """An operator allowed to change API keys may revoke anyone's; everyone may revoke their own."""
    return user_is_operator(user) and not user_is_viewer(user) and user.has_perm("portal.change_apikey")


def api_key_list(*, user: AbstractBaseUser) -> QuerySet[ApiKey]:
    """The keys `user` may see on the keys page, newest first, the active before the revoked."""
    keys = ApiKey.objects.select_related("user").order_by(F("revoked_at").desc(nulls_first=True), "-created_at")
    return keys if api_keys_see_all(user=user) else keys.filter(user=user)


def api_keys_revocable(*, user: AbstractBaseUser) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.filter(revoked_at__isnull=True)
    return keys if api_keys_revoke_any(user=user) else keys.filter(user=user)
