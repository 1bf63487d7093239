"""REST routes of chargers/files/, mounted under /api/v1/ by portal/api_urls.py."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from chargers.files.api import diagnostics, firmware, rollouts

router = SimpleRouter()
router.register("firmware", firmware.FirmwareViewSet, basename="firmware")
router.register("firmware-rollouts", rollouts.FirmwareRolloutViewSet, basename="firmware-rollout")

urlpatterns: list = [
    re_path(
        r"^chargers/(?P<charge_point_id>[^/]+)/diagnostics/$",
        diagnostics.ChargerDiagnosticsView.as_view(),
        name="charger-diagnostics",
    ),
    re_path(
        r"^chargers/(?P<charge_point_id>[^/]+)/diagnostics/(?P<pk>[0-9]+)/download/$",
        diagnostics.ChargerDiagnosticsDownloadView.as_view(),
        name="charger-diagnostics-download",
    ),
    *router.urls,
]
