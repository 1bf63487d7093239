"""REST routes of the chargers app, mounted under /api/v1/ by portal/api_urls.py.

A router for the resources, and a plain list so that more routes (commands) can be appended.
"""

from rest_framework.routers import SimpleRouter

from chargers import api

router = SimpleRouter()
router.register("chargers", api.ChargePointViewSet, basename="charger")

urlpatterns: list = [*router.urls]
