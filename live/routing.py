"""The browser's websocket route. The Django session says who is watching (AuthMiddlewareStack); the Origin
header must be one of ALLOWED_HOSTS, so another site's page cannot open a feed with a visitor's cookie."""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import re_path

from live.consumers import LiveConsumer

websocket_urlpatterns = [
    re_path(r"^ws/live/$", AllowedHostsOriginValidator(AuthMiddlewareStack(LiveConsumer.as_asgi()))),
]
