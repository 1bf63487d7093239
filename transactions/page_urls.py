"""Operator pages of charging sessions, mounted at /transactions/ (portal/urls.py)."""

from django.urls import path

from transactions import views

app_name = "transactions"

urlpatterns = [
    path("", views.transaction_list, name="transaction-list"),
    path("export.csv", views.transaction_list_csv, name="transaction-list-csv"),
    path("stale/", views.stale_list, name="stale-list"),
    path("<int:pk>/", views.transaction_detail, name="transaction-detail"),
    path("<int:pk>/meter-values.csv", views.transaction_meter_values_csv, name="transaction-meter-values-csv"),
    path("<int:pk>/close/", views.stale_close, name="stale-close"),
]
