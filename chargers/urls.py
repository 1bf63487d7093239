"""REST routes of the chargers app, mounted under /api/v1/ by portal/api_urls.py."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from chargers.api import charge_points
from chargers.commands import api as commands

router = SimpleRouter()
router.register("chargers", charge_points.ChargePointViewSet, basename="charger")
router.register("commands", commands.CommandViewSet, basename="command")
router.register("command-batches", commands.CommandBatchViewSet, basename="command-batch")

urlpatterns: list = [
    re_path(
        r"^chargers/(?P<charge_point_id>[^/]+)/commands/$",
        commands.ChargerCommandsView.as_view(),
        name="charger-commands",
    ),
    re_path(r"^command-schedules/$", commands.CommandScheduleView.as_view(), name="command-schedules"),
    *router.urls,
]
