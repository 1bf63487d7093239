"""REST routes of the transactions app, mounted under /api/v1/ by portal/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from transactions import api

router = SimpleRouter()
router.register("transactions", api.TransactionViewSet, basename="transaction")

urlpatterns: list = [
    *router.urls,
    path(
        "transactions/<int:pk>/meter-values/",
        api.TransactionMeterValueList.as_view(),
        name="transaction-meter-values",
    ),
]
