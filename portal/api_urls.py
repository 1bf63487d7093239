"""The REST API under /api/v1/: each app's routes, the OpenAPI schema and its docs (assets served locally)."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from live.api import TransactionShareView


def not_found(request: HttpRequest) -> JsonResponse:
    # API clients parse JSON: an unknown path answers like an unknown object does, not with an HTML page.
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("chargers.urls")),
    path("", include("transactions.urls")),
    path("transactions/<int:pk>/share/", TransactionShareView.as_view(), name="transaction-share"),
    path("", include("rfid.urls")),
    path("", include("webhooks.urls")),
    # Last: only paths that end in '/', so that APPEND_SLASH still redirects 'chargers' to 'chargers/'.
    re_path(r"^.*/$", not_found, name="api-not-found"),
]
