"""REST routes of the webhooks app, mounted under /api/v1/ by portal/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from webhooks import api

router = SimpleRouter()
router.register("webhooks", api.WebhookViewSet, basename="webhook")

urlpatterns: list = [
    *router.urls,
    path("webhooks/<int:pk>/deliveries/", api.WebhookDeliveryList.as_view(), name="webhook-deliveries"),
]
