"""REST routes of chargers/charging/, mounted under /api/v1/ by portal/api_urls.py."""

from django.urls import re_path

from chargers.charging import api

urlpatterns = [
    re_path(
        r"^chargers/(?P<charge_point_id>[^/]+)/charging-profiles/$",
        api.ChargingProfilesView.as_view(),
        name="charger-charging-profiles",
    ),
    re_path(
        r"^chargers/(?P<charge_point_id>[^/]+)/charging-profiles/(?P<profile_id>[0-9]+)/$",
        api.ChargingProfileView.as_view(),
        name="charger-charging-profile",
    ),
    re_path(
        r"^chargers/(?P<charge_point_id>[^/]+)/composite-schedule/$",
        api.CompositeScheduleView.as_view(),
        name="charger-composite-schedule",
    ),
]
