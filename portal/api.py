"""REST API for customer accounts (urls in portal/api_urls.py): create one (username, email, password), list
them, and read a customer's id tags. Writes take the `admin` scope (portal.permissions)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.fields import get_error_detail
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from portal import selectors, services
from rfid.models import IdTag


class CustomerSerializer(serializers.ModelSerializer):
    # Not an EmailField: a customer may have none, and "" is no e-mail address to a schema validator.
    email = serializers.CharField(read_only=True, help_text="The customer's e-mail address; blank if none")
    id_tag_count = serializers.IntegerField(read_only=True, help_text="How many id tags the customer owns")

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "is_active", "date_joined", "last_login", "id_tag_count"]
        read_only_fields = fields


class CustomerCreateSerializer(serializers.Serializer):
    username = serializers.RegexField(
        r"^[\w.@+-]+\Z", max_length=150, help_text="Letters, digits and @ . + - _ (Django's rule)"
    )
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    password = serializers.CharField(
        write_only=True, max_length=128, trim_whitespace=False, help_text="Checked by the password validators"
    )


class CustomerIdTagSerializer(serializers.ModelSerializer):
    parent_id_tag = serializers.CharField(source="parent.id_tag", read_only=True, allow_null=True)

    class Meta:
        model = IdTag
        fields = ["id_tag", "status", "expires_at", "parent_id_tag", "label", "note", "created_at"]
        read_only_fields = fields


@extend_schema_view(list=extend_schema(summary="List customers"), retrieve=extend_schema(summary="A customer"))
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Customers: accounts that are not staff. Each sees, at /me/, only the sessions of the id tags it owns."""

    parser_classes = [JSONParser]
    serializer_class = CustomerSerializer
    filterset_fields = ["is_active", "username", "email"]
    ordering_fields = ["id", "username", "date_joined"]
    ordering = ["username"]

    def get_queryset(self) -> QuerySet:
        return selectors.customer_list()

    @extend_schema(summary="Create a customer", request=CustomerCreateSerializer, responses={201: CustomerSerializer})
    def create(self, request: Request) -> Response:
        serializer = CustomerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            customer = services.customer_create(**serializer.validated_data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(get_error_detail(error)) from error
        return Response(
            CustomerSerializer(self.get_queryset().get(pk=customer.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(summary="A customer's id tags", responses={200: CustomerIdTagSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="id-tags", pagination_class=None, filterset_fields=[])
    def id_tags(self, request: Request, pk: str) -> Response:
        tags = selectors.customer_id_tags(customer=self.get_object())
        return Response(CustomerIdTagSerializer(tags, many=True).data)
