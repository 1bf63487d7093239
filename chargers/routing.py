from django.urls import re_path

from chargers.consumers import OcppConsumer

websocket_urlpatterns = [
    re_path(r"^ocpp/(?P<charge_point_id>[^/]+)/?$", OcppConsumer.as_asgi()),
]
