"""Made-up patients and clinical summaries that read like real referrals for ketamine therapy:
a depressive disorder, a few failed antidepressant trials (some with the dose or duration the
referrer did not know), psychotherapy, the odd safety flag and, often, a recent PHQ-9.

The functions return plain dicts in the shape referrals.services.referral_receive takes, so the
demo can pass them to the service and the large network can turn them into rows.
"""

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from liaison.demo import vocab
from liaison.referrals.choices import AttemptHistory, Sex, StopReason, SubstanceUse, TrialResponse, Urgency


@dataclass
class Clinical:
    """What a referral says about the patient: the referral's own fields, diagnoses, trials."""

    referral: dict
    diagnoses: list[dict] = field(default_factory=list)
    trials: list[dict] = field(default_factory=list)
    phq9_days_before: int | None = None

    def dated(self, received: datetime) -> dict:
        """The referral's fields, with the PHQ-9 dated a few days before the referral arrived."""
        if self.phq9_days_before is None:
            return dict(self.referral)
        return {**self.referral, "phq9_date": (received - timedelta(days=self.phq9_days_before)).date()}


def phone(rng: random.Random, area: str) -> str:
    """A US number in the 555-0100..0199 block, which is reserved for fiction."""
    return f"+1{area}55501{rng.randint(0, 99):02d}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def patient_fields(rng: random.Random, *, today: date) -> dict:
    sex = rng.choices((Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN), weights=(61, 36, 2, 1))[0]
    names = vocab.MALE_NAMES if sex == Sex.MALE else vocab.FEMALE_NAMES
    first, last = rng.choice(names), rng.choice(vocab.LAST_NAMES)
    zip_code, _city, _state, area = rng.choice(vocab.PLACES)
    age_days = round(365.25 * min(max(rng.gauss(42, 13), 19), 79))
    return {
        "first_name": first,
        "last_name": last,
        "date_of_birth": today - timedelta(days=age_days + rng.randint(0, 364)),
        "sex": sex,
        "phone": phone(rng, area) if rng.random() < 0.95 else "",
        "email": f"{slug(first)}.{slug(last)}{rng.randint(1, 99)}@mail.example" if rng.random() < 0.7 else "",
        "zip_code": zip_code,
    }


def clinical_fields(rng: random.Random, *, self_referral: bool) -> Clinical:
    """A referral's clinical summary. Self-referrals know less: fewer diagnoses and doses."""
    trials = _trials(rng, known=0.55 if self_referral else 0.9)
    referral = {**_safety(rng), **_history(rng, trials), **_phq9(rng)}
    referral["urgency"] = _urgency(rng, referral)
    referral["reason"] = _reason(rng, referral, trials, self_referral=self_referral)
    if self_referral and rng.random() < 0.85:
        referral["prescriber_name"] = _prescriber(rng)
    diagnoses = [] if self_referral and rng.random() < 0.5 else _diagnoses(rng)
    days = rng.randint(1, 30) if referral.get("phq9_total") is not None else None
    return Clinical(referral=referral, diagnoses=diagnoses, trials=trials, phq9_days_before=days)


def _diagnoses(rng: random.Random) -> list[dict]:
    code, description, _ = rng.choices(vocab.DIAGNOSES, weights=[d[2] for d in vocab.DIAGNOSES])[0]
    found = [{"code": code, "description": description}]
    if rng.random() < 0.35:
        code, description = rng.choice(vocab.COMORBID)
        found.append({"code": code, "description": description})
    return found


def _trials(rng: random.Random, *, known: float) -> list[dict]:
    """0 to 4 antidepressant trials, sometimes an augmentation; the last may still be going."""
    count = rng.choices((0, 1, 2, 3, 4), weights=(8, 17, 30, 28, 17))[0]
    drugs = rng.sample(vocab.ANTIDEPRESSANTS, count)
    if count >= 2 and rng.random() < 0.3:
        drugs.append(rng.choice(vocab.AUGMENTERS))
    trials = [_trial(rng, drug, doses, known=known) for drug, doses in drugs]
    for trial, (drug, _) in zip(trials, drugs, strict=True):
        trial["is_augmentation"] = drug in {name for name, _ in vocab.AUGMENTERS}
    if trials and rng.random() < 0.45:
        trials[-1].update(reason_stopped=StopReason.ONGOING, response=TrialResponse.PARTIAL)
    if len(trials) >= 3 and rng.random() < 0.3:
        trials[0]["in_current_episode"] = False
    return trials


def _trial(rng: random.Random, drug: str, doses: tuple, *, known: float) -> dict:
    dose = rng.choice(doses) if rng.random() < known else None
    weeks = rng.choice(vocab.WEEKS) if rng.random() < known else None
    response = rng.choices(
        (TrialResponse.NONE, TrialResponse.PARTIAL, TrialResponse.FULL, TrialResponse.UNKNOWN), weights=(55, 33, 4, 8)
    )[0]
    stopped = rng.choices((StopReason.INEFFICACY, StopReason.SIDE_EFFECTS, StopReason.OTHER), weights=(65, 27, 8))[0]
    return {
        "drug": drug,
        "daily_dose_mg": Decimal(dose) if dose is not None else None,
        "weeks_at_dose": weeks,
        "response": response,
        "reason_stopped": stopped,
        "is_augmentation": False,
        "in_current_episode": True,
    }


