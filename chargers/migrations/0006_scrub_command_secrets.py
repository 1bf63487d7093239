"""Scrub the AuthorizationKeys that ended commands (and command batches) kept in clear before the portal learnt
to scrub them when a command leaves its queue (chargers/services/secret_payloads.py). Queued and sent commands
keep theirs: they still have to send it."""

from django.db import migrations

REDACTED = "***redacted***"
OPEN = ("queued", "sent")


def _redact(node):
    # The message log's redaction (chargers/ocpp/redaction.py), frozen here as migrations must be.
    if isinstance(node, list):
        return [_redact(item) for item in node]
    if not isinstance(node, dict):
        return node
    secret = str(node.get("key", "")).lower() == "authorizationkey"
    return {k: (REDACTED if secret and k == "value" else _redact(v)) for k, v in node.items()}


def scrub(apps, schema_editor):
    actions = ("ChangeConfiguration", "GetConfiguration")
    Command = apps.get_model("chargers", "Command")
    for command in Command.objects.filter(action__in=actions).exclude(status__in=OPEN).iterator():
        payload, response = _redact(command.payload), _redact(command.response)
        if (payload, response) != (command.payload, command.response):
            Command.objects.filter(pk=command.pk).update(payload=payload, response=response)
    CommandBatch = apps.get_model("chargers", "CommandBatch")
    for batch in CommandBatch.objects.filter(action__in=actions).iterator():
        if _redact(batch.payload) != batch.payload:
            CommandBatch.objects.filter(pk=batch.pk).update(payload=_redact(batch.payload))


class Migration(migrations.Migration):
    dependencies = [("chargers", "0004_inch_profile")]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
