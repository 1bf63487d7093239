"""Customer pages and share links: a customer's own sessions (/me/), one of them (/me/sessions/<id>/), and a
session shown to whoever holds its share link (/live/<token>/). Every page shows only what its viewer may see
(live/access.py says the same for the feed): another's session is a 404, as if it did not exist."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from live import selectors
from live.access import MINE
from live.sharing import (
    ShareLinkExpired,
    ShareLinkInvalid,
    share_link_base_url,
    share_link_qr_svg,
    share_link_transaction_pk,
    share_link_url,
)
from transactions.models import Transaction


@login_required
def me(request: HttpRequest) -> HttpResponse:
    sessions = selectors.sessions_of_owner(user=request.user)
    # `mine` first: a session begun after the page loaded arrives there, and the page then adds its card.
    feeds = [MINE, *(f"transaction:{view.session.pk}" for view in sessions["running"])]
    return render(request, "live/me.html", {**sessions, "live_feeds": feeds})


@login_required
def me_session_card(request: HttpRequest, transaction_pk: int) -> HttpResponse:
    """One session's card, as /me/ shows it, for the page to add when the session begins (static/js/me.js)."""
    session = get_object_or_404(selectors.transactions_owned(user=request.user), pk=transaction_pk)
    view = selectors.session_view(session=session)
    link = reverse("live:me-session", args=[session.pk])
    return render(request, "live/_session_card.html", {"view": view, "link": link})


@login_required
def me_session(request: HttpRequest, transaction_pk: int) -> HttpResponse:
    session = get_object_or_404(selectors.transactions_owned(user=request.user), pk=transaction_pk)
    return _session_page(request, session, back="live:me")


class _Expired(Exception):
    pass


def _shared(token: str) -> Transaction:
    """The session a share token opens: 404 for a token we did not make, _Expired for an old one."""
    try:
        transaction_pk = share_link_transaction_pk(token=token)
    except ShareLinkExpired:
        raise _Expired from None
    except ShareLinkInvalid:
        raise Http404("No such share link.") from None
    return get_object_or_404(Transaction.objects.select_related("charge_point"), pk=transaction_pk)


@never_cache
def shared_session(request: HttpRequest, token: str) -> HttpResponse:
    try:
        session = _shared(token)
    except _Expired:
        return render(request, "live/share_expired.html", status=403)
    return _session_page(request, session, share=token)


def shared_session_qr(request: HttpRequest, token: str) -> HttpResponse:
    """The share link as a QR code, for the operator to show a driver."""
    try:
        _shared(token)
    except _Expired:
        return HttpResponse(status=403)
    url = share_link_url(token=token, base_url=share_link_base_url(request=request))
    return HttpResponse(share_link_qr_svg(url=url), content_type="image/svg+xml")


def _session_page(request: HttpRequest, session: Transaction, *, back: str = "", share: str = "") -> HttpResponse:
    context = {"view": selectors.session_view(session=session), "back": back, "live_share": share}
    if session.stopped_at is None:
        context["live_feeds"] = [f"transaction:{session.pk}"]
    return render(request, "live/session.html", context)
