import time

from django.core.management.base import BaseCommand

from liaison.search.words import rebuild_words


class Command(BaseCommand):
    help = (
        "Rebuild the search box's vocabulary (every word of every patient's, referrer's and practice's name) from "
        "the records. Saving a record keeps it current; run this after loading records around the services."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = rebuild_words()
        self.stdout.write(f"Rebuilt {rows} search words in {time.perf_counter() - started:.1f} s.")
