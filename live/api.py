"""REST: an operator makes a share link of a session (POST /api/v1/transactions/<id>/share/)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from live.access import user_may_share
from live.sharing import share_link_base_url, share_link_make, share_link_url
from portal.permissions import OperatorPermission
from transactions.models import Transaction


class ShareLinkSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The session's live page; works without an account until expires_at.")
    expires_at = serializers.DateTimeField()


class SharePermission(OperatorPermission):
    """Operators who may see sessions, but not viewers (live.access.user_may_share)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return user_may_share(request.user)


class TransactionShareView(APIView):
    permission_classes = [SharePermission]

    @extend_schema(
        operation_id="transactions_share",
        request=None,
        responses={
            201: ShareLinkSerializer,
            401: OpenApiResponse(description="No credentials."),
            403: OpenApiResponse(description="Not an operator who may see sessions, or a read-only viewer."),
            404: OpenApiResponse(description="No such transaction."),
        },
        description="A signed link that shows this one session live to anyone holding it, until it expires "
        "(LIVE_SHARE_TTL_S, 24 h by default).",
    )
    def post(self, request: Request, pk: int) -> Response:
        session = get_object_or_404(Transaction, pk=pk)
        link = share_link_make(transaction_pk=session.pk)
        url = share_link_url(token=link.token, base_url=share_link_base_url(request=request))
        body = {"url": url, "expires_at": link.expires_at}
        return Response(ShareLinkSerializer(body).data, status=status.HTTP_201_CREATED)
