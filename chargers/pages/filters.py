"""The charger list's filters and search, as a GET form (bad values are reported, not ignored)."""

from django import forms

from chargers.selectors import FLEET_STATES, SEARCH_FIELDS, charge_point_facets
from transactions.models import Site

ONLINE_CHOICES = [("", "any"), ("yes", "online"), ("no", "offline")]


class ChargePointFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    state = forms.ChoiceField(required=False, choices=[("", "any state"), *((s, s) for s in FLEET_STATES)])
    online = forms.ChoiceField(required=False, choices=ONLINE_CHOICES)
    site = forms.ModelChoiceField(required=False, queryset=Site.objects.all(), empty_label="any site")
    model = forms.ChoiceField(required=False)
    firmware = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        facets = charge_point_facets()
        self.fields["model"].choices = [("", "any model"), *((m, m) for m in facets["models"])]
        self.fields["firmware"].choices = [("", "any firmware"), *((f, f) for f in facets["firmware"])]
        labels = ", ".join(name.replace("_", " ") for name in SEARCH_FIELDS)
        self.fields["q"].widget.attrs.update(placeholder=f"Search: {labels}", type="search")

    def search_keywords(self) -> dict:
        """The selector's keywords (chargers.selectors.charge_point_search) for the valid filters."""
        data = self.cleaned_data
        return {
            "text": data.get("q", "").strip(),
            "state": data.get("state", ""),
            "online": {"yes": True, "no": False}.get(data.get("online", "")),
            "site_pk": data["site"].pk if data.get("site") else None,
            "model": data.get("model", ""),
            "firmware": data.get("firmware", ""),
        }
