"""Factories for referrals.

Two ways to make one:
- `ReferralFactory` writes the row directly, in any status, with the lifecycle fields (open/closed,
  next action, owner, due time) filled in as the lifecycle table says; fast, for pages and queries.
- `receive_referral()` goes through `services.referral_receive`, as intake does, with the input
  dicts built by the `*DataFactory` classes below; for tests of the service and of what it writes.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from liaison.directory.choices import SourceType
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals import lifecycle, services
from liaison.referrals.choices import (
    URGENCY_RANK,
    IntakeChannel,
    Sex,
    Status,
    StopReason,
    TrialResponse,
    Urgency,
)
from liaison.referrals.models import Diagnosis, MedicationTrial, Patient, Referral


def _next_action(status):
    return lifecycle.NEXT_ACTION.get(Status(status))


def _owner(o):
    action = _next_action(o.status)
    if action is None:
        return None
    return o.assigned_clinician if action.role == "clinician" else o.assigned_coordinator


class PatientFactory(DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Patient{n:05d}")  # fixed width: no name is part of another
    # A different birthday each: two patients alike in name and birthday are flagged as duplicates.
    date_of_birth = factory.Sequence(lambda n: datetime.date(1950, 1, 1) + datetime.timedelta(days=n))
    sex = Sex.FEMALE
    phone = "+17185550199"
    zip_code = "11215"


class ReferralFactory(DjangoModelFactory):
    """A referral row in any status; set `status` and the rest follows the lifecycle table."""

    class Meta:
        model = Referral

    patient = factory.SubFactory(PatientFactory)
    referrer = factory.SubFactory(ReferrerFactory)
    source_type = factory.LazyAttribute(lambda o: o.referrer.source_type if o.referrer else SourceType.SELF)
    channel = IntakeChannel.WEB
    received_at = factory.LazyFunction(timezone.now)
    status = Status.RECEIVED
    version = 1
    is_open = factory.LazyAttribute(lambda o: o.status not in lifecycle.TERMINAL)
    closed_reason = factory.LazyAttribute(lambda o: "Closed in a test." if o.status in lifecycle.CLOSING else "")
    closed_at = factory.LazyAttribute(lambda o: o.received_at if o.status in lifecycle.CLOSING else None)
    urgency = Urgency.ROUTINE
    urgency_rank = factory.LazyAttribute(lambda o: URGENCY_RANK[o.urgency])
    assigned_coordinator = None
    assigned_clinician = None
    next_action = factory.LazyAttribute(lambda o: a.text if (a := _next_action(o.status)) else "")
    next_action_role = factory.LazyAttribute(lambda o: a.role if (a := _next_action(o.status)) else "")
    next_action_owner = factory.LazyAttribute(_owner)
    next_action_due_at = factory.LazyAttribute(
        lambda o: o.received_at + a.due_in if (a := _next_action(o.status)) else None
    )
    reason = "Treatment-resistant depression after three adequate trials."


class DiagnosisFactory(DjangoModelFactory):
    class Meta:
        model = Diagnosis

    referral = factory.SubFactory(ReferralFactory)
    code = "F33.2"
    description = "Major depressive disorder, recurrent, severe"


class MedicationTrialFactory(DjangoModelFactory):
    class Meta:
        model = MedicationTrial

    referral = factory.SubFactory(ReferralFactory)
    drug = factory.Sequence(lambda n: f"Drug{n}")
    daily_dose_mg = Decimal("20.00")
    weeks_at_dose = 8
    response = TrialResponse.NONE
    reason_stopped = StopReason.INEFFICACY


# ---------------------------------------------------------------- service input


class PatientDataFactory(factory.DictFactory):
    first_name = "Jordan"
    last_name = factory.Sequence(lambda n: f"Rivera{n:05d}")
    date_of_birth = factory.Sequence(lambda n: datetime.date(1940, 1, 1) + datetime.timedelta(days=n))
    sex = Sex.MALE
    phone = "(718) 555-0123"
    email = "jordan@example.test"
    zip_code = "11215"


class ReferralDataFactory(factory.DictFactory):
    referrer = factory.SubFactory(ReferrerFactory)
    urgency = Urgency.ROUTINE
    reason = "Two failed SSRIs and an SNRI in the current episode."
    episode_months = 14
    prior_episodes = 2
    phq9_total = 21


class DiagnosisDataFactory(factory.DictFactory):
    code = "F33.2"
    description = "Major depressive disorder, recurrent, severe"


class TrialDataFactory(factory.DictFactory):
    drug = factory.Sequence(lambda n: f"Sertraline{n}")
    daily_dose_mg = Decimal("150")
    weeks_at_dose = 8
    response = TrialResponse.PARTIAL
    reason_stopped = StopReason.INEFFICACY


def receive_referral(
    *, by=None, patient=None, referral=None, diagnoses=None, trials=None, channel=IntakeChannel.WEB, at=None
) -> Referral:
    """A referral received through the intake service, with sensible input unless told otherwise."""
    return services.referral_receive(
        by=by,
        patient=PatientDataFactory() if patient is None else patient,
        referral=ReferralDataFactory() if referral is None else referral,
        diagnoses=[DiagnosisDataFactory()] if diagnoses is None else diagnoses,
        trials=[TrialDataFactory(), TrialDataFactory()] if trials is None else trials,
        channel=channel,
        at=at,
    )


def staff_form_post(*, referrer=None, trials: int = 1, **overrides) -> dict:
    """What the staff phone/fax form posts for a complete, valid referral (`referrer=None`: a
    self-referral). `overrides` replace or add fields by their full form name."""
    data = {
        "patient-first_name": "Morgan",
        "patient-last_name": "Lee",
        "patient-date_of_birth": "1984-07-09",
        "patient-sex": Sex.FEMALE,
        "patient-phone": "(917) 555-0187",
        "patient-email": "morgan@example.test",
        "patient-zip_code": "10025",
        "referral-channel": IntakeChannel.FAX,
        "referral-urgency": Urgency.SOON,
        "referral-referrer": referrer.pk if referrer else "",
        "referral-reason": "Severe recurrent depression; three failed trials.",
        "referral-episode_months": "18",
        "referral-prior_episodes": "2",
        "referral-current_medications": "Bupropion 300 mg",
        "referral-psychotherapy_type": "CBT",
        "referral-psychotherapy_months": "12",
        "referral-psychotherapy_ongoing": "true",
        "referral-suicide_attempt_history": "none",
        "referral-substance_use": "none",
        "referral-phq9_total": "19",
        "referral-phq9_item9": "0",
        "referral-phq9_date": "",
        "referral-coordination_name": "Front desk",
        "referral-coordination_phone": "",
        "referral-coordination_email": "",
        "referral-prescriber_name": "",
        "diagnoses-TOTAL_FORMS": "1",
        "diagnoses-INITIAL_FORMS": "0",
        "diagnoses-MIN_NUM_FORMS": "0",
        "diagnoses-MAX_NUM_FORMS": "10",
        "diagnoses-0-code": "F33.2",
        "diagnoses-0-description": "MDD, recurrent, severe",
        "trials-TOTAL_FORMS": str(trials),
        "trials-INITIAL_FORMS": "0",
        "trials-MIN_NUM_FORMS": "0",
        "trials-MAX_NUM_FORMS": "20",
    }
    if referrer is None:
        data["referral-self_referral"] = "on"
    for i in range(1, 10):
        data[f"referral-phq9_item_{i}"] = ""
    for i in range(trials):
        data.update(
            {
                f"trials-{i}-drug": f"Escitalopram{'' if i == 0 else i}",
                f"trials-{i}-daily_dose_mg": "20",
                f"trials-{i}-weeks_at_dose": "8",
                f"trials-{i}-response": TrialResponse.NONE,
                f"trials-{i}-reason_stopped": StopReason.INEFFICACY,
                f"trials-{i}-in_current_episode": "on",
            }
        )
    data.update(overrides)
    return data
