"""A charger's diagnostics, with a download that works with the API token."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from chargers.files import selectors
from chargers.files.models import DiagnosticsUpload
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
        if getattr(self, "swagger_fake_view", False):  # the schema generator asks without a charger
            return DiagnosticsUpload.objects.none()
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
