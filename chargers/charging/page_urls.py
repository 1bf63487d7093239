"""The charging-profiles page, mounted at the root by portal/urls.py."""

from django.urls import path

from chargers.charging import views

app_name = "charging"

urlpatterns = [
    path("chargers/<str:charge_point_id>/charging-profiles/", views.charging_profiles, name="profiles"),
    path(
        "chargers/<str:charge_point_id>/charging-profiles/<int:pk>/clear/",
        views.charging_profile_clear,
        name="profile-clear",
    ),
    path("chargers/<str:charge_point_id>/composite-schedule/ask/", views.composite_ask, name="composite-ask"),
]
