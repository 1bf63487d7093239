from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from chargers.ocpp.soap.views import central_system_service
from portal import api_keys, views
from portal.login import LoginView
from portal.metrics import MetricsView

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("setup/", views.first_operator, name="first-operator"),
    path("health/", views.health, name="health"),
    path("metrics", MetricsView.as_view(), name="metrics"),
    # One login page for the portal and the admin, throttled (portal/login.py); before Django's own routes.
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/api-keys/", api_keys.api_key_page, name="api-keys"),
    path("account/api-keys/<int:pk>/revoke/", api_keys.api_key_revoke, name="api-key-revoke"),
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True), name="admin-login"),
    path("admin/", admin.site.urls),
    path("transactions/", include("transactions.page_urls")),
    path("sites/", include("transactions.sites.urls")),
    path("", include("chargers.files.page_urls")),
    path("", include("chargers.charging.page_urls")),
    path("chargers/", include("chargers.page_urls")),
    # With or without the trailing slash: a charger is configured once, and a POST cannot follow APPEND_SLASH's 301.
    re_path(r"^ocpp/soap/?$", central_system_service, name="ocpp-soap"),
    path("alerts/", include("alerts.urls")),
    path("rfid/", include("rfid.page_urls")),
    path("", include("live.urls")),
    path("api/v1/", include("portal.api_urls")),
]
