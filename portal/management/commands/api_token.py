"""`manage.py api_token <username> [--name NAME] [--scopes read,commands,tags,admin]`: print a new REST API key
for that user, shown this once."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.models import ApiScope
from portal.services import api_key_create


class Command(BaseCommand):
    help = (
        "Print a new API key (Authorization: Token <key>) for a user. Only its hash is kept: this is the one time "
        "it is shown. The user's previous key of the same name stops working."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="default", help="What the key is for (default: 'default').")
        parser.add_argument(
            "--scopes",
            default=",".join(ApiScope.values),
            help=f"What the key may do, comma-separated, of {', '.join(ApiScope.values)} (default: all). "
            "read: every GET; commands: send, schedule, cancel commands; tags: write id tags; admin: other writes.",
        )

    def handle(self, *args: object, username: str, name: str, scopes: str, **options: object) -> None:
        user_model = get_user_model()
        try:
            user = user_model.objects.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r}. Create one first (manage.py createsuperuser).") from None
        try:
            _, key = api_key_create(user=user, name=name, scopes=scopes.split(","))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if not user.is_staff:
            self.stderr.write(f"Warning: {username} is not staff: the API answers 403 to this key.")
        elif not user.get_all_permissions():
            self.stderr.write(
                f"Warning: {username} has no permissions: the API answers 403 to this key until they get some "
                "(or join the group 'viewers' to read)."
            )
        if not user.is_active:
            self.stderr.write(f"Warning: {username} is inactive: the API refuses this key.")
        # The key alone on stdout, so that scripts can capture it.
        self.stdout.write(key)
