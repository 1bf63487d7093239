"""Operator pages of chargers and charger model profiles, mounted at /chargers/ (portal/urls.py)."""

from django.urls import include, path

from chargers import views

app_name = "chargers"

urlpatterns = [
    path("", views.charge_point_list, name="charge-point-list"),
    # Before the charger pages: "models" and "questionnaire" would otherwise be read as charge point ids.
    path("", include("chargers.profiles.urls")),
    path("<str:charge_point_id>/", views.charge_point_detail, name="charge-point-detail"),
    path("<str:charge_point_id>/profile/", views.charge_point_set_profile, name="charge-point-set-profile"),
    path(
        "<str:charge_point_id>/data-transfer/<int:spec_pk>/",
        views.data_transfer_check,
        name="data-transfer-check",
    ),
]
