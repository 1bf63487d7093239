import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's tasks.py, and those of the packages inside an app (the command pipeline's).
app.autodiscover_tasks()
app.autodiscover_tasks(["chargers.commands", "chargers.files", "rfid.locallist"])
