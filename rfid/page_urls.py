"""Operator pages of id tags, mounted at /rfid/ (portal/urls.py)."""

from django.urls import path

from rfid import views

app_name = "rfid"

urlpatterns = [
    path("", views.tag_list, name="tag-list"),
    # Before the tag pages: these words would otherwise be read as id tags.
    path("new/", views.tag_create, name="tag-create"),
    path("bulk/", views.tag_bulk_status, name="tag-bulk-status"),
    path("import/", views.tag_import, name="tag-import"),
    path("export/", views.tag_export, name="tag-export"),
    path("<str:id_tag>/", views.tag_detail, name="tag-detail"),
    path("<str:id_tag>/status/", views.tag_set_status, name="tag-set-status"),
    path("<str:id_tag>/delete/", views.tag_delete, name="tag-delete"),
]
