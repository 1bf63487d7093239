"""Fixtures of the alerts tests: the alert events as published, and blocks whose after-commit work runs."""

import pytest

from alerts.events import AlertCleared, AlertRaised
from core import events


@pytest.fixture
def alert_events():
    heard: list[events.Event] = []
    unsubscribe = events.subscribe(heard.extend, names=[AlertRaised.name, AlertCleared.name])
    yield heard
    unsubscribe()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the callbacks registered on commit when the block ends (the test's transaction never commits), as the
    real commit runs them: the event bus, its subscribers (the alert rules), and what they publish in turn."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
