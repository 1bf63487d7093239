"""The group `viewers` (read-only operators, portal/roles.py): membership alone gives its rights."""

from django.db import migrations


def create_viewers(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="viewers")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_drf_tokens_to_api_keys"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    # Not undone: the group may have members by then.
    operations = [migrations.RunPython(create_viewers, migrations.RunPython.noop)]
