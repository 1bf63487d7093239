"""Operator pages of sites, mounted at /sites/ (portal/urls.py)."""

from django.urls import path

from transactions.sites import views

app_name = "sites"

urlpatterns = [
    path("", views.site_list, name="site-list"),
    path("new/", views.site_create, name="site-create"),
    path("<int:pk>/", views.site_detail, name="site-detail"),
    path("<int:pk>/edit/", views.site_edit, name="site-edit"),
]
