from django.apps import AppConfig


class RfidConfig(AppConfig):
    name = "rfid"
    verbose_name = "RFID"
