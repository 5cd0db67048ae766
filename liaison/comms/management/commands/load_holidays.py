"""Fill the practice's closed days from the `holidays` package, so that business-hour deadlines skip them."""

import holidays
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from liaison.comms.models import Holiday


class Command(BaseCommand):
    help = (
        "Add the US federal holidays (and, with --state, that state's) for the given years to the days the "
        "practice is closed. Days already there are kept; remove one in Reference data → Holidays."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, action="append", dest="years", help="Repeat for several; default: this year and next."
        )
        parser.add_argument("--state", default="", help="Two-letter state code, for its own holidays too (e.g. NY).")
        parser.add_argument(
            "--skip", action="append", default=[], help='A holiday the practice works, by name ("Columbus Day").'
        )

    def handle(self, *args, years, state, skip, **options):
        this_year = timezone.localdate().year
        years = sorted(set(years or [this_year, this_year + 1]))
        if bad := [y for y in years if not 2000 <= y <= 2100]:
            raise CommandError(f"--year: {', '.join(map(str, bad))} is outside 2000–2100.")
        try:
            calendar = holidays.country_holidays("US", subdiv=state.upper() or None, years=years, observed=True)
        except NotImplementedError:
            raise CommandError(f"--state: {state!r} is not a US state or territory code.") from None
        days = sorted(calendar.items())
        if unknown := [s for s in skip if s.lower() not in {_base(name) for _, name in days}]:
            called = ", ".join(map(repr, unknown))
            raise CommandError(f"--skip: no holiday called {called} in {', '.join(map(str, years))}.")
        skipped = {s.lower() for s in skip}
        days = [(day, name) for day, name in days if _base(name) not in skipped]
        with transaction.atomic():
            added = sum(Holiday.objects.get_or_create(date=day, defaults={"name": name[:100]})[1] for day, name in days)
        kept = len(days) - added
        self.stdout.write(
            f"Added {added} closed day(s) for {', '.join(map(str, years))}; {kept} were already there. "
            "Letters already owed keep their due times; new and recomputed deadlines skip these days."
        )


def _base(name: str) -> str:
    """ "Independence Day (observed)" is skipped with "Independence Day"."""
    return name.lower().removesuffix(" (observed)")
