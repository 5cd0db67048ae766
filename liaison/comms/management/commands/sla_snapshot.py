import time

from django.core.management.base import BaseCommand

from liaison.comms.sla_snapshot import WINDOWS, refresh_all


class Command(BaseCommand):
    help = (
        "Work out the letters-on-time page's figures now for each window it offers and store them (the worker does "
        "this every 10 minutes; decision 0033)."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        taken = refresh_all()
        windows = ", ".join(str(days) for days in WINDOWS)
        self.stdout.write(
            f"Took {taken} snapshots (windows of {windows} days) in {time.perf_counter() - started:.1f} s."
        )
