from django.apps import AppConfig


class ChargersConfig(AppConfig):
    name = "chargers"
    verbose_name = "Chargers"

    def ready(self) -> None:
        from chargers import subscribers
        from chargers.files import subscribers as files_subscribers

        subscribers.subscribe_all()
        files_subscribers.subscribe_all()
