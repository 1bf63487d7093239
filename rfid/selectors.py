from django.db.models import QuerySet

from rfid.models import IdTag


def id_tag_list() -> QuerySet[IdTag]:
    return IdTag.objects.select_related("parent", "user")
