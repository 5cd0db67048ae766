"""liaison api_token USERNAME "System name": make an API token for a referrer's or practice admin's account."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from liaison.accounts.models import User
from liaison.accounts.tokens import api_token_create


class Command(BaseCommand):
    help = "Make an API token for a referring clinician's or referring practice administrator's account."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="Which system will use it, e.g. 'Riverside EHR'.")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"username: there is no account called {username!r}.")
        try:
            _, raw = api_token_create(user=user, name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        self.stdout.write(raw)
