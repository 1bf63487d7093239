from django.apps import AppConfig


class RfidConfig(AppConfig):
    name = "rfid"
    verbose_name = "RFID"

    def ready(self) -> None:
        # Listeners only: importing them at module level would load the models before the registry is ready.
        from rfid.locallist import signals, subscribers

        signals.connect_all()
        subscribers.subscribe_all()
