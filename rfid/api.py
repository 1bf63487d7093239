"""REST API of the rfid app: the views (serializers in rfid/serializers.py, urls in rfid/urls.py).

Id tags are addressed by their value. Every value that comes in (body, URL, parent) is normalised first
('77:fd:2a:fa' and '77FD2AFA' are the same card), so the API never stores or misses a tag by spelling.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.fields import get_error_detail
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from rfid import selectors, services
from rfid.filters import IdTagFilter
from rfid.imports import ImportOptions, id_tags_csv_lines, id_tags_import_csv
from rfid.models import IdTag
from rfid.serializers import (
    IdTagChangeSerializer,
    IdTagCreateSerializer,
    IdTagCsvImportSerializer,
    IdTagImportItemSerializer,
    IdTagImportReportSerializer,
    IdTagSerializer,
    IdTagUpdateSerializer,
    by_index,
)

BULK_IMPORT_MAX_ITEMS = 10_000
SOURCE = "api"


class CsvRenderer(BaseRenderer):
    """Lets a client ask for text/csv (the export streams its own answer; errors stay JSON)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return b"" if data is None else str(data).encode()


def csv_response(*, tags: QuerySet[IdTag], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(id_tags_csv_lines(tags=tags), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
    search_fields = ["id_tag", "label", "note", "user__username"]
    ordering_fields = ["id_tag", "status", "expires_at", "created_at", "updated_at"]
    # Importing creates and updates tags: the add permission (and the `tags` scope, as every tag write).
    action_permissions = {"import_csv": "add"}
    ordering = ["id_tag"]
    # PATCH only: a PUT would have to resend the whole tag for nothing.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[IdTag]:
        return selectors.id_tag_list().prefetch_related("allowed_sites", "allowed_charge_points")

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
        try:
            tag = services.id_tag_create(**serializer.service_fields(), changed_by=request.user, source=SOURCE)
        except DjangoValidationError as exc:
            # The model's own rules (a tag stored meanwhile), keyed by field like the serializer's.
            raise serializers.ValidationError(get_error_detail(exc)) from exc
        return Response(self._read_back(tag), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change an id tag: status, expiry, group, owner, label, note, where it may charge",
        request=IdTagUpdateSerializer,
        responses={200: IdTagSerializer},
    )
    def partial_update(self, request: Request, id_tag: str) -> Response:
        tag = self.get_object()
        serializer = IdTagUpdateSerializer(data=request.data, context={"tag": tag})
        serializer.is_valid(raise_exception=True)
        try:
            tag = services.id_tag_update(tag=tag, changed_by=request.user, source=SOURCE, **serializer.service_fields())
        except DjangoValidationError as exc:
            raise serializers.ValidationError(get_error_detail(exc)) from exc
        return Response(self._read_back(tag))

    def destroy(self, request: Request, id_tag: str) -> Response:
        services.id_tag_delete(tag=self.get_object(), changed_by=request.user, source=SOURCE)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="An id tag's history (newest first)", responses={200: IdTagChangeSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request: Request, id_tag: str) -> Response:
        value = services.id_tag_normalize(raw=id_tag)
        changes = selectors.id_tag_history(id_tag=value)
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(IdTagChangeSerializer(page, many=True).data)

    @extend_schema(
        summary="Import id tags from CSV",
        request={"multipart/form-data": IdTagCsvImportSerializer},
        responses={
            200: OpenApiResponse(IdTagImportReportSerializer, description="Stored, or a dry run's report."),
            400: OpenApiResponse(
                IdTagImportReportSerializer,
                description="Bad rows and not `partial`: nothing was stored; `errors` names every bad row. "
                "A missing file or a bad option: the field at fault.",
            ),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser],
        filter_backends=[],
        pagination_class=None,
    )
    def import_csv(self, request: Request) -> Response:
        """Rows `id_tag,status,expiry_date,parent_id_tag,owner`; every bad row is reported by line, field and
        reason. With any bad row nothing is stored, unless `partial=true` (the good rows are)."""
        serializer = IdTagCsvImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        upload = data.pop("file")
        report = id_tags_import_csv(file=upload.file, options=ImportOptions(**data), changed_by=request.user)
        refused = bool(report.errors) and not report.stored and not report.options.dry_run
        return Response(report.as_dict(), status=status.HTTP_400_BAD_REQUEST if refused else status.HTTP_200_OK)

    @extend_schema(
        summary="Export id tags as CSV (the import's header)",
        description="Takes the list's filters; `charge_point=<id>` gives the tags that may charge there (its local "
        "list).",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    @action(
        detail=False,
        methods=["get"],
        renderer_classes=[CsvRenderer, JSONRenderer],
        filter_backends=[filters.DjangoFilterBackend],
        pagination_class=None,
    )
    def export(self, request: Request) -> StreamingHttpResponse:
        tags = self.filter_queryset(IdTag.objects.all())
        charge_point = request.query_params.get("charge_point")
        return csv_response(tags=tags, filename=f"id-tags-{charge_point}.csv" if charge_point else "id-tags.csv")

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
            raise serializers.ValidationError(by_index(errors) if isinstance(errors, list) else errors)
        try:
            tags = services.id_tag_bulk_import(items=serializer.validated_data, changed_by=request.user, source=SOURCE)
        except services.IdTagImportError as exc:
            raise serializers.ValidationError(by_index(exc.errors)) from exc
        # The service's objects carry their parents already: no need to read thousands of rows back.
        return Response(
            IdTagSerializer(tags, many=True, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
