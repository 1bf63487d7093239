"""One mail per alert to the operators who subscribed to it by e-mail (Django's mail backends), sent by a Celery
task so that no charger's frame waits on an SMTP server."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from alerts import selectors
from alerts.models import Alert

__all__ = ["alert_mail_send"]


def alert_mail_send(*, alert_pk: int) -> int:
    """Mail the alert to each subscriber once; returns how many mails were sent (0 when it was sent before)."""
    # Claimed first: a task delivered twice (a worker lost after sending) mails nobody twice.
    if not Alert.objects.filter(pk=alert_pk, mailed_at=None).update(mailed_at=timezone.now()):
        return 0
    alert = Alert.objects.select_related("charge_point", "site").get(pk=alert_pk)
    recipients = selectors.alert_recipients(alert=alert)
    if not recipients:
        return 0
    subject = f"[{settings.ALERTS_MAIL_SUBJECT_PREFIX}] {alert.get_kind_display()}: {alert.message}"[:200]
    body = _body(alert)
    messages = [EmailMessage(subject=subject, body=body, to=[address]) for address in recipients]
    try:
        sent = get_connection().send_messages(messages)
    except Exception:
        # Let the task's retry send them: release the claim, and no one got a mail.
        Alert.objects.filter(pk=alert_pk).update(mailed_at=None)
        raise
    return sent or 0


def _body(alert: Alert) -> str:
    lines = [
        alert.message,
        "",
        f"Kind: {alert.get_kind_display()}",
        f"Raised at: {alert.raised_at.isoformat()}",
    ]
    if alert.charge_point_id:
        lines.append(f"Charger: {alert.charge_point.charge_point_id}")
    if alert.site_id:
        lines.append(f"Site: {alert.site.name}")
    if settings.PUBLIC_URL:
        lines += ["", f"{settings.PUBLIC_URL.rstrip('/')}/alerts/"]
    return "\n".join(lines) + "\n"
