"""The REST API under /api/v1/: each app's routes, the OpenAPI schema and its docs (assets served locally)."""

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, include, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from live.api import TransactionShareView
from portal.api import CustomerViewSet
from transactions.load.api import SiteBuildingLoadView, SiteLoadHistoryView, SiteLoadView

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")


@csrf_exempt  # an API client sends no CSRF token: a write to a wrong path is a 404, not Django's CSRF page
def not_found(request: HttpRequest) -> HttpResponse:
    """Every path under /api/v1/ that no route takes: a JSON 404, as an unknown object gets, whatever the method.
    A known path without its trailing slash is redirected for reads (as APPEND_SLASH would); a write is told
    where to go instead, since a redirect would lose its body (and, with 301, its method)."""
    if not request.path_info.endswith("/") and _routed(f"{request.path_info}/"):
        if request.method in ("GET", "HEAD"):
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
        return JsonResponse(
            {"detail": f"Not found. Did you mean {request.path}/ (with the trailing slash)?"}, status=404
        )
    return JsonResponse({"detail": "Not found."}, status=404)


def _routed(path_info: str) -> bool:
    try:
        return resolve(path_info).func is not not_found
    except Resolver404:
        return False


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Our template: drf-spectacular's loads Google's fonts (ReDoc falls back to the browser's own).
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="portal/redoc.html"),
        name="api-redoc",
    ),
    path("", include("chargers.files.urls")),
    path("", include("chargers.charging.urls")),
    path("", include("chargers.urls")),
    path("", include("transactions.urls")),
    path("transactions/<int:pk>/share/", TransactionShareView.as_view(), name="transaction-share"),
    path("sites/<int:pk>/load/", SiteLoadView.as_view(), name="site-load"),
    path("sites/<int:pk>/load/history/", SiteLoadHistoryView.as_view(), name="site-load-history"),
    path("sites/<int:pk>/load/building/", SiteBuildingLoadView.as_view(), name="site-load-building"),
    path("", include("rfid.urls")),
    path("", include("webhooks.urls")),
    path("", include("alerts.api_urls")),
    *router.urls,
    # Last: whatever no route above took (the view redirects a read of a known path missing its slash).
    re_path(r"^.*$", not_found, name="api-not-found"),
]
