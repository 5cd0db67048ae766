from django.core.management.base import BaseCommand

from liaison.care.stored_outcomes import reconcile_outcomes


class Command(BaseCommand):
    help = (
        "Recompute every referral's stored PHQ-9 outcome in sets and write only the differences (run nightly; "
        "every score and session recorded through the services keeps its own referral's outcome current)."
    )

    def handle(self, *args, **options):
        result = reconcile_outcomes()
        self.stdout.write(
            f"Reconciled {result.rows} stored outcomes in {result.seconds:.1f} s: {result.changed} changed "
            f"({result.inserted} added, {result.updated} corrected, {result.deleted} removed)."
        )
        if result.changed:
            self.stdout.write("Outcomes changed outside the services (bulk loads, SQL): see decision 0024.")
