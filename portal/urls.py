from django.contrib import admin
from django.urls import include, path

from portal import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("setup/", views.first_operator, name="first-operator"),
    path("health/", views.health, name="health"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("chargers/", include("chargers.page_urls")),
    path("api/v1/", include("portal.api_urls")),
]
