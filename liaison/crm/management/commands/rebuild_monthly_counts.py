import time

from django.core.management.base import BaseCommand

from liaison.crm.monthly_counts import rebuild_monthly_counts


class Command(BaseCommand):
    help = (
        "Rebuild the network page's referral counts by month and source from all referrals, in one grouped query "
        "(run nightly; each new referral's follow-up recounts its own month)."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        cells = rebuild_monthly_counts()
        self.stdout.write(f"Rebuilt {cells} monthly counts in {time.perf_counter() - started:.1f} s.")
