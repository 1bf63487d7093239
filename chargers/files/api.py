"""REST API of files exchanged with chargers (urls in chargers/files/urls.py): a charger's diagnostics with a
download that works with the API token, and the firmware library (upload: multipart `file`, `version`, `model`).
Thin: a selector reads or a service writes, the serializer formats."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.fields import get_error_detail
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from chargers.files import selectors, services
from chargers.files.forms import FirmwareForm
from chargers.files.models import DiagnosticsUpload, HostedFirmware
from chargers.models import ChargePoint


class DiagnosticsSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(help_text="The file (same API token); null until it arrived")

    class Meta:
        model = DiagnosticsUpload
        fields = [
            "id",
            "protocol",
            "status",
            "file_name",
            "size",
            "created_at",
            "uploaded_at",
            "reason",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, upload: DiagnosticsUpload) -> str | None:
        if selectors.diagnostics_file_path(upload=upload) is None:
            return None
        return reverse(
            "charger-diagnostics-download",
            kwargs={"charge_point_id": upload.charge_point.charge_point_id, "pk": upload.pk},
            request=self.context.get("request"),
        )


class ChargerDiagnosticsView(generics.ListAPIView):
    """The diagnostics uploads of one charger, newest first: one item per GetDiagnostics location."""

    serializer_class = DiagnosticsSerializer
    permission_model = DiagnosticsUpload
    filterset_fields = ["status", "protocol"]

    def get_queryset(self):
        charge_point = get_object_or_404(ChargePoint, charge_point_id=self.kwargs["charge_point_id"])
        return selectors.diagnostics_of_charge_point(charge_point=charge_point).select_related("charge_point")


class ChargerDiagnosticsDownloadView(APIView):
    """The uploaded file itself."""

    permission_model = DiagnosticsUpload

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, charge_point_id: str, pk: int) -> FileResponse:
        upload = get_object_or_404(DiagnosticsUpload, pk=pk, charge_point__charge_point_id=charge_point_id)
        path = selectors.diagnostics_file_path(upload=upload)
        if path is None:
            raise Http404("This upload kept no file.")
        return FileResponse(path.open("rb"), as_attachment=True, filename=upload.file_name)


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


@extend_schema(request={"multipart/form-data": FirmwareUploadSerializer}, responses={201: FirmwareSerializer})
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

    def perform_destroy(self, instance: HostedFirmware) -> None:
        services.firmware_delete(firmware=instance)
