"""The firmware library (upload: multipart `file`, `version`, `model`)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.fields import get_error_detail
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from chargers.files import services
from chargers.files.forms import FirmwareForm
from chargers.files.models import HostedFirmware


class FirmwareSerializer(serializers.ModelSerializer):
    charger_model = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The model profile, when one matched")
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, allow_null=True)

    class Meta:
        model = HostedFirmware
        fields = [
            "id",
            "model",
            "version",
            "charger_model",
            "file_name",
            "size",
            "sha256",
            "notes",
            "uploaded_at",
            "uploaded_by",
        ]
        read_only_fields = fields


class FirmwareUploadSerializer(serializers.Serializer):
    """The fields of the page's form (chargers/files/forms.py), declared there once."""

    file = serializers.FileField()
    version = serializers.CharField(max_length=FirmwareForm.base_fields["version"].max_length)
    model = serializers.CharField(max_length=FirmwareForm.base_fields["model"].max_length)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class FirmwareViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Hosted firmware: POST uploads one (checksum and size measured), DELETE removes it and its file."""

    queryset = HostedFirmware.objects.select_related("charger_model", "uploaded_by")
    serializer_class = FirmwareSerializer
    parser_classes = [MultiPartParser]
    filterset_fields = ["model", "version"]

    # On create only: on the class it documented the list and the detail as answering 201 (schemathesis).
    @extend_schema(request={"multipart/form-data": FirmwareUploadSerializer}, responses={201: FirmwareSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        upload = FirmwareUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        try:
            firmware = services.firmware_create(
                chunks=data["file"].chunks(),
                file_name=data["file"].name,
                version=data["version"],
                model=data["model"],
                notes=data["notes"],
                uploaded_by=request.user,
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(get_error_detail(error)) from error
        return Response(FirmwareSerializer(firmware).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 409: OpenApiResponse(description="A rollout uses this firmware")})
    def destroy(self, request: Request, *args, **kwargs) -> Response:
        try:
            services.firmware_delete(firmware=self.get_object())
        except DjangoValidationError as error:
            return Response(get_error_detail(error), status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)
