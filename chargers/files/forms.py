"""The firmware library page's upload form (the REST API takes the same fields: chargers/files/api.py)."""

from django import forms


class FirmwareForm(forms.Form):
    file = forms.FileField()
    version = forms.CharField(max_length=100)
    model = forms.CharField(max_length=100, help_text="A model profile's id or the model name chargers boot with")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
