"""REST: a site's load (GET /api/v1/sites/<id>/load/, INTERFACES.md): its limit, the current drawn and each
running session's share, in A per phase. Read scope; operators with transactions.view_site."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from transactions.load import selectors
from transactions.sites.models import Site


class AllocationSerializer(serializers.Serializer):
    charge_point_id = serializers.CharField()
    transaction_id = serializers.IntegerField()
    limit_a = serializers.DecimalField(max_digits=5, decimal_places=1, help_text="The session's share now")
    sent_limit_a = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="The limit of the last profile sent"
    )
    accepted_limit_a = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="The last limit the charger accepted"
    )


class SiteLoadSerializer(serializers.Serializer):
    limit_a = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    measured_a = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    allocations = AllocationSerializer(many=True)


class SiteLoadView(APIView):
    permission_model = Site

    @extend_schema(responses=SiteLoadSerializer)
    def get(self, request: Request, pk: int) -> Response:
        site = get_object_or_404(Site, pk=pk)
        return Response(SiteLoadSerializer(selectors.site_load(site=site)).data)