def _history(rng: random.Random, trials: list[dict]) -> dict:
    ongoing = [_taking(t) for t in trials if t["reason_stopped"] == StopReason.ONGOING]
    extras = rng.sample(vocab.EXTRA_MEDICATIONS, rng.choices((0, 1, 2), weights=(6, 3, 1))[0])
    in_therapy = rng.random() < 0.75
    return {
        "episode_months": rng.choice((3, 5, 8, 10, 14, 18, 24, 30, 48, 72)) if rng.random() < 0.9 else None,
        "prior_episodes": rng.choices((0, 1, 2, 3, 5), weights=(3, 3, 2, 1, 1))[0] if rng.random() < 0.85 else None,
        "current_medications": "; ".join(ongoing + extras),
        "psychotherapy_type": rng.choice(vocab.PSYCHOTHERAPIES) if in_therapy else "",
        "psychotherapy_months": rng.choice((3, 6, 9, 12, 18, 24, 36)) if in_therapy else None,
        "psychotherapy_ongoing": rng.random() < 0.6 if in_therapy else None,
    }


def _taking(trial: dict) -> str:
    dose = trial["daily_dose_mg"]
    return f"{trial['drug']} {dose} mg daily" if dose is not None else f"{trial['drug']}, dose not known"


def _safety(rng: random.Random) -> dict:
    """Most referrals carry no safety flag; a few carry one or two."""
    flags = {
        "suicidal_ideation_current": rng.random() < 0.07,
        "suicide_attempt_history": rng.choices(
            (AttemptHistory.NONE, AttemptHistory.PAST, AttemptHistory.RECENT), weights=(86, 11, 3)
        )[0],
        "substance_use": rng.choices((SubstanceUse.NONE, SubstanceUse.PAST, SubstanceUse.ACTIVE), weights=(86, 11, 3))[
            0
        ],
        "psychosis_or_mania_history": rng.random() < 0.03,
        "uncontrolled_hypertension": rng.random() < 0.04,
        "cardiac_disease": rng.random() < 0.015,
        "aneurysmal_vascular_disease": rng.random() < 0.005,
        "intracerebral_haemorrhage": rng.random() < 0.003,
        "pregnancy": rng.random() < 0.01,
        "seizures": rng.random() < 0.015,
    }
    flags["safety_other"] = rng.choice(vocab.SAFETY_OTHER) if rng.random() < 0.04 else ""
    return flags


def _phq9(rng: random.Random) -> dict:
    """A recent PHQ-9: item by item (45%), the total only (30%), or none."""
    kind = rng.choices(("items", "total", "none"), weights=(45, 30, 25))[0]
    if kind == "none":
        return {}
    mean = min(max(rng.gauss(18, 4), 8), 26) / 9
    items = [min(max(round(rng.gauss(mean, 0.8)), 0), 3) for _ in range(9)]
    return {"phq9_items": items if kind == "items" else None, "phq9_total": sum(items)}


def _urgency(rng: random.Random, referral: dict) -> str:
    """Active suicidality is urgent; a recent attempt or a high item 9 is at least soon."""
    items = referral.get("phq9_items") or []
    if referral["suicidal_ideation_current"]:
        if items:
            items[8] = max(items[8], 1)
            referral["phq9_total"] = sum(items)
        return Urgency.URGENT
    if referral["suicide_attempt_history"] == AttemptHistory.RECENT or (items and items[8] >= 2):
        return Urgency.SOON
    return rng.choices((Urgency.ROUTINE, Urgency.SOON, Urgency.URGENT), weights=(80, 18, 2))[0]


def _reason(rng: random.Random, referral: dict, trials: list[dict], *, self_referral: bool) -> str:
    names = [t["drug"].split()[0].lower() for t in trials if not t["is_augmentation"]]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
    if not names:
        return rng.choice(vocab.REASONS_NO_TRIALS)
    values = {
        "trials": f"{len(names)} antidepressant trial{'s' if len(names) != 1 else ''} ({listed})",
        "years": _years(max(1, (referral.get("episode_months") or 24) // 12 + (referral.get("prior_episodes") or 0))),
        "months": referral.get("episode_months") or 12,
        "current": referral["current_medications"] or "no medication",
    }
    templates = vocab.REASONS_SELF if self_referral else vocab.REASONS_CLINICIAN
    if len(names) < 2:
        templates = [t for t in templates if not t.startswith("Treatment-resistant")]
    return rng.choice(templates).format(**values)


def _years(n: int) -> str:
    return "a year" if n == 1 else f"{n} years"


def _prescriber(rng: random.Random) -> str:
    first, last = rng.choice(vocab.FEMALE_NAMES + vocab.MALE_NAMES), rng.choice(vocab.LAST_NAMES)
    return f"Dr. {first} {last} ({rng.choice(vocab.PRESCRIBER_TITLES)})"


def coordination_fields(rng: random.Random, *, office_phone: str = "") -> dict:
    """Who to call to coordinate: the referring office, or for a self-referral someone close to the patient."""
    if rng.random() < 0.45:
        return {}
    first = rng.choice(vocab.FEMALE_NAMES + vocab.MALE_NAMES)
    if office_phone:
        return {"coordination_name": f"{first} (office manager)", "coordination_phone": office_phone}
    relation = rng.choice(("partner", "sister", "brother", "mother", "father", "friend"))
    area = rng.choice(vocab.PLACES)[3]
    return {
        "coordination_name": f"{first} {rng.choice(vocab.LAST_NAMES)} ({relation})",
        "coordination_phone": phone(rng, area),
    }
