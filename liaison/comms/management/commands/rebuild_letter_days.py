import time

from django.core.management.base import BaseCommand

from liaison.comms.letter_days import rebuild_letter_days


class Command(BaseCommand):
    help = (
        "Rebuild the letters-on-time page's stored days from all letters, in one grouped query (run nightly; each "
        "letter owed, moved, cancelled or delivered updates its own day as it happens)."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        cells = rebuild_letter_days()
        self.stdout.write(f"Rebuilt {cells} letter days in {time.perf_counter() - started:.1f} s.")
