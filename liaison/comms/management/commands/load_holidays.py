"""Fill the practice's closed days from the `holidays` package, so that business-hour deadlines skip them."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from liaison.comms.closed_days import HolidayError, load_years
from liaison.comms.models import Holiday, HolidayYear


class Command(BaseCommand):
    help = (
        "Add the US federal holidays and the state's own (--state, default CLINIC_STATE) for the given years to "
        "the days the practice is closed. Days already there are kept; remove one in Reference data → Holidays."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, action="append", dest="years", help="Repeat for several; default: this year and next."
        )
        parser.add_argument("--state", default="", help="Two-letter state code (default: CLINIC_STATE, e.g. NY).")
        parser.add_argument(
            "--skip", action="append", default=[], help='A holiday the practice works, by name ("Columbus Day").'
        )

    def handle(self, *args, years, state, skip, **options):
        this_year = timezone.localdate().year
        years = sorted(set(years or [this_year, this_year + 1]))
        state = state or settings.CLINIC_STATE
        try:
            with transaction.atomic():
                added, kept = load_years(
                    Holiday, HolidayYear, years=years, state=state, skip=skip, at=timezone.now(), force=True
                )
        except HolidayError as exc:
            raise CommandError(" ".join(f"--{name}: {text}" for name, text in exc.errors.items())) from None
        self.stdout.write(
            f"Added {added} closed day(s) for {', '.join(map(str, years))}; {kept} were already there. "
            "Letters already owed keep their due times; new and recomputed deadlines skip these days."
        )
