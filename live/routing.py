"""The live app's websocket routes.

- ws/live/: the browsers' feed. The Django session says who is watching (AuthMiddlewareStack); the Origin header
  must be one of ALLOWED_HOSTS, so another site's page cannot open a feed with a visitor's cookie.
- ws/api/v1/events/: the integrators' event stream. An API key says who is listening, never a cookie, so any
  origin may connect (a page of another site would need the key itself).
"""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import re_path

from live.consumers import IntegratorConsumer, LiveConsumer

websocket_urlpatterns = [
    re_path(r"^ws/live/$", AllowedHostsOriginValidator(AuthMiddlewareStack(LiveConsumer.as_asgi()))),
    re_path(r"^ws/api/v1/events/$", IntegratorConsumer.as_asgi()),
]
