"""Writes and rules of alerts; one module per topic, all exported here."""

from alerts.services.mail import *  # noqa: F403
from alerts.services.mail import __all__ as _mail
from alerts.services.raising import *  # noqa: F403
from alerts.services.raising import __all__ as _raising
from alerts.services.rules import *  # noqa: F403
from alerts.services.rules import __all__ as _rules

__all__ = [*_mail, *_raising, *_rules]
