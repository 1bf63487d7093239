"""Messages to consumers from sync code (services, tasks), over the channel layer."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def channel_send(channel_name: str, message: dict) -> None:
    """Send to one consumer; a consumer that has gone loses it silently (the layer delivers at most once)."""
    async_to_sync(get_channel_layer().send)(channel_name, message)
