import time

from django.core.management.base import BaseCommand, CommandError

from liaison.crm.health import health_refresh


class Command(BaseCommand):
    help = "Refresh every referrer's relationship health (run nightly; each referral's follow-up refreshes its own)."

    def add_arguments(self, parser):
        parser.add_argument("--chunk", type=int, default=2500, help="Referrers per batch (bounds memory).")

    def handle(self, *args, chunk, **options):
        if chunk < 1:
            raise CommandError(f"--chunk must be at least 1, not {chunk}.")
        started = time.perf_counter()
        result = health_refresh(chunk=chunk)
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Refreshed {result.referrers} referrers in {seconds:.1f} s: "
            f"{result.stage_moves} stage changes, {result.tasks} new tasks."
        )
