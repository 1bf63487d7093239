"""The operator's form for a site, with the chargers that stand there."""

from django import forms

from chargers.models import ChargePoint
from transactions.sites.models import Site
from transactions.sites.services import SITE_FIELDS


class SiteForm(forms.ModelForm):
    charge_points = forms.ModelMultipleChoiceField(
        queryset=ChargePoint.objects.order_by("charge_point_id"),
        required=False,
        label="Chargers",
        help_text="The chargers that stand here (a charger chosen here leaves its old site)",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Site
        fields = SITE_FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["charge_points"].initial = list(self.instance.charge_points.values_list("pk", flat=True))
            # A site cannot be fed from itself (the model's clean() refuses its circuits too).
            self.fields["parent"].queryset = Site.objects.exclude(pk=self.instance.pk)

    def clean(self) -> dict:
        cleaned = super().clean()
        name, parent = cleaned.get("name"), cleaned.get("parent")
        # The database says "unique_top_site_name is violated"; say it in words first.
        same = Site.objects.filter(name=name, parent=None).exclude(pk=self.instance.pk)
        if name and parent is None and same.exists():
            self.add_error("name", f"A site named {name!r} exists already.")
        return cleaned
