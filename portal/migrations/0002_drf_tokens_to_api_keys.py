"""Move DRF's authtoken keys (stored in clear) into API keys (stored as SHA-256), then drop DRF's table.

Integrators keep their keys: `Authorization: Token <the same key>` still works. rest_framework.authtoken is no
longer installed, so its table is read with SQL when it exists (an installation that ran the old code).
"""

import hashlib

from django.db import migrations

TABLE = "authtoken_token"


def tokens_to_api_keys(apps, schema_editor):
    connection = schema_editor.connection
    if TABLE not in connection.introspection.table_names():
        return
    ApiKey = apps.get_model("portal", "ApiKey")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {TABLE}")  # noqa: S608 (a constant)
        rows = cursor.fetchall()
    # The hash as portal.services.api_key_hash makes it, frozen here as migrations must be.
    ApiKey.objects.bulk_create(
        ApiKey(user_id=user_id, name="default", prefix=key[:8], key_hash=hashlib.sha256(key.encode()).hexdigest(),
               created_at=created)
        for key, user_id, created in rows
    )
    # The keys in clear must not outlive the move, nor DRF's admin pages and permissions for them.
    schema_editor.execute(f"DROP TABLE {TABLE}")
    apps.get_model("contenttypes", "ContentType").objects.filter(app_label="authtoken").delete()
    schema_editor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(tokens_to_api_keys, migrations.RunPython.noop)]
