"""REST API of the webhooks app: subscriptions (CRUD) and their delivery attempts (read); urls in webhooks/urls.py.

Views are thin: a serializer checks the shape, the services check the rest (http(s) URLs, known event names) and
name the field at fault.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.fields import get_error_detail
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from webhooks import selectors, services
from webhooks.models import EVENT_NAMES, Delivery, Webhook

EVENTS_HELP = f"Event names to receive: {', '.join(EVENT_NAMES)}."


class WebhookSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_NAMES), help_text=EVENTS_HELP)
    retry_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Set while the receiver fails: deliveries wait until then."
    )

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "description", "active", "owner", "created_at", "retry_at"]
        read_only_fields = ["id", "owner", "created_at", "retry_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="Shown this once. Each delivery carries X-Portal-Signature: sha256=<hex HMAC-SHA256 of the raw "
        "body with this secret>.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookWriteSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000, help_text="An http:// or https:// URL")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_NAMES), help_text=EVENTS_HELP)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False, help_text="A paused webhook keeps its deliveries waiting")


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_name",
            "attempt",
            "state",
            "status_code",
            "error",
            "duration_ms",
            "created_at",
            "due_at",
            "attempted_at",
            "next_retry_at",
            "body",
        ]
        read_only_fields = fields


def _as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(get_error_detail(error))


@extend_schema_view(
    list=extend_schema(summary="List webhooks"),
    retrieve=extend_schema(summary="A webhook"),
    destroy=extend_schema(summary="Delete a webhook and its deliveries"),
)
class WebhookViewSet(viewsets.ModelViewSet):
    """Subscriptions to events, POSTed as JSON `{"event", "id", "created", "data"}` and signed with the webhook's
    secret; failed deliveries are retried with exponential backoff for about three hours."""

    parser_classes = [JSONParser]
    serializer_class = WebhookSerializer
    filterset_fields = ["active"]
    ordering_fields = ["id", "created_at", "url"]
    ordering = ["id"]
    # Rotating the secret changes the webhook.
    action_permissions = {"rotate_secret": "change"}
    # PATCH only: a PUT would have to resend the whole webhook for nothing.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Webhook]:
        return selectors.webhook_list()

    @extend_schema(
        summary="Create a webhook (its secret is shown this once)",
        request=WebhookWriteSerializer,
        responses={201: WebhookCreatedSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = WebhookWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            webhook, _secret = services.webhook_create(owner=request.user, **serializer.validated_data)
        except DjangoValidationError as error:
            raise _as_drf_error(error) from error
        # The one answer that carries the secret (the new row still holds it in memory).
        return Response(WebhookCreatedSerializer(webhook).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a webhook's url, events, description or active flag",
        request=WebhookWriteSerializer(partial=True),
        responses={200: WebhookSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        webhook = self.get_object()
        serializer = WebhookWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            webhook = services.webhook_update(webhook=webhook, **serializer.validated_data)
        except DjangoValidationError as error:
            raise _as_drf_error(error) from error
        return Response(WebhookSerializer(webhook).data)

    def destroy(self, request: Request, pk: str) -> Response:
        services.webhook_delete(webhook=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Rotate a webhook's secret (the new one is shown this once)",
        request=None,
        responses={200: WebhookCreatedSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        """Replace the secret now: every delivery attempted from here on (retries and waiting ones too) is
        signed with the new secret. Have the receiver accept both until it has stored the new one."""
        webhook = self.get_object()
        services.webhook_secret_rotate(webhook=webhook)
        # The one answer that carries the new secret: no cache may keep it.
        return Response(WebhookCreatedSerializer(webhook).data, headers={"Cache-Control": "no-store"})


class DeliveryFilter(filters.FilterSet):
    class Meta:
        model = Delivery
        fields = ["state", "event_name", "event_id"]


@extend_schema_view(get=extend_schema(summary="The delivery attempts of a webhook, newest first"))
class WebhookDeliveryList(generics.ListAPIView):
    """Every attempt to deliver an event: its HTTP status or error, how long it took, and when the next attempt
    is due. A retry is a new attempt with the same event_id."""

    # For the permission check, without looking the webhook up first (portal.permissions).
    permission_model = Delivery
    serializer_class = DeliverySerializer
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    filterset_class = DeliveryFilter
    ordering_fields = ["id", "created_at", "attempted_at"]
    ordering = ["-id"]

    def get_queryset(self) -> QuerySet[Delivery]:
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()  # schema generation has no webhook id
        # An unknown webhook is a 404, not an empty page.
        webhook = get_object_or_404(selectors.webhook_list(), pk=self.kwargs["pk"])
        return selectors.delivery_list(webhook=webhook)
