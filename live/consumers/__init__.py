"""The websocket feeds of the live app: browsers' pages (browser.py, ws/live/) and integrators (integrators.py,
ws/api/v1/events/), on what they share (feed.py)."""

from live.consumers.browser import LiveConsumer
from live.consumers.integrators import IntegratorConsumer

__all__ = ["IntegratorConsumer", "LiveConsumer"]
