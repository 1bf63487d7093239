"""The subscription form: which kinds, which sites, by e-mail or not."""

from django import forms

from alerts.models import AlertKind
from transactions.models import Site


class SubscriptionForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        choices=AlertKind.choices, widget=forms.CheckboxSelectMultiple, required=False, label="Alert kinds"
    )
    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Sites",
        help_text="None chosen: every site, and chargers without one.",
    )
    email = forms.BooleanField(required=False, label="Send me these alerts by e-mail")
