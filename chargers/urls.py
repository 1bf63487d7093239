"""REST routes of the chargers app, mounted under /api/v1/ by portal/api_urls.py."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from chargers.api import charge_points, message_log
from chargers.commands import api as commands
from chargers.profiles import api as profiles

router = SimpleRouter()
router.register("chargers", charge_points.ChargePointViewSet, basename="charger")
router.register("commands", commands.CommandViewSet, basename="command")
router.register("command-batches", commands.CommandBatchViewSet, basename="command-batch")
router.register("charger-models", profiles.ChargerModelViewSet, basename="charger-model")

urlpatterns: list = [
    re_path(
        r"^chargers/(?P<charge_point_id>[^/]+)/commands/$",
        commands.ChargerCommandsView.as_view(),
        name="charger-commands",
    ),
    re_path(
        r"^chargers/(?P<charge_point_id>[^/]+)/message-log/$",
        message_log.MessageLogList.as_view(),
        name="charger-message-log",
    ),
    re_path(
        r"^chargers/(?P<charge_point_id>[^/]+)/connection-attempts/$",
        message_log.ConnectionAttemptList.as_view(),
        name="charger-connection-attempts",
    ),
    re_path(r"^message-log/$", message_log.MessageLogList.as_view(), name="message-log"),
    re_path(r"^connection-attempts/$", message_log.ConnectionAttemptList.as_view(), name="connection-attempts"),
    re_path(r"^command-schedules/$", commands.CommandScheduleView.as_view(), name="command-schedules"),
    *router.urls,
]
