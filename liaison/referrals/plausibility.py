"""Doses and durations in a referral's medication trials that cannot be right (an error: the referral is not
written) or that are unusual enough to ask the sender to confirm them (a warning: the referral is written once
they tick "These unusual figures are right"). One rule for the public form, the staff form and the API: all
three send the referral through services.referral_receive, which calls `check` (decision 0037).

Cannot be right: a dose more than five times the drug's usual maximum (sertraline 5,000 mg a day is a slip of
the keyboard or of the unit); no weeks at a dose (0 or fewer: leave it blank when not known); more weeks at a dose
than the patient has been alive. Unusual, to confirm: a dose above one and a half times the usual maximum (high
doses are used in resistant depression, under supervision), and more than two years at one dose (a trial is
usually weeks or months, but long maintenance at one dose happens).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from liaison.referrals.screening import drug_key
from liaison.referrals.screening_defaults import DOSES

# The usual maximum adult daily dose in mg, from each drug's US prescribing information (the highest dose its
# label recommends for depression; for the augmenting drugs, their dose as an add-on for depression where the
# label gives one). The adequate (lowest) doses are the practice's table (screening_defaults.DOSES).
USUAL_MAX_MG = {
    "amitriptyline": 300,
    "bupropion": 450,
    "citalopram": 40,
    "clomipramine": 250,
    "desipramine": 300,
    "desvenlafaxine": 400,
    "duloxetine": 120,
    "escitalopram": 20,
    "fluoxetine": 80,
    "fluvoxamine": 300,
    "imipramine": 300,
    "levomilnacipran": 120,
    "mirtazapine": 45,
    "nortriptyline": 150,
    "paroxetine": 62.5,
    "phenelzine": 90,
    "selegiline": 12,
    "sertraline": 200,
    "tranylcypromine": 60,
    "trazodone": 600,
    "venlafaxine": 375,
    "vilazodone": 40,
    "vortioxetine": 20,
    # augmenting drugs
    "aripiprazole": 15,
    "brexpiprazole": 3,
    "cariprazine": 4.5,
    "quetiapine": 300,
    "lithium": 1800,
    "lamotrigine": 400,
}
BRANDS = {
    **{brand.strip().lower(): drug for drug, _, brands in DOSES for brand in brands.split(",") if brand.strip()},
    "abilify": "aripiprazole",
    "rexulti": "brexpiprazole",
    "vraylar": "cariprazine",
    "seroquel": "quetiapine",
    "lamictal": "lamotrigine",
}
IMPOSSIBLE_TIMES = 5  # more than this many times the usual maximum cannot be right
UNUSUAL_TIMES = Decimal("1.5")  # more than this many times the usual maximum is confirmed
LONG_WEEKS = 104  # more than two years at one dose is confirmed
CONFIRM = "confirm_unusual"  # the referral's field the sender ticks
CONFIRM_MESSAGE = (
    "Some figures are unusual (see the messages on the medication trials). Check them; if they are right, "
    "tick “These unusual figures are right” and send again."
)
AGAIN = "If it is right, tick “These unusual figures are right” and send again."


@dataclass
class Found:
    errors: dict[str, list[str]] = field(default_factory=dict)  # cannot be right
    unusual: dict[str, list[str]] = field(default_factory=dict)  # to confirm

    def add(self, into: dict, key: str, message: str) -> None:
        into.setdefault(key, []).append(message)


def usual_max(drug: str) -> Decimal | None:
    key = drug_key(drug)
    found = USUAL_MAX_MG.get(BRANDS.get(key, key))
    return Decimal(str(found)) if found is not None else None


def check(*, trials, date_of_birth=None, at: datetime) -> Found:
    """What is wrong or unusual in these (unsaved) MedicationTrial rows, by `trials.N.field`."""
    found = Found()
    today = timezone.localdate(at)  # the practice's day, as the date-of-birth check counts it
    born = date_of_birth if isinstance(date_of_birth, date) and date_of_birth <= today else None
    age_weeks = (today - born).days // 7 if born else None
    for i, trial in enumerate(trials):
        _dose(found, f"trials.{i}.daily_dose_mg", trial)
        _weeks(found, f"trials.{i}.weeks_at_dose", trial.weeks_at_dose, age_weeks)
    return found


def _mg(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def _dose(found: Found, key: str, trial) -> None:
    dose, most = trial.daily_dose_mg, usual_max(trial.drug)
    if dose is None or most is None or not isinstance(dose, Decimal | int | float):
        return
    dose = Decimal(str(dose))
    said = f"{_mg(dose)} mg a day of {trial.drug.strip()}"
    if dose > most * IMPOSSIBLE_TIMES:
        why = f"more than {IMPOSSIBLE_TIMES} times its usual maximum ({_mg(most)} mg a day)"
        found.add(found.errors, key, f"{said} is {why}, so it cannot be right. Check the dose and that it is in mg.")
    elif dose > most * UNUSUAL_TIMES:
        found.add(found.unusual, key, f"{said} is well above its usual maximum ({_mg(most)} mg a day). {AGAIN}")


def _weeks(found: Found, key: str, weeks, age_weeks: int | None) -> None:
    if weeks is None or not isinstance(weeks, int):
        return
    if weeks == 0:
        found.add(found.errors, key, "Give the weeks at that dose as 1 or more, or leave it blank if not known.")
    elif age_weeks is not None and weeks > age_weeks:
        alive = f"longer than the patient has been alive ({age_weeks // 52} years)"
        found.add(found.errors, key, f"{weeks} weeks at that dose is {alive}. Check the weeks and the date of birth.")
    elif weeks > LONG_WEEKS:
        years = f"about {round(weeks / 52)} years"
        found.add(found.unusual, key, f"{weeks} weeks ({years}) at one dose is unusual for a trial. {AGAIN}")
