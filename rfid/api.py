"""REST API of the rfid app: serializers and views (urls in rfid/urls.py).

Id tags are addressed by their value. Every value that comes in (body, URL, parent) is normalised first
('77:fd:2a:fa' and '77FD2AFA' are the same card), so the API never stores or misses a tag by spelling.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.fields import get_error_detail
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from rfid import selectors, services
from rfid.models import IdTag, IdTagStatus

ID_TAG_MAX_LENGTH = IdTag._meta.get_field("id_tag").max_length
# Room for delimiters in what clients send ('77:FD:2A:FA:...'); the canonical form must fit ID_TAG_MAX_LENGTH.
RAW_ID_TAG_MAX_LENGTH = 64
BULK_IMPORT_MAX_ITEMS = 10_000

# --- Serializers ------------------------------------------------------------------------------------------


class IdTagSerializer(serializers.ModelSerializer):
    parent_id_tag = serializers.CharField(
        source="parent.id_tag", read_only=True, allow_null=True, help_text="The group (parent id tag), if any."
    )
    user = serializers.CharField(
        source="user.username", read_only=True, allow_null=True, help_text="The customer account of the tag."
    )

    class Meta:
        model = IdTag
        fields = ["id_tag", "status", "expires_at", "parent_id_tag", "user", "note", "created_at"]
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


class IdTagCreateSerializer(serializers.Serializer):
    id_tag = serializers.CharField(
        max_length=RAW_ID_TAG_MAX_LENGTH, help_text="Stored upper case without delimiters: 77:fd:2a:fa → 77FD2AFA."
    )
    status = serializers.ChoiceField(choices=IdTagStatus.choices, default=IdTagStatus.ACCEPTED)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    parent_id_tag = serializers.CharField(
        max_length=RAW_ID_TAG_MAX_LENGTH, required=False, allow_blank=True, allow_null=True, default=None
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_id_tag(self, value: str) -> str:
        canonical = _canonical_id_tag(value)
        if selectors.id_tags_existing(id_tags=[canonical]):
            raise serializers.ValidationError(services.id_tag_exists_message(id_tag=canonical))
        return canonical

    def validate_parent_id_tag(self, value: str | None) -> IdTag | None:
        return _stored_parent(value)


class IdTagUpdateSerializer(serializers.Serializer):
    """The id tag value itself is the resource's name: to change it, create a new tag."""

    status = serializers.ChoiceField(choices=IdTagStatus.choices, required=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    parent_id_tag = serializers.CharField(
        max_length=RAW_ID_TAG_MAX_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="The group to join; null or blank leaves the group.",
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate_parent_id_tag(self, value: str | None) -> IdTag | None:
        parent = _stored_parent(value)
        if parent is not None and parent.pk == self.context["tag"].pk:
            raise serializers.ValidationError("A tag cannot be its own parent.")
        return parent

    def validate(self, attrs: dict) -> dict:
        # A PATCH whose keys are all misspelt would otherwise answer 200 and change nothing.
        if not attrs:
            raise serializers.ValidationError(
                "Nothing to change: give status, expires_at, parent_id_tag or note.", code="empty"
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


def _by_index(errors: dict[int, dict] | list[dict]) -> dict[str, dict]:
    """Item errors keyed by the item's index in the request, only for the items at fault."""
    pairs = enumerate(errors) if isinstance(errors, list) else errors.items()
    return {str(index): item_errors for index, item_errors in sorted(pairs) if item_errors}


# --- Views ------------------------------------------------------------------------------------------------


class IdTagFilter(filters.FilterSet):
    parent_id_tag = filters.CharFilter(field_name="parent__id_tag", help_text="Tags of this group")

    class Meta:
        model = IdTag
        fields = ["status", "parent_id_tag"]


@extend_schema_view(
    list=extend_schema(summary="List id tags"),
    retrieve=extend_schema(summary="An id tag"),
    destroy=extend_schema(summary="Delete an id tag"),
)
class IdTagViewSet(viewsets.ModelViewSet):
    """Id tags (RFID cards, app tokens), addressed by value; '77:fd:2a:fa' in a URL finds 77FD2AFA."""

    # A JSON API: form bodies would only blur the schema (and cannot carry a list of tags).
    parser_classes = [JSONParser]
    serializer_class = IdTagSerializer
    lookup_field = "id_tag"
    lookup_value_regex = "[^/]+"
    filter_backends = [filters.DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = IdTagFilter
    search_fields = ["id_tag", "note", "user__username"]
    ordering_fields = ["id_tag", "status", "expires_at", "created_at"]
    ordering = ["id_tag"]
    # PATCH only: a PUT would have to resend the whole tag for nothing.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[IdTag]:
        return selectors.id_tag_list()

    def get_object(self) -> IdTag:
        value = services.id_tag_normalize(raw=self.kwargs["id_tag"])
        try:
            tag = selectors.id_tag_get(id_tag=value)
        except IdTag.DoesNotExist:
            raise Http404(f"No id tag {value}.") from None
        self.check_object_permissions(self.request, tag)
        return tag

    def _read_back(self, tag: IdTag) -> dict:
        return IdTagSerializer(selectors.id_tag_get(id_tag=tag.id_tag), context=self.get_serializer_context()).data

    @extend_schema(summary="Create an id tag", request=IdTagCreateSerializer, responses={201: IdTagSerializer})
    def create(self, request: Request) -> Response:
        serializer = IdTagCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            tag = services.id_tag_create(
                id_tag=data["id_tag"],
                status=data["status"],
                expires_at=data["expires_at"],
                parent=data["parent_id_tag"],
                note=data["note"],
            )
        except DjangoValidationError as exc:
            # The model's own rules (a tag stored meanwhile), keyed by field like the serializer's.
            raise serializers.ValidationError(get_error_detail(exc)) from exc
        return Response(self._read_back(tag), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an id tag's status, expiry, group or note",
        request=IdTagUpdateSerializer,
        responses={200: IdTagSerializer},
    )
    def partial_update(self, request: Request, id_tag: str) -> Response:
        tag = self.get_object()
        serializer = IdTagUpdateSerializer(data=request.data, context={"tag": tag})
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "parent_id_tag" in changes:
            changes["parent"] = changes.pop("parent_id_tag")
        try:
            tag = services.id_tag_update(tag=tag, **changes)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(get_error_detail(exc)) from exc
        return Response(self._read_back(tag))

    def destroy(self, request: Request, id_tag: str) -> Response:
        services.id_tag_delete(tag=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Import many id tags (all or nothing)",
        request=IdTagImportItemSerializer(many=True),
        responses={
            201: IdTagSerializer(many=True),
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="Nothing was stored. Errors by item index (in the request list) and field.",
                examples=[
                    OpenApiExample(
                        "A duplicate and an unknown group",
                        value={
                            "1": {"id_tag": ["An id tag 77FD2AFA already exists."]},
                            "4": {"parent_id_tag": ["Unknown parent id tag FLEET9."]},
                        },
                    )
                ],
            ),
        },
        examples=[
            # One item: drf-spectacular wraps examples of a list body in a list itself.
            OpenApiExample(
                "A card of a fleet",
                request_only=True,
                value={"id_tag": "77:fd:2a:fa", "parent_id_tag": "FLEET7", "expires_at": "2030-01-01T00:00:00Z"},
            )
        ],
    )
    @action(detail=False, methods=["post"], url_path="bulk", filter_backends=[], pagination_class=None)
    def bulk(self, request: Request) -> Response:
        """Create many tags in one request: a JSON list of tags. Any bad item and nothing is stored; the
        errors name every bad item by its index in the list, and the field."""
        serializer = IdTagImportItemSerializer(
            data=request.data, many=True, allow_empty=False, max_length=BULK_IMPORT_MAX_ITEMS
        )
        if not serializer.is_valid():
            errors = serializer.errors
            raise serializers.ValidationError(_by_index(errors) if isinstance(errors, list) else errors)
        try:
            tags = services.id_tag_bulk_import(items=serializer.validated_data)
        except services.IdTagImportError as exc:
            raise serializers.ValidationError(_by_index(exc.errors)) from exc
        # The service's objects carry their parents already: no need to read thousands of rows back.
        return Response(
            IdTagSerializer(tags, many=True, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
