"""`liaison events`: every reaction to every event, from the registry each app fills in its apps.py."""

from django.core.management.base import BaseCommand

from liaison.core import events


class Command(BaseCommand):
    help = "List what follows each event: the handlers subscribed to it, in the order they run, and when."

    def handle(self, *args, **options):
        rows = events.registry_table()
        width = max((len(kind) for kind, _, _ in rows), default=0)
        for kind, name, when in rows:
            self.stdout.write(f"{kind:<{width}}  {name:<24}  {when.replace('_', ' ')}")
