"""Forms of the profile pages: the vendor integration questionnaire (a profile and its lists), profile import,
share links, the operator's choice of a charger's profile, and DataTransfer forms built from a message's schema."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import jsonschema
from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory

from chargers.actions import OCPP_MESSAGES
from chargers.profiles.models import (
    ChargerInterface,
    ChargerModel,
    ConnectorSpec,
    DataTransferSpec,
    FirmwareVersion,
    MeasurandSpec,
    VendorErrorCode,
)
from chargers.profiles.services import charger_model_import, charger_model_loads
from chargers.profiles.validation import json_schema_properties
from chargers.profiles.vocabulary import SECURITY_SCHEMES, UPLOAD_PROTOCOLS, Transport, messages_for
from chargers.schema_forms import schema_field

# --- The questionnaire ------------------------------------------------------------------------------------


# The questionnaire's sections, in its order: (title, the profile's fields, a list (formset prefix), message grid).
QUESTIONNAIRE_SECTIONS: tuple[tuple[str, tuple[str, ...], str, bool], ...] = (
    (
        "General model information",
        ("vendor", "model", "boot_vendor_pattern", "boot_model_pattern", "match_priority"),
        "firmware",
        False,
    ),
    ("Charge point model configuration (connectors)", (), "connectors", False),
    ("OCPP versions and messages supported", (), "", True),
    (
        "Authorize: RFID code representation",
        ("rfid_byte_order", "rfid_delimiter", "rfid_example", "rfid_notes"),
        "",
        False,
    ),
    ("DataTransfer: custom messages", ("data_transfer_notes",), "data_transfers", False),
    (
        "GetDiagnostics: file format and upload protocol",
        ("diagnostics_file_format", "diagnostics_upload_protocols", "diagnostics_upload_notes"),
        "",
        False,
    ),
    ("UpdateFirmware: file format", ("firmware_file_format",), "", False),
    ("MeterValues: measurements", ("meter_values_notes",), "meter_values", False),
    ("SendLocalList: number of RFID cards stored", ("local_list_capacity", "local_list_capacity_exceeded"), "", False),
    (
        "SetChargingProfile: profile capacity",
        ("charging_profile_max_stack_level", "max_charging_profiles_installed"),
        "",
        False,
    ),
    ("StatusNotification: vendor error codes", ("vendor_error_codes_notes",), "error_codes", False),
    (
        "Charge point OCPP service endpoint",
        ("service_port", "service_path", "service_transports", "service_notes"),
        "",
        False,
    ),
    ("OCPP charge point service security", ("charge_point_security", "charge_point_security_notes"), "", False),
    ("OCPP back-end security", ("backend_security", "backend_security_notes"), "", False),
    ("Other interfaces", (), "interfaces", False),
    (
        "Technical contact to validate integration",
        ("contact_first_name", "contact_last_name", "contact_email", "contact_phone"),
        "",
        False,
    ),
    ("Other", ("documentation_url", "documentation_notes", "support_email", "support_phone", "notes"), "", False),
)


QUESTIONNAIRE_FIELDS = tuple(name for _title, fields, _list, _grid in QUESTIONNAIRE_SECTIONS for name in fields)


def _checkboxes(choices: list[tuple[str, str]], label: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(choices=choices, required=False, label=label, widget=forms.CheckboxSelectMultiple)


def _message_field(transport: str) -> str:
    return f"messages_{transport}"


class QuestionnaireForm(forms.ModelForm):
    """The profile's own answers; the lists are inline formsets (QUESTIONNAIRE_FORMSETS)."""

    diagnostics_upload_protocols = _checkboxes([(p, p) for p in UPLOAD_PROTOCOLS], "Diagnostics upload protocols")
    service_transports = _checkboxes(Transport.choices, "Transports the endpoint serves")
    charge_point_security = _checkboxes([(s, s) for s in SECURITY_SCHEMES], "Charge point interface security")
    backend_security = _checkboxes([(s, s) for s in SECURITY_SCHEMES], "Back-end connection security")
    documentation_url = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = ChargerModel
        fields = QUESTIONNAIRE_FIELDS
        labels = {
            "vendor": "Vendor name",
            "model": "Model name",
            "boot_vendor_pattern": "chargePointVendor pattern",
            "boot_model_pattern": "chargePointModel pattern",
            "rfid_byte_order": "Byte order sent to the back end",
            "rfid_delimiter": "Delimiter between bytes",
            "rfid_example": "IdTag example",
            "diagnostics_file_format": "Diagnostics file format",
            "diagnostics_upload_notes": "ftp authentication, location example",
            "firmware_file_format": "Firmware file format and extension",
            "local_list_capacity": "Maximum number of RFID cards in the local list",
            "local_list_capacity_exceeded": "More than this number",
            "service_port": "Port",
            "service_path": "Last part of the address",
            "contact_first_name": "First name",
            "contact_last_name": "Last name",
            "contact_email": "Email",
            "contact_phone": "Phone",
            "documentation_url": "Charge point model documentation",
            "support_email": "Support email",
            "support_phone": "Support phone",
        }
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in (
                "rfid_notes",
                "data_transfer_notes",
                "diagnostics_upload_notes",
                "meter_values_notes",
                "vendor_error_codes_notes",
                "service_notes",
                "charge_point_security_notes",
                "backend_security_notes",
                "documentation_notes",
                "notes",
            )
        }

    def __init__(self, *args: Any, vendor_view: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        supported = self.instance.supported_messages or {}
        for transport, label in Transport.choices:
            name = _message_field(transport)
            self.fields[name] = _checkboxes([(m, m) for m in messages_for(transport)], label)
            self.initial.setdefault(name, supported.get(transport, []))
        if vendor_view:
            # A vendor describes the charger; how the portal matches it is the operator's business.
            for name in ("boot_vendor_pattern", "boot_model_pattern", "match_priority"):
                del self.fields[name]

    def message_grid(self) -> list[tuple[str, list]]:
        """Rows of the questionnaire's message table: (message, one checkbox or None per transport)."""
        columns = {}
        for transport in Transport.values:
            columns[transport] = {w.data["value"]: w for w in self[_message_field(transport)]}
        return [(m, [columns[t].get(m) for t in Transport.values]) for m in OCPP_MESSAGES]

    def save(self, commit: bool = True) -> ChargerModel:
        profile = super().save(commit=False)
        profile.supported_messages = {
            t: [m for m in OCPP_MESSAGES if m in self.cleaned_data.get(_message_field(t), [])] for t in Transport.values
        }
        if commit:
            profile.save()
        return profile


class ConnectorSpecForm(forms.ModelForm):
    class Meta:
        model = ConnectorSpec
        fields = ConnectorSpec.QUESTIONNAIRE_FIELDS
        # The questionnaire's own words.
        labels = {
            "position": "Connector (column)",
            "evse_code": "EVSE code",
            "connector_code": "Connector code",
            "charging_type": "Charging type",
            "connector_type": "Connector type",
            "max_power_kw": "Max. connector power [kW]",
            "phases": "Number of phases",
        }


class DataTransferSpecForm(forms.ModelForm):
    data_schema = forms.JSONField(
        required=False,
        initial=dict,
        label="JSON schema of data",
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text='e.g. {"type": "object", "properties": {"connectorId": {"type": "integer"}}}',
    )

    class Meta:
        model = DataTransferSpec
        fields = ("vendor_id", "message_id", "direction", "data_schema", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_data_schema(self) -> dict:
        return self.cleaned_data.get("data_schema") or {}


def _formset(model: type, fields: tuple[str, ...] | None = None, form: type | None = None, extra: int = 1):
    options: dict[str, Any] = {"formset": BaseInlineFormSet, "extra": extra, "can_delete": True}
    if form is not None:
        options["form"] = form
    else:
        options["fields"] = fields
    return inlineformset_factory(ChargerModel, model, **options)


# prefix -> formset class of the questionnaire's lists.
QUESTIONNAIRE_FORMSETS: dict[str, Any] = {
    "firmware": _formset(FirmwareVersion, FirmwareVersion.QUESTIONNAIRE_FIELDS),
    "connectors": _formset(ConnectorSpec, form=ConnectorSpecForm, extra=4),
    "data_transfers": _formset(DataTransferSpec, form=DataTransferSpecForm),
    "meter_values": _formset(MeasurandSpec, MeasurandSpec.QUESTIONNAIRE_FIELDS, extra=2),
    "error_codes": _formset(VendorErrorCode, VendorErrorCode.QUESTIONNAIRE_FIELDS),
    "interfaces": _formset(ChargerInterface, ChargerInterface.QUESTIONNAIRE_FIELDS),
}


def questionnaire_sections(form: QuestionnaireForm, formsets: dict[str, Any]) -> list[dict]:
    return [
        {
            "title": title,
            "fields": [form[name] for name in fields if name in form.fields],
            "formset": formsets.get(prefix) if prefix else None,
            "grid": form.message_grid() if grid else None,
        }
        for title, fields, prefix, grid in QUESTIONNAIRE_SECTIONS
    ]


def questionnaire_formsets(*, data: Any = None, instance: ChargerModel) -> dict[str, Any]:
    formsets = {}
    for prefix, formset_class in QUESTIONNAIRE_FORMSETS.items():
        formset = formset_class(data=data, instance=instance, prefix=prefix)
        if prefix == "connectors":
            # Always the questionnaire's four columns (or more, when a model has more connectors).
            filled = instance.connector_specs.count() if instance.pk else 0
            formset.extra = max(0, 4 - filled)
            for i, form in enumerate(formset.extra_forms, start=filled + 1):
                form.initial.setdefault("position", i)
        formsets[prefix] = formset
    return formsets


# --- Import, share links, a charger's profile -------------------------------------------------------------


class ProfileImportForm(forms.Form):
    file = forms.FileField(required=False, help_text="A .json, .yaml or .yml export")
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8, "cols": 80}), label="or paste it")
    format = forms.ChoiceField(choices=[("auto", "from the file name"), ("json", "JSON"), ("yaml", "YAML")])
    replace = forms.BooleanField(required=False, help_text="Overwrite a profile of the same vendor and model")

    def clean(self) -> dict:
        cleaned = super().clean()
        upload, text = cleaned.get("file"), cleaned.get("text")
        if not upload and not text:
            raise ValidationError("Choose a file or paste a profile")
        fmt = cleaned.get("format")
        if upload:
            text = upload.read().decode("utf-8", "replace")
            if fmt == "auto":
                fmt = "yaml" if upload.name.lower().endswith((".yaml", ".yml")) else "json"
        if fmt == "auto":
            fmt = "json" if text.lstrip().startswith("{") else "yaml"
        cleaned["document"] = charger_model_loads(text=text, fmt=fmt)
        return cleaned

    def save(self) -> ChargerModel:
        """Import; errors of the document are added to the form, field path by field path."""
        try:
            return charger_model_import(document=self.cleaned_data["document"], replace=self.cleaned_data["replace"])
        except ValidationError as error:
            for where, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(None, f"{where}: {message}")
            raise


class ShareLinkForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=90, initial=14, label="valid for (days)")


class ChargePointProfileForm(forms.Form):
    charger_model = forms.ModelChoiceField(
        queryset=ChargerModel.objects.all(), required=False, empty_label="(match at BootNotification)"
    )
    override = forms.BooleanField(required=False, initial=True, help_text="Keep this choice over the next boots")


# --- DataTransfer forms from a message's JSON schema ------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


def _data(message: DataTransferSpec, cleaned_data: dict) -> Any:
    """`data` as a JSON value: the form's fields, or the raw JSON when the message has no schema."""
    properties = (message.data_schema or {}).get("properties")
    if not properties:
        return cleaned_data.get("data")
    return {
        name: _json_value(cleaned_data[name])
        for name in properties
        if cleaned_data.get(name) not in (None, "")
        and not (properties[name].get("type") == "boolean" and cleaned_data[name] is False)
    }


class DataTransferForm(forms.Form):
    message: DataTransferSpec

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors or not self.message.data_schema:
            return cleaned
        # The whole schema (anyOf, exclusiveMinimum, ...) is the rule; the fields are only its easy part.
        for error in jsonschema.Draft7Validator(self.message.data_schema).iter_errors(_data(self.message, cleaned)):
            field = str(error.path[0]) if error.path and str(error.path[0]) in self.fields else None
            self.add_error(field, error.message)
        return cleaned


def data_transfer_form_class(*, message: DataTransferSpec) -> type[forms.Form]:
    """A form for one DataTransfer message of a model, its fields built from the message's JSON schema; without
    a schema, one JSON field for the whole `data`."""
    schema = message.data_schema or {}
    properties = json_schema_properties(schema)
    required = set(schema.get("required", []))
    fields: dict[str, forms.Field] = {name: schema_field(name, spec, name in required) for name, spec in properties}
    if not properties:
        fields["data"] = forms.JSONField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    return type(f"{message.message_id}Form", (DataTransferForm,), {**fields, "message": message})


def data_transfer_payload(*, message: DataTransferSpec, cleaned_data: dict) -> dict:
    """The OCPP DataTransfer request for a valid form: {vendorId, messageId, data}, `data` a JSON string."""
    payload = {"vendorId": message.vendor_id, "messageId": message.message_id}
    data = _data(message, cleaned_data)
    if data is not None:
        payload["data"] = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return payload
