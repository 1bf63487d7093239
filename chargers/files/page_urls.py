"""Pages and plain-HTTP routes of chargers/files/, mounted at the root by portal/urls.py."""

from django.urls import path

from chargers.files import views
from chargers.files.values import FIRMWARE_PATH, UPLOAD_PATH

app_name = "files"

urlpatterns = [
    path(f"{FIRMWARE_PATH}<str:token>/<str:name>", views.firmware_download, name="firmware-download"),
    path("firmware/", views.firmware_list, name="firmware-list"),
    path("firmware/upload/", views.firmware_upload, name="firmware-upload"),
    path("firmware/rollouts/<int:pk>/", views.rollout_detail, name="rollout-detail"),
    path(f"{UPLOAD_PATH}<str:token>/<str:secret>/", views.diagnostics_upload, name="diagnostics-upload"),
    path(
        f"{UPLOAD_PATH}<str:token>/<str:secret>/<str:name>", views.diagnostics_upload, name="diagnostics-upload-named"
    ),
    path("chargers/<str:charge_point_id>/diagnostics/", views.diagnostics_list, name="diagnostics-list"),
    path("chargers/<str:charge_point_id>/diagnostics/<int:pk>/", views.diagnostics_detail, name="diagnostics-detail"),
    path(
        "chargers/<str:charge_point_id>/diagnostics/<int:pk>/files/<int:index>/",
        views.diagnostics_member,
        name="diagnostics-member",
    ),
    path(
        "chargers/<str:charge_point_id>/diagnostics/<int:pk>/download/",
        views.diagnostics_download,
        name="diagnostics-download",
    ),
]
