"""Forms of the transaction pages."""

from django import forms

from transactions.services import STOP_REASONS


class CloseStaleForm(forms.Form):
    reason = forms.ChoiceField(choices=[(r, r) for r in STOP_REASONS], label="Stop reason (OCPP)")
    note = forms.CharField(max_length=200, required=False, label="Note", help_text="Why, for whoever reads it later")
