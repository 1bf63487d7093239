"""REST routes of the rfid app, mounted under /api/v1/ by portal/api_urls.py."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from rfid import api
from rfid.locallist.api import LocalListSyncView, LocalListView

router = SimpleRouter()
router.register("id-tags", api.IdTagViewSet, basename="id-tag")

# Charge point ids may hold '.', ':' and the like: anything but the path separator (as chargers/ does).
urlpatterns: list = [
    *router.urls,
    re_path(r"^chargers/(?P<charge_point_id>[^/]+)/local-list/$", LocalListView.as_view(), name="local-list"),
    re_path(
        r"^chargers/(?P<charge_point_id>[^/]+)/local-list/sync/$", LocalListSyncView.as_view(), name="local-list-sync"
    ),
]
