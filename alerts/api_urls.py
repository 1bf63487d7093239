"""REST routes of the alerts app, mounted under /api/v1/ by portal/api_urls.py."""

from rest_framework.routers import SimpleRouter

from alerts import api

router = SimpleRouter()
router.register("alerts", api.AlertViewSet, basename="alert")

urlpatterns: list = router.urls
