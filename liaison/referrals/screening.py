"""Screening: decision support on a referral as it arrives. It never declines a referral.

`screen()` reads the referral, its diagnoses and trials (saved or not) and the practice's rules and
doses, and returns findings, each naming the rule that produced it. `referral_receive` stores the
result with the referral and, for an urgent safety finding, raises the urgency and routes the next
action to a clinician (decision 0006)."""

from dataclasses import dataclass, field, replace
from decimal import Decimal

from liaison.referrals import screening_cache
from liaison.referrals.choices import AttemptHistory, SubstanceUse, TrialResponse
from liaison.referrals.intake_choices import Resistance, RuleCategory, RuleEffect, SafetyLevel
from liaison.referrals.intake_models import AdequateDose, ScreeningRule
from liaison.referrals.safety import SAFETY_CRITICAL
from liaison.referrals.screening_defaults import DOSES, RULES

NOT_ASKED = "not_asked"
DEFAULT_WEEKS = 6
DEFAULT_TRIALS = 2


@dataclass(frozen=True)
class Rule:
    key: str
    category: str
    effect: str
    title: str
    message: str
    number: int | None
    enabled: bool = True


@dataclass
class Outcome:
    resistance: str = Resistance.REVIEW
    adequate_failed: int = 0
    unclear_trials: int = 0
    safety: str = SafetyLevel.NONE
    findings: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def urgent(self) -> bool:
        return self.safety == SafetyLevel.URGENT

    def add(self, rule: Rule, outcome: str, text: str) -> None:
        self.findings.append(
            {"rule": rule.key, "title": rule.title, "category": rule.category, "outcome": outcome, "text": text}
        )


def load_rules() -> dict[str, Rule]:
    """The practice's rules; a rule missing from the table falls back to Liaison's default. A safety-critical
    rule (safety.SAFETY_CRITICAL) is always on and always urgent, whatever its row says: only its words are
    the practice's."""
    rules = {r[0]: Rule(*r) for r in RULES}
    fields = ("key", "category", "effect", "title", "message", "number", "enabled")
    for row in ScreeningRule.objects.values_list(*fields):
        rules[row[0]] = Rule(*row)
    for key in SAFETY_CRITICAL:
        rules[key] = replace(rules[key], category=RuleCategory.SAFETY, effect=RuleEffect.URGENT, enabled=True)
    return rules


def load_doses() -> dict[str, Decimal]:
    """Lowest adequate daily dose by drug name (and brand name), lower case."""
    rows = list(AdequateDose.objects.values_list("drug", "min_daily_mg", "also_known_as"))
    if not rows:
        rows = [(drug, Decimal(dose), aka) for drug, dose, aka in DOSES]
    doses = {}
    for drug, dose, aka in rows:
        for name in [drug, *aka.split(",")]:
            if name.strip():
                doses[name.strip().lower()] = dose
    return doses


def drug_key(name: str) -> str:
    """'Sertraline 100mg' → 'sertraline': the first word, lower case."""
    words = (name or "").strip().lower().replace("-", " ").split()
    return words[0] if words else ""


def judge_trial(trial, *, doses: dict, weeks_needed: int) -> tuple[str, str]:
    """('adequate' | 'inadequate' | 'unclear', reason in words) for one trial."""
    minimum = doses.get(drug_key(trial.drug))
    if minimum is None:
        return "unclear", f"{trial.drug}: not in the practice's table of adequate doses"
    if trial.daily_dose_mg is None or trial.weeks_at_dose is None:
        gap = "dose" if trial.daily_dose_mg is None else "weeks at dose"
        return "unclear", f"{trial.drug}: {gap} not given"
    if Decimal(trial.daily_dose_mg) < minimum:
        return "inadequate", f"{trial.drug}: {trial.daily_dose_mg:g} mg/day is below the adequate {minimum:g} mg/day"
    if trial.weeks_at_dose < weeks_needed:
        return "inadequate", f"{trial.drug}: {trial.weeks_at_dose} weeks at dose, fewer than {weeks_needed}"
    return "adequate", f"{trial.drug}: {trial.daily_dose_mg:g} mg/day for {trial.weeks_at_dose} weeks"


def _verdict(trial, verdict: str, reason: str) -> tuple[str, str]:
    """An adequate trial counts as failed on no or partial response; with no response given it is unclear."""
    if verdict == "adequate" and trial.response == TrialResponse.FULL:
        return "worked", reason
    if verdict == "adequate" and trial.response not in (TrialResponse.NONE, TrialResponse.PARTIAL):
        return "unclear", f"{trial.drug}: response not given"
    return verdict, reason


def screen_resistance(out: Outcome, trials, *, rules: dict, doses: dict) -> None:
    weeks = rules["trial-adequate"].number or DEFAULT_WEEKS
    needed = rules["trd-likely"].number or DEFAULT_TRIALS
    counted = [t for t in trials if t.in_current_episode and not t.is_augmentation]
    judged = [_verdict(t, *judge_trial(t, doses=doses, weeks_needed=weeks)) for t in counted]
    adequate = [reason for verdict, reason in judged if verdict == "adequate"]
    unclear = [reason for verdict, reason in judged if verdict == "unclear"]
    short = [reason for verdict, reason in judged if verdict == "inadequate"]
    out.adequate_failed, out.unclear_trials = len(adequate), len(unclear)
    if len(adequate) >= needed and rules["trd-likely"].enabled:
        out.resistance = Resistance.LIKELY
        out.add(rules["trd-likely"], "likely", f"{len(adequate)} failed adequate trials ({'; '.join(adequate)}).")
        return
    words = [f"{len(adequate)} failed adequate trial{'s' if len(adequate) != 1 else ''} in the current episode"]
    words[0] += f" ({needed} needed, adequate = at the minimum daily dose for {weeks} weeks or more)"
    if unclear:
        words.append(f"unclear: {'; '.join(unclear)}")
    if short:
        words.append(f"not adequate: {'; '.join(short)}")
    out.add(rules["trd-review"], "review", ". ".join(w[0].upper() + w[1:] for w in words) + ".")


