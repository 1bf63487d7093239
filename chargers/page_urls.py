"""Operator pages of chargers and charger model profiles, mounted at /chargers/ (portal/urls.py)."""

from django.urls import include, path

from chargers.pages import charge_points, operations

app_name = "chargers"

urlpatterns = [
    path("", charge_points.charge_point_list, name="charge-point-list"),
    # Before the charger pages: "models" and "questionnaire" would otherwise be read as charge point ids.
    path("", include("chargers.profiles.urls")),
    path("<str:charge_point_id>/", charge_points.charge_point_detail, name="charge-point-detail"),
    path("<str:charge_point_id>/profile/", charge_points.charge_point_set_profile, name="charge-point-set-profile"),
    path(
        "<str:charge_point_id>/operations/<str:action>/",
        charge_points.charge_point_operate,
        name="charge-point-operate",
    ),
    path("<str:charge_point_id>/accept/", operations.charge_point_accept_view, name="charge-point-accept"),
    path(
        "<str:charge_point_id>/data-transfer/<int:spec_pk>/",
        charge_points.data_transfer_check,
        name="data-transfer-check",
    ),
]
