"""REST routes of the transactions app, mounted under /api/v1/ by portal/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from transactions.api import meter_values, sites, transactions

router = SimpleRouter()
router.register("transactions", transactions.TransactionViewSet, basename="transaction")
router.register("sites", sites.SiteViewSet, basename="site")

urlpatterns: list = [
    *router.urls,
    path(
        "transactions/<int:pk>/meter-values/",
        meter_values.TransactionMeterValueList.as_view(),
        name="transaction-meter-values",
    ),
]
