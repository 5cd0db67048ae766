"""Django's flush, which also empties the append-only tables, outside production only (decision 0017).

The test runner and `liaison demo --reset` empty the database this way. In production the audit trail
is never emptied: this refuses before anything is removed.
"""

from django.conf import settings
from django.core.management import CommandError
from django.core.management.commands import flush
from django.db import connections

from liaison.core.append_only import emptying_allowed


class Command(flush.Command):
    help = "Removes ALL data from the database, audit trail included. Refused in production."

    def handle(self, **options):
        if settings.MODE == "production":
            raise CommandError(
                "Nothing was removed: emptying the database would empty the audit trail, which production keeps. "
                "Start from a new database instead."
            )
        with emptying_allowed(connections[options["database"]]):
            return super().handle(**options)
