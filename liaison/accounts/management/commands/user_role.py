"""liaison user_role USERNAME ROLE: give an account a role from the command line (the first administrator,
say), through the same audited service as the admin. The trail records it with no person, from no address."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from liaison.accounts.choices import Role
from liaison.accounts.models import User
from liaison.accounts.services import user_role_change


class Command(BaseCommand):
    help = "Give an account a role (audited). Roles: " + ", ".join(Role.values)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", help=", ".join(Role.values))

    def handle(self, *args, username, role, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"username: there is no account called {username!r}.")
        try:
            changed = user_role_change(user=user, role=role, by=None)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        self.stdout.write(f"{username} is now {Role(role).label}." if changed else f"{username} was already {role}.")
