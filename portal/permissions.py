"""The REST API's permission rules (the defaults in settings.REST_FRAMEWORK): operators only, each request needs
the model permission its method implies (as the admin asks for the same model), and a request made with an API
key needs the key's scope for it too."""

from typing import TYPE_CHECKING

from django.db.models import Model
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    # For annotations only: rest_framework.views loads this module through its settings.
    from rest_framework.views import APIView

from portal.models import ApiKey, ApiScope
from portal.roles import user_is_operator

# HTTP method -> Django's permission action. Reads need `view` too: the admin asks for it as well.
METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class OperatorPermission(BasePermission):
    """Staff only (customers get 403, the anonymous 401), then `<app>.<action>_<model>` where the model is the
    view's `permission_model`, else its queryset's; a view names exceptions per action in
    `action_permissions`, e.g. {"cancel": "change"} (cancelling changes a command, it does not add one)."""

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if not user_is_operator(request.user):
            return False
        return request.user.has_perm(self.required_permission(request, view))

    @staticmethod
    def required_permission(request: Request, view: "APIView") -> str:
        action = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        action = action or METHOD_ACTIONS.get(request.method, "change")
        opts = _model(view)._meta
        return f"{opts.app_label}.{action}_{opts.model_name}"


# Writes to these models take their own scope; every other write takes `admin`. By model, like the permission
# above: a view of commands or id tags added later is scoped the day it is added.
SCOPE_OF_MODEL = {
    "chargers.command": ApiScope.COMMANDS,
    "chargers.commandbatch": ApiScope.COMMANDS,
    "rfid.idtag": ApiScope.TAGS,
}


class ApiKeyScopePermission(BasePermission):
    """A request authenticated by an API key needs the key's scope for it: `read` for GET, HEAD and OPTIONS;
    for writes, the view's `api_scope` if it names one, else the scope of its model (SCOPE_OF_MODEL), else
    `admin`. Browser sessions have no key and are not limited beyond their user's permissions."""

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if not isinstance(request.auth, ApiKey):
            return True
        scope = self.required_scope(request, view)
        if scope in request.auth.scopes:
            return True
        # DRF answers 403 with this message (one instance per request, so setting it here is safe).
        self.message = f"This API key lacks the scope '{scope}' (it has: {', '.join(request.auth.scopes)})."
        return False

    @staticmethod
    def required_scope(request: Request, view: "APIView") -> str:
        if request.method in SAFE_METHODS:
            return ApiScope.READ
        named = getattr(view, "api_scope", None)
        if named is not None:
            return named
        return SCOPE_OF_MODEL.get(_model(view)._meta.label_lower, ApiScope.ADMIN)


def _model(view: "APIView") -> type[Model]:
    model = getattr(view, "permission_model", None)
    if model is not None:
        return model
    queryset = getattr(view, "queryset", None)
    if queryset is None:
        # Only a view that builds its queryset per request gets here; asking it costs no query (lazy).
        queryset = view.get_queryset()
    return queryset.model
