"""The alerts pages, mounted at /alerts/ (portal/urls.py)."""

from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="alert-list"),
    path("subscription/", views.subscription, name="subscription"),
    path("<int:pk>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
]
