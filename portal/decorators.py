"""View decorators for the operator pages."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from portal.roles import user_is_operator


def operator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff only: the anonymous go to the login page, a logged-in customer gets 403 (sending someone who is
    logged in to the login page again would only loop)."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_is_operator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return checked
