"""`manage.py api_token <username>`: print a new REST API token for that user, replacing the old one."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print a new API token (Authorization: Token <key>) for a user; the previous token stops working."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: object, username: str, **options: object) -> None:
        user_model = get_user_model()
        try:
            user = user_model.objects.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"No user named {username!r}. Create one first (manage.py createsuperuser).") from None
        # One token per user (DRF's model): a new one revokes the old, which is what a leaked key needs.
        with transaction.atomic():
            Token.objects.filter(user=user).delete()
            token = Token.objects.create(user=user)
        if not user.is_staff:
            self.stderr.write(f"Warning: {username} is not staff: the API answers 403 to this token.")
        if not user.is_active:
            self.stderr.write(f"Warning: {username} is inactive: the API refuses this token.")
        # The key alone on stdout, so that scripts can capture it.
        self.stdout.write(token.key)
