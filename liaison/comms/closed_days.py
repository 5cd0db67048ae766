"""The practice's public holidays from the `holidays` package: the US federal days and its state's own.

Used by the first migrate (this year and next), the periodic sweep (next year's, once it is missing) and
`liaison load_holidays` (any years, leaving out the days the practice works)."""

from datetime import date

import holidays


class HolidayError(ValueError):
    """Bad input, named by the option at fault: {option: message}."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def base_name(name: str) -> str:
    """ "Independence Day (observed)" is left out with "Independence Day"."""
    return name.lower().removesuffix(" (observed)")


def public_holidays(years, state: str = "", skip=()) -> list[tuple[date, str]]:
    """(day, name) of every public holiday in `years`, observed weekdays included, minus the `skip` names."""
    years = sorted(set(years))
    errors = {}
    if bad := [y for y in years if not 2000 <= y <= 2100]:
        errors["year"] = f"{', '.join(map(str, bad))} is outside 2000–2100."
    if state and state.upper() not in holidays.US.subdivisions:
        errors["state"] = f"{state!r} is not a US state or territory code."
    if errors:
        raise HolidayError(errors)
    found = holidays.country_holidays("US", subdiv=state.upper() or None, years=years, observed=True)
    days = sorted(found.items())
    names = {base_name(name) for _, name in days}
    if unknown := [s for s in skip if s.lower() not in names]:
        called = ", ".join(map(repr, unknown))
        raise HolidayError({"skip": f"no holiday called {called} in {', '.join(map(str, years))}."})
    skipped = {s.lower() for s in skip}
    return [(day, name[:100]) for day, name in days if base_name(name) not in skipped]


def load_years(holiday_model, year_model, *, years, state: str, at, skip=(), force: bool = False) -> tuple[int, int]:
    """Add the holidays of each year not loaded before (every year given, with `force`); record the year.
    Takes the models as arguments so that a migration can pass its historical ones. Returns (added, kept)."""
    done = set(year_model.objects.filter(year__in=years).values_list("year", flat=True))
    todo = sorted(set(years) if force else set(years) - done)
    if not todo:
        return 0, 0
    days = public_holidays(todo, state, skip)
    added = sum(holiday_model.objects.get_or_create(date=day, defaults={"name": name})[1] for day, name in days)
    for year in todo:
        year_model.objects.update_or_create(year=year, defaults={"state": state.upper(), "loaded_at": at})
    return added, len(days) - added
