"""The practice's opening hours in words, for the public forms and their confirmation page: we promise when
someone reads what was sent, never that anyone watches it around the clock."""

from datetime import time

from django.utils.dateformat import time_format

from liaison.core.models import Clinic

DEFAULT_HOURS = (time(9), time(17))


def opening_hours() -> str:
    """ "Monday to Friday, 9 AM to 5 PM, except public holidays", from the clinic's business day."""
    clinic = Clinic.objects.only("business_day_start", "business_day_end").first()
    opens, closes = (clinic.business_day_start, clinic.business_day_end) if clinic else DEFAULT_HOURS
    return f"Monday to Friday, {_clock(opens)} to {_clock(closes)}, except public holidays"


def _clock(moment) -> str:
    if isinstance(moment, str):  # a default not yet read back from the database
        moment = time.fromisoformat(moment)
    return time_format(moment, "g A" if moment.minute == 0 else "g:i A")
