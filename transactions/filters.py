"""Filters of the transaction lists: the REST API's (`TransactionFilter`) and the operator page's, which adds
site, state and a search box to the same fields."""

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from portal.filters import IsoDateTimeFilter
from transactions.models import Site, Transaction


class TransactionFilter(filters.FilterSet):
    charge_point_id = filters.CharFilter(field_name="charge_point__charge_point_id", help_text="Charge point id")
    connector_id = filters.NumberFilter()
    # Chargers send idTags in their own case; OCPP compares them case-insensitively.
    id_tag = filters.CharFilter(lookup_expr="iexact", help_text="The idTag that started the session")
    active = filters.BooleanFilter(
        field_name="stopped_at", lookup_expr="isnull", help_text="true: still running; false: stopped"
    )
    started_after = IsoDateTimeFilter(
        field_name="started_at", lookup_expr="gte", help_text="Started at or after (ISO 8601)"
    )
    started_before = IsoDateTimeFilter(field_name="started_at", lookup_expr="lt", help_text="Started before (ISO 8601)")
    stopped_after = IsoDateTimeFilter(
        field_name="stopped_at", lookup_expr="gte", help_text="Stopped at or after (ISO 8601)"
    )
    stopped_before = IsoDateTimeFilter(field_name="stopped_at", lookup_expr="lt", help_text="Stopped before (ISO 8601)")
    site = filters.NumberFilter(method="in_site", help_text="The id of a site: its chargers' and its circuits'")

    class Meta:
        model = Transaction
        fields = [
            "charge_point_id",
            "connector_id",
            "id_tag",
            "active",
            "started_after",
            "started_before",
            "stopped_after",
            "stopped_before",
            "site",
        ]

    def in_site(self, queryset: QuerySet[Transaction], name: str, value: object) -> QuerySet[Transaction]:
        # A site counts its circuits' chargers (one level), as the site pages do.
        return queryset.filter(Q(charge_point__site=value) | Q(charge_point__site__parent=value))


class TransactionPageFilter(TransactionFilter):
    """/transactions/: the API's filters, a site (with its circuits), running or ended, and a search over the
    transaction id, the tag and the charger."""

    q = filters.CharFilter(method="search", label="Search")
    site = filters.ModelChoiceFilter(queryset=Site.objects.all(), method="in_site", label="Site", empty_label="any")
    state = filters.ChoiceFilter(
        choices=[("running", "running"), ("ended", "ended")], method="in_state", label="State", empty_label="any"
    )

    class Meta(TransactionFilter.Meta):
        fields = ["q", "charge_point_id", "id_tag", "site", "state", "started_after", "started_before"]

    # The API's filters the page does without: `state` says running or ended in words.
    LEFT_OUT = ("active", "connector_id", "stopped_after", "stopped_before")
    LABELS = {
        "charge_point_id": "Charger",
        "id_tag": "Id tag",
        "started_after": "Started from",
        "started_before": "Started before",
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.LEFT_OUT:
            self.filters.pop(name)
        for name, label in self.LABELS.items():
            self.filters[name].label = label
        # The browser's own picker; the API's ISO 8601 parser reads what it sends ("2026-12-01T08:30").
        for name in ("started_after", "started_before"):
            self.form.fields[name].widget.input_type = "datetime-local"

    def search(self, queryset: QuerySet[Transaction], name: str, value: str) -> QuerySet[Transaction]:
        words = Q(id_tag__icontains=value) | Q(charge_point__charge_point_id__icontains=value)
        words |= Q(charge_point__name__icontains=value)
        if value.strip().isdigit():
            words |= Q(pk=int(value))
        return queryset.filter(words)

    def in_state(self, queryset: QuerySet[Transaction], name: str, value: str) -> QuerySet[Transaction]:
        return queryset.filter(stopped_at__isnull=value == "running")
