"""`Authorization: Token <key>` for the REST API, checked against the hashed API keys (portal.models.ApiKey)."""

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from portal.models import ApiKey
from portal.services import api_key_authenticate


class ApiKeyAuthentication(TokenAuthentication):
    """DRF's header parsing and error messages (and its OpenAPI security scheme, `tokenAuth`), our key store."""

    def authenticate_credentials(self, key: str) -> tuple:
        api_key: ApiKey | None = api_key_authenticate(key=key)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return api_key.user, api_key
