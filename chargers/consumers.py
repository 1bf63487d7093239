"""The app's websocket consumers; the OCPP ones live in the protocol room (chargers/ocpp/)."""

from chargers.ocpp.websocket import OcppConsumer, RefusedConsumer

__all__ = ["OcppConsumer", "RefusedConsumer"]
