"""The profile pages, included by chargers/page_urls.py under /chargers/ in the `chargers` namespace (the names
and paths are those the pages always had)."""

from django.urls import path

from chargers.profiles import views

urlpatterns = [
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
]
