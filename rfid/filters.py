"""One filter of id tags for the API (`id-tags/?status=…`) and the /rfid/ pages: status, group, owner, site,
the chargers where they may charge, and a search."""

import django_filters
from django.db.models import Q, QuerySet

from chargers.models import ChargePoint
from rfid import selectors
from rfid.models import IdTag, IdTagStatus
from rfid.services import id_tag_normalize
from transactions.sites.models import Site


class IdTagFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search", help_text="In the id tag, label, note, owner")
    status = django_filters.ChoiceFilter(choices=IdTagStatus.choices, empty_label="any status")
    parent_id_tag = django_filters.CharFilter(method="group", label="Group", help_text="Tags of this group")
    owner = django_filters.CharFilter(field_name="user__username", label="Owner", help_text="The owner's username")
    site = django_filters.ModelChoiceFilter(
        field_name="allowed_sites",
        queryset=Site.objects.order_by("name"),
        label="Site",
        empty_label="any site",
        help_text="Tags that chose this site (by id)",
    )
    charge_point = django_filters.CharFilter(
        method="allowed_at", label="May charge at", help_text="Tags that may charge at this charge point id"
    )

    class Meta:
        model = IdTag
        fields = ["q", "status", "parent_id_tag", "owner", "site", "charge_point"]

    def search(self, queryset: QuerySet[IdTag], name: str, value: str) -> QuerySet[IdTag]:
        text = value.strip()
        canonical = id_tag_normalize(raw=text)
        return (
            queryset.filter(
                Q(id_tag__contains=canonical)
                | Q(label__icontains=text)
                | Q(note__icontains=text)
                | Q(user__username__icontains=text)
            )
            if canonical
            else queryset
        )

    def group(self, queryset: QuerySet[IdTag], name: str, value: str) -> QuerySet[IdTag]:
        return queryset.filter(parent__id_tag=id_tag_normalize(raw=value))

    def allowed_at(self, queryset: QuerySet[IdTag], name: str, value: str) -> QuerySet[IdTag]:
        charge_point = ChargePoint.objects.filter(charge_point_id=value.strip()).first()
        if charge_point is None:
            return queryset.none()
        return queryset.filter(pk__in=selectors.id_tags_allowed_at(charge_point=charge_point).values("pk"))
