"""The REST API's one permission rule (the default in settings.REST_FRAMEWORK): operators only, and each
request needs the model permission its method implies, as the admin asks for the same model."""

from typing import TYPE_CHECKING

from django.db.models import Model
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    # For annotations only: rest_framework.views loads this module through its settings.
    from rest_framework.views import APIView

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


def _model(view: "APIView") -> type[Model]:
    model = getattr(view, "permission_model", None)
    if model is not None:
        return model
    queryset = getattr(view, "queryset", None)
    if queryset is None:
        # Only a view that builds its queryset per request gets here; asking it costs no query (lazy).
        queryset = view.get_queryset()
    return queryset.model
