"""ASGI entry point for daphne: HTTP goes to Django, websockets to the chargers' OCPP consumer and to the browsers'
live feed (ws/live/)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from chargers.consumers import RefusedConsumer  # noqa: E402
from chargers.ocpp.schemas import warm_up  # noqa: E402
from chargers.routing import websocket_urlpatterns as charger_routes  # noqa: E402
from live.routing import websocket_urlpatterns as live_routes  # noqa: E402

warm_up()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([*charger_routes, *live_routes, re_path(r"", RefusedConsumer.as_asgi())]),
    }
)
