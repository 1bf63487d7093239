"""`Authorization: Token <key>` for the REST API, checked against the hashed API keys (portal.models.ApiKey)."""

from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from portal import login_throttle
from portal.models import ApiKey
from portal.services import api_key_authenticate


class ApiKeyAuthentication(TokenAuthentication):
    """DRF's header parsing and error messages (and its OpenAPI security scheme, `tokenAuth`), our key store.
    Wrong keys count against the caller's address like wrong passwords do (portal.login_throttle)."""

    def authenticate(self, request: Request) -> tuple | None:
        address = login_throttle.client_address(request)
        wait = login_throttle.address_wait(address=address)
        if wait and self._presents_a_key(request):
            raise exceptions.Throttled(wait=wait, detail=login_throttle.TOO_MANY_MESSAGE)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            login_throttle.failure_record(username=None, address=address)
            raise

    def _presents_a_key(self, request: HttpRequest) -> bool:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        return header.split(" ", 1)[0].lower() == self.keyword.lower()

    def authenticate_credentials(self, key: str) -> tuple:
        api_key: ApiKey | None = api_key_authenticate(key=key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return api_key.user, api_key
