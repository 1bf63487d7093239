"""Operator pages of chargers and charger model profiles, mounted at /chargers/ (portal/urls.py)."""

from django.urls import path

from chargers import views

app_name = "chargers"

urlpatterns = [
    path("", views.charge_point_list, name="charge-point-list"),
    path("models/", views.profile_list, name="profile-list"),
    path("models/new/", views.profile_create, name="profile-create"),
    path("models/import/", views.profile_import, name="profile-import"),
    path("models/firmware/", views.firmware_comparison, name="firmware-comparison"),
    path("models/<int:pk>/", views.profile_detail, name="profile-detail"),
    path("models/<int:pk>/edit/", views.profile_edit, name="profile-edit"),
    path("models/<int:pk>/status/", views.profile_set_status, name="profile-set-status"),
    path("models/<int:pk>/export.<str:fmt>", views.profile_export, name="profile-export"),
    path("models/<int:pk>/share/", views.share_link_create, name="share-link-create"),
    path("questionnaire/<str:token>/", views.vendor_questionnaire, name="vendor-questionnaire"),
    path("<str:charge_point_id>/", views.charge_point_detail, name="charge-point-detail"),
    path("<str:charge_point_id>/profile/", views.charge_point_set_profile, name="charge-point-set-profile"),
    path(
        "<str:charge_point_id>/data-transfer/<int:spec_pk>/",
        views.data_transfer_check,
        name="data-transfer-check",
    ),
]
