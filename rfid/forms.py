"""Forms of the /rfid/ pages: a tag (create and edit), block or unblock many, and the CSV import's options."""

from django import forms
from django.contrib.auth import get_user_model

from chargers.models import ChargePoint
from rfid import selectors
from rfid.imports import ByteOrder, Existing, ImportOptions
from rfid.models import IdTag, IdTagStatus
from rfid.services import id_tag_exists_message, id_tag_normalize
from transactions.sites.models import Site

ID_TAG_MAX_LENGTH = IdTag._meta.get_field("id_tag").max_length


class IdTagForm(forms.Form):
    """A tag's fields under the pages' names; `service_fields()` gives them under the services' (the model's)."""

    id_tag = forms.CharField(max_length=64, help_text="As printed on the card; stored upper case without ':' or '-'.")
    label = forms.CharField(max_length=100, required=False, help_text="What you call it, e.g. 'Van 12'.")
    status = forms.ChoiceField(choices=IdTagStatus.choices, initial=IdTagStatus.ACCEPTED)
    expires_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        label="Expires",
    )
    parent_id_tag = forms.CharField(max_length=64, required=False, label="Group (parent id tag)")
    owner = forms.CharField(max_length=150, required=False, help_text="The customer's username.")
    note = forms.CharField(max_length=200, required=False)
    allowed_sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple
    )
    allowed_charge_points = forms.ModelMultipleChoiceField(
        queryset=ChargePoint.objects.order_by("charge_point_id"),
        required=False,
        to_field_name="charge_point_id",
        help_text="No site and no charger: it may charge everywhere.",
    )

    def __init__(self, *args, tag: IdTag | None = None, **kwargs) -> None:
        self.tag = tag
        if tag is not None:
            kwargs.setdefault("initial", _initial(tag))
        super().__init__(*args, **kwargs)
        if tag is not None:
            # The value names the tag (its URL, its history): a new value is a new tag.
            self.fields["id_tag"].disabled = True

    def clean_id_tag(self) -> str:
        value = id_tag_normalize(raw=self.cleaned_data["id_tag"])
        if not value:
            raise forms.ValidationError("An id tag needs at least one character besides delimiters.")
        if len(value) > ID_TAG_MAX_LENGTH:
            raise forms.ValidationError(f"At most {ID_TAG_MAX_LENGTH} characters without delimiters ({value}).")
        if self.tag is None and selectors.id_tags_existing(id_tags=[value]):
            raise forms.ValidationError(id_tag_exists_message(id_tag=value))
        return value

    def clean_parent_id_tag(self) -> IdTag | None:
        value = id_tag_normalize(raw=self.cleaned_data["parent_id_tag"])
        if not value:
            return None
        if self.tag is not None and value == self.tag.id_tag:
            raise forms.ValidationError("A tag cannot be its own group.")
        try:
            return selectors.id_tag_get(id_tag=value)
        except IdTag.DoesNotExist:
            raise forms.ValidationError(f"Unknown parent id tag {value}.") from None

    def clean_owner(self):
        username = self.cleaned_data["owner"].strip()
        if not username:
            return None
        owner = get_user_model().objects.filter(username=username).first()
        if owner is None:
            raise forms.ValidationError(f"No user named {username!r}.")
        return owner

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["parent"] = data.pop("parent_id_tag")
        data["user"] = data.pop("owner")
        if self.tag is not None:
            data.pop("id_tag")
        return data


def _initial(tag: IdTag) -> dict:
    return {
        "id_tag": tag.id_tag,
        "label": tag.label,
        "status": tag.status,
        "expires_at": tag.expires_at,
        "parent_id_tag": tag.parent.id_tag if tag.parent_id else "",
        "owner": tag.user.get_username() if tag.user_id else "",
        "note": tag.note,
        "allowed_sites": list(tag.allowed_sites.all()),
        "allowed_charge_points": list(tag.allowed_charge_points.all()),
    }


class BulkStatusForm(forms.Form):
    """Block or unblock the chosen tags, or every tag the list's filter shows."""

    SELECTED = "selected"
    FILTERED = "filtered"

    # Not `status`: the filter sent along with it has a status of its own.
    set_status = forms.ChoiceField(choices=[(IdTagStatus.BLOCKED, "Block"), (IdTagStatus.ACCEPTED, "Unblock")])
    scope = forms.ChoiceField(choices=[(SELECTED, "the selected tags"), (FILTERED, "every tag the filter shows")])

    def clean(self) -> dict:
        data = super().clean()
        # The checkboxes of the list (any number, by value): the view finds them in the database.
        data["ids"] = [id_tag_normalize(raw=value) for value in self.data.getlist("ids") if value.strip()]
        if data.get("scope") == self.SELECTED and not data["ids"]:
            raise forms.ValidationError("Select at least one tag, or choose every tag the filter shows.")
        return data


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV, UTF-8, header: id_tag,status,expiry_date,parent_id_tag,owner")
    dry_run = forms.BooleanField(required=False, initial=True, label="Dry run: check and report, store nothing")
    partial = forms.BooleanField(required=False, label="Store the good rows even when some are bad")
    byte_order = forms.ChoiceField(
        choices=ByteOrder.choices, initial=ByteOrder.AS_READ, label="Byte order of card numbers"
    )
    existing = forms.ChoiceField(choices=Existing.choices, initial=Existing.REFUSE, label="A row for a stored tag")

    def options(self) -> ImportOptions:
        data = self.cleaned_data
        return ImportOptions(
            dry_run=data["dry_run"], partial=data["partial"], byte_order=data["byte_order"], existing=data["existing"]
        )