def _item9_given(referral):
    return getattr(referral, "phq9_item9", None)  # screening also reads plain objects without the field


def item9_floor(referral) -> int:
    """The least the referral's PHQ-9 item 9 can be: its answer (in the items or given on its own), else what a
    total of 25 or more implies (the other eight items add up to 24 at most)."""
    items = referral.phq9_items if isinstance(referral.phq9_items, list) and len(referral.phq9_items) == 9 else None
    answer = items[8] if items and items[8] is not None else _item9_given(referral)
    if isinstance(answer, int):
        return answer
    total = referral.phq9_total if isinstance(referral.phq9_total, int) else 0
    return max(0, total - 24)


def item9_detail(referral) -> str:
    floor = item9_floor(referral)
    answered = referral.phq9_items and referral.phq9_items[8] is not None
    if _item9_given(referral) is None and not answered:
        return f"Item 9 was not asked; a total of {referral.phq9_total} means it is at least {floor} of 3."
    return f"Item 9 answered {floor} of 3."


def phq9_as_given(referral: dict) -> dict:
    """The referral's PHQ-9 as every intake path gives it: item 9 "not_asked" is kept as an empty item 9 (the
    gap a clinician resolves), and nine unanswered items are no items."""
    data = dict(referral)
    if data.get("phq9_item9") == NOT_ASKED:
        data["phq9_item9"] = None
    items = data.get("phq9_items")
    if isinstance(items, list | tuple) and all(v is None for v in items):
        data["phq9_items"] = None
    return data


SAFETY_CHECKS = [
    ("suicidal-ideation", lambda r: r.suicidal_ideation_current),
    ("recent-attempt", lambda r: r.suicide_attempt_history == AttemptHistory.RECENT),
    ("phq9-item9", lambda r: item9_floor(r) > 0),
    ("hypertension", lambda r: r.uncontrolled_hypertension),
    ("psychosis-mania", lambda r: r.psychosis_or_mania_history),
    ("substance-active", lambda r: r.substance_use == SubstanceUse.ACTIVE),
    ("pregnancy", lambda r: r.pregnancy),
    ("aneurysm", lambda r: r.aneurysmal_vascular_disease),
    ("haemorrhage", lambda r: r.intracerebral_haemorrhage),
    ("cardiac", lambda r: r.cardiac_disease),
    ("seizures", lambda r: r.seizures),
]


def screen_safety(out: Outcome, referral, *, rules: dict) -> None:
    for key, fires in SAFETY_CHECKS:
        rule = rules[key]
        if not rule.enabled or not fires(referral):
            continue
        level = SafetyLevel.URGENT if rule.effect == RuleEffect.URGENT else SafetyLevel.REVIEW
        out.add(rule, level, f"{rule.message} {item9_detail(referral)}" if key == "phq9-item9" else rule.message)
        if level == SafetyLevel.URGENT or out.safety == SafetyLevel.NONE:
            out.safety = level


def screen_completeness(out: Outcome, referral, patient, diagnoses, trials, *, rules: dict) -> None:
    gaps = [
        ("missing-diagnosis", not diagnoses),
        ("missing-trials", not trials),
        ("missing-episode", referral.episode_months is None),
        ("missing-phq9", referral.phq9_total is None and not referral.phq9_items and _item9_given(referral) is None),
        ("missing-contact", not (patient.phone or patient.email)),
    ]
    for key, missing in gaps:
        if missing and rules[key].enabled:
            _missing(out, rules[key], rules[key].message)
    detail = rules["missing-trial-detail"]
    vague = [t.drug for t in trials if t.daily_dose_mg is None or t.weeks_at_dose is None]
    if vague and detail.enabled:
        _missing(out, detail, f"{detail.message} {', '.join(vague)}")


def _missing(out: Outcome, rule: Rule, text: str) -> None:
    out.missing.append(text)
    out.add(rule, "missing", text[0].upper() + text[1:] + ".")


def practice_tables() -> tuple[dict[str, Rule], dict[str, Decimal]]:
    """(rules, doses): the process's copy, read again after every change (screening_cache)."""
    return screening_cache.tables(lambda: (load_rules(), load_doses()))


def screen(*, referral, patient, diagnoses, trials, rules=None, doses=None) -> Outcome:
    if rules is None or doses is None:
        current_rules, current_doses = practice_tables()
        rules = rules if rules is not None else current_rules
        doses = doses if doses is not None else current_doses
    out = Outcome()
    screen_safety(out, referral, rules=rules)
    screen_resistance(out, trials, rules=rules, doses=doses)
    screen_completeness(out, referral, patient, diagnoses, trials, rules=rules)
    return out


def information_request(out: Outcome, *, reference: str) -> str:
    """A draft request to the referrer for what the assessment still needs."""
    if not out.missing:
        return ""
    lines = "\n".join(f"- {item}" for item in out.missing)
    return (
        f"Thank you for referral {reference}. To assess your patient for ketamine therapy we still need:\n"
        f"{lines}\nYou can reply to this message or add it in the referrer portal."
    )
