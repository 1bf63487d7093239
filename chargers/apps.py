from django.apps import AppConfig


class ChargersConfig(AppConfig):
    name = "chargers"
    verbose_name = "Chargers"

    def ready(self) -> None:
        from chargers import subscribers

        subscribers.subscribe_all()
