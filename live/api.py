"""REST: an operator makes a share link of a session (POST /api/v1/transactions/<id>/share/)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from live.sharing import share_link_base_url, share_link_make, share_link_url
from portal.permissions import OperatorPermission
from transactions.models import Transaction


class ShareLinkSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The session's live page; works without an account until expires_at.")
    expires_at = serializers.DateTimeField()


class SharePermission(OperatorPermission):
    """Sharing shows what the operator may already see and stores nothing: the view permission is enough."""

    @staticmethod
    def required_permission(request: Request, view: APIView) -> str:
        return "transactions.view_transaction"


class TransactionShareView(APIView):
    permission_classes = [SharePermission]

    @extend_schema(
        operation_id="transactions_share",
        request=None,
        responses={
            201: ShareLinkSerializer,
            404: OpenApiResponse(description="No such transaction."),
        },
        description="A signed link that shows this one session live to anyone holding it, until it expires "
        "(LIVE_SHARE_TTL_S, 24 h by default).",
    )
    def post(self, request: Request, transaction_pk: int) -> Response:
        session = get_object_or_404(Transaction, pk=transaction_pk)
        link = share_link_make(transaction_pk=session.pk)
        url = share_link_url(token=link.token, base_url=share_link_base_url(request=request))
        body = {"url": url, "expires_at": link.expires_at}
        return Response(ShareLinkSerializer(body).data, status=status.HTTP_201_CREATED)
