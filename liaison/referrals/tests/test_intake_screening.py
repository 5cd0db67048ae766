"""Screening: every rule and every boundary, as a table; and what referral_receive stores."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from liaison.referrals import screening
from liaison.referrals.choices import AttemptHistory, SubstanceUse, TrialResponse, Urgency
from liaison.referrals.intake_models import ScreeningResult, ScreeningRule
from liaison.referrals.screening_defaults import DOSES, RULES
from liaison.referrals.tests.factories import ReferralDataFactory, TrialDataFactory, receive_referral

RULESET = {r[0]: screening.Rule(*r) for r in RULES}
DOSE_TABLE = {name.lower(): Decimal(dose) for drug, dose, aka in DOSES for name in (drug, aka)}


def trial(drug="sertraline", dose="100", weeks=8, response=TrialResponse.NONE, **extra):
    values = dict(is_augmentation=False, in_current_episode=True)
    values.update(extra)
    return SimpleNamespace(
        drug=drug, daily_dose_mg=Decimal(dose) if dose else None, weeks_at_dose=weeks, response=response, **values
    )


def referral(**flags):
    values = dict(
        suicidal_ideation_current=False,
        suicide_attempt_history=AttemptHistory.NONE,
        phq9_items=None,
        phq9_total=18,
        uncontrolled_hypertension=False,
        psychosis_or_mania_history=False,
        substance_use=SubstanceUse.NONE,
        pregnancy=False,
        aneurysmal_vascular_disease=False,
        intracerebral_haemorrhage=False,
        cardiac_disease=False,
        seizures=False,
        episode_months=12,
    )
    values.update(flags)
    return SimpleNamespace(**values)


PATIENT = SimpleNamespace(phone="+17185550123", email="")


def run(trials=(), rules=RULESET, patient=PATIENT, diagnoses=("F33.2",), **flags):
    return screening.screen(
        referral=referral(**flags),
        patient=patient,
        diagnoses=list(diagnoses),
        trials=list(trials),
        rules=rules,
        doses=DOSE_TABLE,
    )


def rules_fired(out):
    return [f["rule"] for f in out.findings]


RESISTANCE_CASES = [
    # (trials, expected resistance, adequate failed, unclear)
    ([trial(), trial("escitalopram", "10", 6)], "likely", 2, 0),
    ([trial()], "review", 1, 0),
    ([trial(), trial("escitalopram", "10", 5)], "review", 1, 0),  # 5 weeks: one short of 6
    ([trial(weeks=3), trial("escitalopram", "10", 3)], "review", 0, 0),  # 3 weeks versus 6
    ([trial(weeks=6), trial("fluoxetine", "20", 6)], "likely", 2, 0),  # exactly 6 weeks at exactly the dose
    ([trial(dose="49"), trial("fluoxetine", "20", 6)], "review", 1, 0),  # below the minimum dose
    ([trial(dose=None), trial("fluoxetine", "20", 6)], "review", 1, 1),  # unknown dose: unclear
    ([trial(weeks=None), trial("fluoxetine", "20", 6)], "review", 1, 1),  # unknown weeks: unclear
    ([trial("mysterycillin"), trial()], "review", 1, 1),  # not in the dose table: unclear
    ([trial(response=TrialResponse.FULL), trial()], "review", 1, 0),  # it worked: not a failure
    ([trial(response=TrialResponse.UNKNOWN), trial()], "review", 1, 1),  # response unknown: unclear
    ([trial(response=TrialResponse.PARTIAL), trial("Zoloft 100 mg")], "likely", 2, 0),  # brand name, partial
    ([trial(), trial(is_augmentation=True)], "review", 1, 0),  # augmentation is not counted
    ([trial(), trial(in_current_episode=False)], "review", 1, 0),  # an earlier episode is not counted
    ([], "review", 0, 0),
]


@pytest.mark.parametrize(("trials", "resistance", "failed", "unclear"), RESISTANCE_CASES)
def test_treatment_resistance(trials, resistance, failed, unclear):
    out = run(trials)
    assert (out.resistance, out.adequate_failed, out.unclear_trials) == (resistance, failed, unclear)
    rule = "trd-likely" if resistance == "likely" else "trd-review"
    finding = next(f for f in out.findings if f["category"] == "resistance")
    assert finding["rule"] == rule and finding["text"]


def test_needs_review_says_why_in_words():
    out = run([trial(weeks=3), trial("escitalopram", dose=None)])
    text = next(f["text"] for f in out.findings if f["rule"] == "trd-review")
    assert "0 failed adequate trials" in text and "fewer than 6" in text and "escitalopram: dose not given" in text


def test_the_practice_can_change_the_thresholds():
    rules = dict(RULESET)
    rules["trial-adequate"] = screening.Rule("trial-adequate", "resistance", "threshold", "t", "m", 4)
    rules["trd-likely"] = screening.Rule("trd-likely", "resistance", "candidate", "t", "m", 1)
    assert run([trial(weeks=4)], rules=rules).resistance == "likely"


SAFETY_CASES = [
    (dict(suicidal_ideation_current=True), "urgent", "suicidal-ideation"),
    (dict(suicide_attempt_history=AttemptHistory.RECENT), "urgent", "recent-attempt"),
    (dict(suicide_attempt_history=AttemptHistory.PAST), "none", None),
    (dict(phq9_items=[2, 2, 2, 2, 2, 2, 2, 2, 1], phq9_total=None), "urgent", "phq9-item9"),
    (dict(phq9_items=[3, 3, 3, 3, 3, 3, 3, 3, 0], phq9_total=None), "none", None),
    (dict(uncontrolled_hypertension=True), "review", "hypertension"),
    (dict(psychosis_or_mania_history=True), "review", "psychosis-mania"),
    (dict(substance_use=SubstanceUse.ACTIVE), "review", "substance-active"),
    (dict(substance_use=SubstanceUse.PAST), "none", None),
    (dict(pregnancy=True), "review", "pregnancy"),
    (dict(aneurysmal_vascular_disease=True), "review", "aneurysm"),
    (dict(intracerebral_haemorrhage=True), "review", "haemorrhage"),
    (dict(cardiac_disease=True), "review", "cardiac"),
    (dict(seizures=True), "review", "seizures"),
    (dict(pregnancy=True, suicidal_ideation_current=True), "urgent", "suicidal-ideation"),
]


@pytest.mark.parametrize(("flags", "level", "rule"), SAFETY_CASES)
def test_safety(flags, level, rule):
    out = run([trial(), trial()], **flags)
    assert out.safety == level
    safety_rules = [f["rule"] for f in out.findings if f["category"] == "safety"]
    assert (rule in safety_rules) if rule else safety_rules == []


def test_a_disabled_rule_does_not_fire():
    rules = dict(RULESET)
    rules["pregnancy"] = screening.Rule(*RULES[[r[0] for r in RULES].index("pregnancy")][:6], enabled=False)
    assert run([trial(), trial()], rules=rules, pregnancy=True).safety == "none"


COMPLETENESS_CASES = [
    (dict(diagnoses=()), "missing-diagnosis"),
    (dict(trials=()), "missing-trials"),
    (dict(trials=[trial(dose=None)]), "missing-trial-detail"),
    (dict(episode_months=None), "missing-episode"),
    (dict(phq9_total=None), "missing-phq9"),
    (dict(patient=SimpleNamespace(phone="", email="")), "missing-contact"),
]


@pytest.mark.parametrize(("change", "rule"), COMPLETENESS_CASES)
def test_completeness(change, rule):
    kwargs = {"trials": [trial(), trial()], **change}
    out = run(**kwargs)
    missing = [f["rule"] for f in out.findings if f["category"] == "completeness"]
    assert missing == [rule]
    assert screening.information_request(out, reference="R-000001").count("\n- ") == 1


def test_a_complete_referral_has_nothing_missing():
    out = run([trial(), trial()])
    assert out.missing == [] and screening.information_request(out, reference="R-1") == ""


# ---------------------------------------------------------------- stored with the referral


@pytest.mark.django_db
def test_receive_stores_the_screening_with_the_rule_of_each_outcome():
    ref = receive_referral(trials=[TrialDataFactory(drug="sertraline"), TrialDataFactory(drug="venlafaxine")])
    result = ScreeningResult.objects.get(referral=ref)
    assert result.resistance == "likely" and result.adequate_failed == 2
    assert all(f["rule"] in {r[0] for r in RULES} for f in result.findings)


@pytest.mark.django_db
def test_urgent_safety_makes_the_referral_urgent_and_routes_it_to_a_clinician():
    ref = receive_referral(referral=ReferralDataFactory(suicidal_ideation_current=True, urgency=Urgency.ROUTINE))
    ref.refresh_from_db()
    assert ref.urgency == "urgent" and ref.urgency_rank == 2
    assert ref.next_action_role == "clinician"
    assert (ref.next_action_due_at - ref.received_at).total_seconds() == 3600
    assert ref.screening.safety == "urgent"


@pytest.mark.django_db
def test_the_practice_adjusts_rules_in_the_database():
    ScreeningRule.objects.filter(key="trial-adequate").update(number=10)
    ref = receive_referral(trials=[TrialDataFactory(drug="sertraline"), TrialDataFactory(drug="venlafaxine")])
    assert ref.screening.resistance == "review"  # 8 weeks is no longer enough


@pytest.mark.django_db
def test_seeded_rules_and_doses_are_in_the_database():
    from liaison.referrals.intake_models import AdequateDose

    assert ScreeningRule.objects.count() == len(RULES)
    assert AdequateDose.objects.get(drug="sertraline").min_daily_mg == 50
