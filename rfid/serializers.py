"""Serializers of the rfid API (rfid/api.py): what a tag looks like in JSON and what a client may send.

Every id tag value that comes in (body, parent) is normalised first ('77:fd:2a:fa' and '77FD2AFA' are the same
card). `owner` is the customer's username (INTERFACES.md); the model calls it `user`.
"""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from chargers.models import ChargePoint
from rfid import selectors, services
from rfid.imports import ByteOrder, Existing
from rfid.models import IdTag, IdTagChange, IdTagStatus
from rfid.services import tags
from transactions.sites.models import Site

ID_TAG_MAX_LENGTH = IdTag._meta.get_field("id_tag").max_length
# Room for delimiters in what clients send ('77:FD:2A:FA:...'); the canonical form must fit ID_TAG_MAX_LENGTH.
RAW_ID_TAG_MAX_LENGTH = 64


class IdTagSerializer(serializers.ModelSerializer):
    parent_id_tag = serializers.CharField(
        source="parent.id_tag", read_only=True, allow_null=True, help_text="The group (parent id tag), if any."
    )
    owner = serializers.CharField(
        source="user.username", read_only=True, allow_null=True, help_text="The customer who owns the tag."
    )
    allowed_sites = serializers.PrimaryKeyRelatedField(
        many=True,
        read_only=True,
        help_text="Sites where it may charge (with allowed_charge_points both empty: everywhere).",
    )
    allowed_charge_points = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="charge_point_id", help_text="Chargers where it may charge."
    )

    class Meta:
        model = IdTag
        fields = ["id_tag", *tags.HISTORY_FIELDS, "created_at", "updated_at"]  # the fields a tag's history records
        read_only_fields = fields


class IdTagChangeSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True, allow_null=True, help_text="Who changed it.")

    class Meta:
        model = IdTagChange
        fields = ["id_tag", "at", "user", "source", "action", "changes"]
        read_only_fields = fields


def _canonical_id_tag(raw: str) -> str:
    value = services.id_tag_normalize(raw=raw)
    if not value:
        raise serializers.ValidationError("An id tag needs at least one character besides delimiters.")
    if len(value) > ID_TAG_MAX_LENGTH:
        raise serializers.ValidationError(
            f"At most {ID_TAG_MAX_LENGTH} characters without delimiters (OCPP idToken), {value} has {len(value)}."
        )
    return value


def _stored_parent(raw: str | None) -> IdTag | None:
    """The parent tag a client names; blank or null means none."""
    if not raw:
        return None
    value = services.id_tag_normalize(raw=raw)
    try:
        return selectors.id_tag_get(id_tag=value)
    except IdTag.DoesNotExist:
        raise serializers.ValidationError(f"Unknown parent id tag {value}.") from None


class _TagFieldsSerializer(serializers.Serializer):
    """The fields a client sets on create and change (the id tag itself only on create)."""

    status = serializers.ChoiceField(choices=IdTagStatus.choices, required=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    parent_id_tag = serializers.CharField(
        max_length=RAW_ID_TAG_MAX_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The group to join; null or blank: none.",
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        required=False,
        allow_null=True,
        help_text="The customer's username; null: nobody.",
    )
    label = serializers.CharField(max_length=100, required=False, allow_blank=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    allowed_sites = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Site.objects.all(), required=False, help_text="Site ids; [] with no chargers: everywhere."
    )
    allowed_charge_points = serializers.SlugRelatedField(
        many=True,
        slug_field="charge_point_id",
        queryset=ChargePoint.objects.all(),
        required=False,
        help_text="Charge point ids.",
    )

    def service_fields(self) -> dict:
        """The validated data under the services' names (the model's)."""
        data = dict(self.validated_data)
        if "parent_id_tag" in data:
            data["parent"] = data.pop("parent_id_tag")
        if "owner" in data:
            data["user"] = data.pop("owner")
        return data


class IdTagCreateSerializer(_TagFieldsSerializer):
    id_tag = serializers.CharField(
        max_length=RAW_ID_TAG_MAX_LENGTH, help_text="Stored upper case without delimiters: 77:fd:2a:fa → 77FD2AFA."
    )

    def validate_id_tag(self, value: str) -> str:
        canonical = _canonical_id_tag(value)
        if selectors.id_tags_existing(id_tags=[canonical]):
            raise serializers.ValidationError(services.id_tag_exists_message(id_tag=canonical))
        return canonical

    def validate_parent_id_tag(self, value: str | None) -> IdTag | None:
        return _stored_parent(value)


class IdTagUpdateSerializer(_TagFieldsSerializer):
    """The id tag value itself is the resource's name: to change it, create a new tag."""

    def validate_parent_id_tag(self, value: str | None) -> IdTag | None:
        parent = _stored_parent(value)
        if parent is not None and parent.pk == self.context["tag"].pk:
            raise serializers.ValidationError("A tag cannot be its own parent.")
        return parent

    def validate(self, attrs: dict) -> dict:
        # A PATCH whose keys are all misspelt would otherwise answer 200 and change nothing.
        if not attrs:
            raise serializers.ValidationError(
                f"Nothing to change: give any of {', '.join(_TagFieldsSerializer().fields)}.", code="empty"
            )
        return attrs


class IdTagImportItemSerializer(serializers.Serializer):
    """One item of a bulk import: shapes and types here; values, duplicates and parents in the service."""

    id_tag = serializers.CharField(max_length=RAW_ID_TAG_MAX_LENGTH)
    status = serializers.ChoiceField(choices=IdTagStatus.choices, required=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    parent_id_tag = serializers.CharField(
        max_length=RAW_ID_TAG_MAX_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="A stored tag or another tag of this import.",
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class IdTagCsvImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV, UTF-8, header id_tag,status,expiry_date,parent_id_tag,owner (an export imports again)."
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check and report only; store nothing.")
    partial = serializers.BooleanField(default=False, help_text="Store the good rows even when some are bad.")
    byte_order = serializers.ChoiceField(
        choices=ByteOrder.choices, default=ByteOrder.AS_READ, help_text="reversed: 77FD2AFA is stored as FA2AFD77."
    )
    existing = serializers.ChoiceField(
        choices=Existing.choices, default=Existing.REFUSE, help_text="A row for a stored tag: an error, or an update."
    )


class IdTagImportReportSerializer(serializers.Serializer):
    """For the schema: the report rfid.imports.ImportReport.as_dict() gives."""

    dry_run = serializers.BooleanField()
    partial = serializers.BooleanField()
    byte_order = serializers.CharField()
    existing = serializers.CharField()
    rows = serializers.IntegerField(help_text="Data rows read.")
    valid = serializers.IntegerField(help_text="Rows without errors.")
    stored = serializers.BooleanField(help_text="Whether anything was written.")
    imported = serializers.IntegerField(help_text="Tags created or updated (0 unless stored).")
    created = serializers.IntegerField(help_text="Created, or in a dry run: would be.")
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = serializers.ListField(
        child=serializers.DictField(), help_text='Every bad row: {"line": 3, "field": "status", "reason": "..."}.'
    )


def by_index(errors: dict[int, dict] | list[dict]) -> dict[str, dict]:
    """Item errors keyed by the item's index in the request, only for the items at fault."""
    pairs = enumerate(errors) if isinstance(errors, list) else errors.items()
    return {str(index): item_errors for index, item_errors in sorted(pairs) if item_errors}
