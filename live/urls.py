"""Customer pages and share links, mounted at the root (portal/urls.py)."""

from django.urls import path

from live import views

app_name = "live"

urlpatterns = [
    path("me/", views.me, name="me"),
    path("me/sessions/<int:transaction_pk>/", views.me_session, name="me-session"),
    path("me/sessions/<int:transaction_pk>/card/", views.me_session_card, name="me-session-card"),
    path("live/<str:token>/", views.shared_session, name="shared-session"),
    path("live/<str:token>/qr.svg", views.shared_session_qr, name="shared-session-qr"),
]
