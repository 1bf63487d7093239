"""REST routes of chargers/files/, mounted under /api/v1/ by portal/api_urls.py."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from chargers.files import api

router = SimpleRouter()
router.register("firmware", api.FirmwareViewSet, basename="firmware")

urlpatterns: list = [
    re_path(
        r"^chargers/(?P<charge_point_id>[^/]+)/diagnostics/$",
        api.ChargerDiagnosticsView.as_view(),
        name="charger-diagnostics",
    ),
    re_path(
        r"^chargers/(?P<charge_point_id>[^/]+)/diagnostics/(?P<pk>[0-9]+)/download/$",
        api.ChargerDiagnosticsDownloadView.as_view(),
        name="charger-diagnostics-download",
    ),
    *router.urls,
]
