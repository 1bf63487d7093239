"""REST routes of the rfid app, mounted under /api/v1/ by portal/api_urls.py."""

from rest_framework.routers import SimpleRouter

from rfid import api

router = SimpleRouter()
router.register("id-tags", api.IdTagViewSet, basename="id-tag")

urlpatterns: list = [*router.urls]
