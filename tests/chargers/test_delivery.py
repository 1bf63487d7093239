"""The OCPP session's command delivery task, without a socket: it never dies unseen."""

import gc
import logging
from types import SimpleNamespace

from django.db import OperationalError

from chargers.ocpp import delivery


class Session(delivery.CommandDeliveryMixin):
    charge_point_pk = 1
    charge_point_ident = "CP-DELIVERY"
    registration_status = "Accepted"
    profile_traits = None
    _closed = False


class BrokenClaims:
    async def submit(self, item: object) -> None:
        raise OperationalError("the database went away")


async def test_a_delivery_that_fails_is_logged_once_and_leaves_no_unretrieved_task_exception(
    monkeypatch, caplog
) -> None:
    monkeypatch.setattr(delivery, "writers", lambda: SimpleNamespace(command_claims=BrokenClaims()))
    session = Session()
    with caplog.at_level(logging.WARNING):
        session._deliver()
        task = session._delivery
        await task
        del task, session
        gc.collect()  # an unretrieved task exception is reported when the task is collected
    # (An earlier test's abandoned layer task, collected here, may say "destroyed but it is pending": not ours.)
    records = [r for r in caplog.records if "destroyed but it is pending" not in r.getMessage()]
    assert [(r.name, r.levelno) for r in records] == [("chargers.ocpp.delivery", logging.WARNING)]
    assert "the database went away" in records[0].getMessage()
    assert "housekeeping" in records[0].getMessage()
