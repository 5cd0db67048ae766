"""The referral services: intake, transitions, assignment and notes."""

import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.care.tests.factories import evaluation_slot
from liaison.core.models import AuditEvent
from liaison.directory.choices import SourceType
from liaison.referrals import lifecycle, services
from liaison.referrals.choices import EventKind, IntakeChannel, Status, Urgency
from liaison.referrals.models import Diagnosis, MedicationTrial, Patient, Referral, ReferralEvent
from liaison.referrals.tests.factories import (
    DiagnosisDataFactory,
    PatientDataFactory,
    ReferralDataFactory,
    ReferralFactory,
    TrialDataFactory,
    receive_referral,
)

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    """How many rows every table of the project holds: a write anywhere shows up here."""
    return {m._meta.label: m._base_manager.count() for m in apps.get_models() if m._meta.managed}


def state(referral) -> tuple:
    """What a refused call must leave alone."""
    fresh = Referral.objects.get(pk=referral.pk)
    return (
        fresh.status,
        fresh.version,
        fresh.next_action_owner_id,
        fresh.next_action_due_at,
        ReferralEvent.objects.filter(referral_id=referral.pk).count(),
        AuditEvent.objects.count(),
    )


# ---------------------------------------------------------------- referral_receive


def test_it_writes_the_patient_referral_history_and_audit_row_in_one_go(coordinator, alice_referrer):
    at = timezone.now().replace(microsecond=0)
    referral = services.referral_receive(
        by=coordinator,
        patient=PatientDataFactory(first_name="Jordan", last_name="Rivera", phone="(718) 555-0123"),
        referral=ReferralDataFactory(referrer=alice_referrer, urgency=Urgency.SOON, coordination_phone="212 555 0142"),
        diagnoses=[DiagnosisDataFactory(code="F33.2"), DiagnosisDataFactory(code="F41.1", description="GAD")],
        trials=[TrialDataFactory(drug="Sertraline"), TrialDataFactory(drug="Venlafaxine", is_augmentation=True)],
        channel=IntakeChannel.PHONE,
        at=at,
    )

    referral = Referral.objects.get(pk=referral.pk)
    assert str(referral.patient) == "Jordan Rivera"
    assert referral.patient.phone == "+17185550123"
    assert referral.coordination_phone == "+12125550142"
    assert (referral.referrer, referral.source_type, referral.channel) == (
        alice_referrer,
        SourceType.PSYCHIATRY,
        IntakeChannel.PHONE,
    )
    assert (referral.status, referral.version, referral.is_open) == (Status.RECEIVED, 1, True)
    assert (referral.urgency, referral.urgency_rank) == (Urgency.SOON, 1)
    assert referral.created_by == coordinator
    assert [d.code for d in referral.diagnoses.all()] == ["F33.2", "F41.1"]
    assert [t.drug for t in referral.trials.all()] == ["Sertraline", "Venlafaxine"]
    assert referral.trials.get(drug="Venlafaxine").is_augmentation

    action = lifecycle.NEXT_ACTION[Status.RECEIVED]
    assert (referral.next_action, referral.next_action_role) == (action.text, action.role)
    assert referral.next_action_due_at == at + timedelta(hours=24)

    (event,) = referral.events.all()
    assert (event.kind, event.from_status, event.to_status) == (EventKind.RECEIVED, "", Status.RECEIVED)
    assert (event.actor, event.actor_label, event.at, event.detail) == (coordinator, "cora", at, {"channel": "phone"})

    (audit,) = AuditEvent.objects.filter(action="create")
    assert (audit.actor, audit.object_type, audit.object_id) == (coordinator, "referrals.referral", str(referral.pk))
    assert audit.patient_id == referral.patient_id


def test_a_self_referral_has_no_referrer_and_a_self_source(coordinator):
    referral = receive_referral(
        by=None,
        referral=ReferralDataFactory(referrer=None, prescriber_name="Dr. Morgan"),
        channel=IntakeChannel.SELF,
    )
    assert (referral.referrer, referral.source_type, referral.created_by) == (None, SourceType.SELF, None)
    assert referral.events.get().actor_label == "system"


def test_a_staff_taken_self_referral_keeps_its_channel(coordinator):
    referral = receive_referral(
        by=coordinator,
        referral=ReferralDataFactory(referrer=None, source_type=SourceType.SELF),
        channel=IntakeChannel.FAX,
    )
    assert (referral.source_type, referral.channel) == (SourceType.SELF, IntakeChannel.FAX)


def test_the_nine_phq9_items_are_kept_and_scored(coordinator):
    items = [3, 3, 2, 2, 2, 1, 1, 1, 0]
    referral = receive_referral(by=coordinator, referral=ReferralDataFactory(phq9_total=None, phq9_items=items))
    referral.refresh_from_db()
    assert referral.phq9_items == items
    assert referral.phq9_score == 15


def _bad(case: str):
    """Input with one kind of fault, and the keys the error must name."""
    patient, referral = PatientDataFactory(), ReferralDataFactory()
    diagnoses, trials = [DiagnosisDataFactory()], [TrialDataFactory()]
    if case == "blank names":
        patient.update(first_name="", last_name="")
        keys = {"patient.first_name", "patient.last_name"}
    elif case == "future date of birth":
        patient["date_of_birth"] = timezone.localdate() + timedelta(days=1)
        keys = {"patient.date_of_birth"}
    elif case == "bad phone":
        patient["phone"] = "call the front desk"
        keys = {"patient.phone"}
    elif case == "bad ICD-10 code":
        diagnoses = [DiagnosisDataFactory(), DiagnosisDataFactory(code="U07.1X")]
        keys = {"diagnoses.1.code"}
    elif case == "PHQ-9 with eight items":
        referral.update(phq9_total=None, phq9_items=[1] * 8)
        keys = {"referral.phq9_items"}
    elif case == "PHQ-9 item out of range":
        referral.update(phq9_total=None, phq9_items=[1, 1, 1, 1, 4, 1, 1, 1, 1])
        keys = {"referral.phq9_items"}
    elif case == "PHQ-9 total contradicting the items":
        referral.update(phq9_total=20, phq9_items=[1] * 9)
        keys = {"referral.phq9_total"}
    elif case == "no referrer for a clinician's referral":
        referral["referrer"] = None
        keys = {"referral.referrer"}
    elif case == "negative weeks at dose":
        trials = [TrialDataFactory(), TrialDataFactory(weeks_at_dose=-2)]
        keys = {"trials.1.weeks_at_dose"}
    elif case == "zero dose":
        trials = [TrialDataFactory(daily_dose_mg=Decimal("0"))]
        keys = {"trials.0.daily_dose_mg"}
    else:
        raise AssertionError(case)
    return dict(patient=patient, referral=referral, diagnoses=diagnoses, trials=trials), keys


BAD_CASES = [
    "blank names",
    "future date of birth",
    "bad phone",
    "bad ICD-10 code",
    "PHQ-9 with eight items",
    "PHQ-9 item out of range",
    "PHQ-9 total contradicting the items",
    "no referrer for a clinician's referral",
    "negative weeks at dose",
    "zero dose",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_it_rejects_bad_input_naming_the_field_and_writes_nothing(case, coordinator):
    data, keys = _bad(case)
    before = row_counts()
    with pytest.raises(ValidationError) as exc:
        services.referral_receive(by=coordinator, channel=IntakeChannel.WEB, **data)
    assert set(exc.value.message_dict) == keys
    assert row_counts() == before


def test_it_rejects_a_name_made_of_spaces(coordinator):
    patient, referral = PatientDataFactory(first_name="   ", last_name="\t"), ReferralDataFactory()
    before = row_counts()
    with pytest.raises(ValidationError) as exc:
        services.referral_receive(by=coordinator, patient=patient, referral=referral, channel=IntakeChannel.API)
    assert set(exc.value.message_dict) == {"patient.first_name", "patient.last_name"}
    assert row_counts() == before


def test_it_names_every_field_at_fault_at_once(coordinator):
    before = row_counts()
    with pytest.raises(ValidationError) as exc:
        services.referral_receive(
            by=coordinator,
            patient=PatientDataFactory(first_name="", date_of_birth=datetime.date(2999, 1, 1), phone="12"),
            referral=ReferralDataFactory(referrer=None, phq9_total=None, phq9_items=[0, 1, 2]),
            diagnoses=[DiagnosisDataFactory(code="depression")],
            trials=[TrialDataFactory(weeks_at_dose=-1), TrialDataFactory(daily_dose_mg=Decimal("0"))],
            channel=IntakeChannel.PHONE,
        )
    assert set(exc.value.message_dict) == {
        "patient.first_name",
        "patient.date_of_birth",
        "patient.phone",
        "referral.referrer",
        "referral.phq9_items",
        "diagnoses.0.code",
        "trials.0.weeks_at_dose",
        "trials.1.daily_dose_mg",
    }
    assert row_counts() == before


def test_a_failure_half_way_through_the_write_leaves_nothing_behind(coordinator, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(services, "audit_log", broken)
    referral = ReferralDataFactory()  # the referrer exists before intake starts
    before = row_counts()
    with pytest.raises(RuntimeError):
        receive_referral(by=coordinator, referral=referral)
    assert row_counts() == before


# ---------------------------------------------------------------- referral_transition: reasons


def test_a_move_records_who_when_and_from_where_to_where(coordinator):
    referral = receive_referral(by=coordinator)
    at = timezone.now().replace(microsecond=0)
    services.referral_transition(referral=referral, to=Status.ACKNOWLEDGED, by=coordinator, at=at)

    referral.refresh_from_db()
    assert (referral.status, referral.version) == (Status.ACKNOWLEDGED, 2)
    event = referral.events.get(kind=EventKind.TRANSITION)
    assert (event.from_status, event.to_status, event.actor, event.at) == (
        Status.RECEIVED,
        Status.ACKNOWLEDGED,
        coordinator,
        at,
    )
    assert referral.next_action_due_at == at + lifecycle.NEXT_ACTION[Status.ACKNOWLEDGED].due_in
    audit = AuditEvent.objects.get(action="transition")
    assert audit.detail == {"from": "received", "to": "acknowledged"}
    assert audit.patient_id == referral.patient_id


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_it_refuses_to_close_a_referral_without_a_reason(reason, coordinator):
    referral = receive_referral(by=coordinator)
    before = state(referral)
    with pytest.raises(ValidationError) as exc:
        services.referral_transition(referral=referral, to=Status.CANCELLED, by=coordinator, reason=reason)
    assert set(exc.value.message_dict) == {"reason"}
    assert state(referral) == before


def test_it_keeps_the_closing_reason_on_the_referral_and_the_timeline(coordinator):
    referral = receive_referral(by=coordinator)
    services.referral_transition(
        referral=referral, to=Status.CANCELLED, by=coordinator, reason="  Patient chose another clinic.  "
    )
    referral.refresh_from_db()
    assert (referral.status, referral.is_open) == (Status.CANCELLED, False)
    assert referral.closed_reason == "Patient chose another clinic."
    assert referral.closed_at is not None
    assert (referral.next_action, referral.next_action_owner, referral.next_action_due_at) == ("", None, None)
    assert referral.events.get(kind=EventKind.TRANSITION).reason == "Patient chose another clinic."


def test_a_no_show_needs_a_reason_but_stays_open_and_can_be_rescheduled(coordinator):
    referral = ReferralFactory(status=Status.EVAL_SCHEDULED)
    services.referral_transition(referral=referral, to=Status.NO_SHOW, by=coordinator, reason="Did not come.")
    referral.refresh_from_db()
    assert referral.is_open and referral.closed_reason == "Did not come." and referral.closed_at
    evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
    services.referral_transition(referral=referral, to=Status.EVAL_SCHEDULED, by=coordinator)
    referral.refresh_from_db()
    assert (referral.status, referral.closed_reason, referral.closed_at) == (Status.EVAL_SCHEDULED, "", None)


def test_a_reason_on_an_ordinary_move_goes_on_the_timeline_only(coordinator):
    referral = receive_referral(by=coordinator)
    services.referral_transition(
        referral=referral, to=Status.INFO_REQUESTED, by=coordinator, reason="Need the trial doses."
    )
    referral.refresh_from_db()
    assert referral.closed_reason == ""
    assert referral.events.get(kind=EventKind.TRANSITION).reason == "Need the trial doses."


# ---------------------------------------------------------------- referral_transition: who and what


def test_a_coordinator_cannot_accept_a_patient_for_treatment(coordinator):
    referral = ReferralFactory(status=Status.EVALUATED)
    before = state(referral)
    with pytest.raises(services.TransitionNotAllowed) as exc:
        services.referral_transition(referral=referral, to=Status.ACCEPTED, by=coordinator)
    assert "not a step your role can take" in exc.value.message_dict["to"][0]
    assert state(referral) == before


@pytest.mark.parametrize("role", ["clinician", "director"])
def test_a_clinical_role_can_accept_a_patient_for_treatment(role, request):
    referral = ReferralFactory(status=Status.EVALUATED)
    services.referral_transition(referral=referral, to=Status.ACCEPTED, by=request.getfixturevalue(role))
    assert Referral.objects.get(pk=referral.pk).status == Status.ACCEPTED


@pytest.mark.parametrize("role", ["alice", "practice_admin", "liaison", "admin"])
@pytest.mark.parametrize("status", sorted(lifecycle.OPEN))
def test_outsiders_and_liaisons_cannot_make_any_move(role, status, request):
    user = request.getfixturevalue(role)
    referral = ReferralFactory(status=status)
    before = state(referral)
    for move in lifecycle.moves_from(status):
        with pytest.raises(services.TransitionNotAllowed):
            services.referral_transition(referral=referral, to=move.to, by=user, reason="Because.")
    assert state(referral) == before


@pytest.mark.parametrize("to", [Status.MAINTENANCE, Status.RECEIVED, "discharged", ""])
def test_it_refuses_a_move_that_is_not_in_the_table(to, director):
    referral = receive_referral(by=director)
    before = state(referral)
    with pytest.raises(services.TransitionNotAllowed) as exc:
        services.referral_transition(referral=referral, to=to, by=director, reason="Because.")
    assert "cannot move to" in exc.value.message_dict["to"][0]
    assert state(referral) == before


def test_nothing_moves_out_of_a_closed_referral(director):
    referral = ReferralFactory(status=Status.RETURNED)
    for to in Status:
        with pytest.raises(services.TransitionNotAllowed):
            services.referral_transition(referral=referral, to=to, by=director, reason="Because.")


def test_a_stale_version_is_a_conflict_and_changes_nothing(coordinator):
    referral = receive_referral(by=coordinator)
    services.referral_transition(
        referral=Referral.objects.get(pk=referral.pk), to=Status.INFO_REQUESTED, by=coordinator
    )
    fresh = Referral.objects.get(pk=referral.pk)
    before = state(referral)
    with pytest.raises(services.TransitionConflict) as exc:
        services.referral_transition(referral=fresh, to=Status.EVAL_SCHEDULED, by=coordinator, expected_version=1)
    assert str(exc.value) == (
        "Someone else changed this referral while you were looking at it (it is now “Information requested”). "
        "Nothing was changed; reload the page to see the latest."
    )
    assert exc.value.current_status == Status.INFO_REQUESTED
    assert state(referral) == before


def test_a_stale_copy_is_a_conflict_and_changes_nothing(coordinator):
    referral = receive_referral(by=coordinator)
    old_copy = Referral.objects.get(pk=referral.pk)
    evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
    services.referral_transition(referral=referral, to=Status.INFO_REQUESTED, by=coordinator)
    before = state(referral)
    with pytest.raises(services.TransitionConflict):
        services.referral_transition(referral=old_copy, to=Status.EVAL_SCHEDULED, by=coordinator)
    assert state(referral) == before


def test_a_stale_version_is_a_conflict_even_when_the_move_no_longer_fits(coordinator):
    """Two coordinators look at a new referral; one acknowledges it; the other then clicks
    "Acknowledge" too. That is a conflict (409, "someone else changed it"), not a bad request."""
    referral = receive_referral(by=coordinator)
    services.referral_transition(referral=referral, to=Status.ACKNOWLEDGED, by=coordinator)
    fresh = Referral.objects.get(pk=referral.pk)  # what the view loads when the second click arrives
    with pytest.raises(services.TransitionConflict):
        services.referral_transition(referral=fresh, to=Status.ACKNOWLEDGED, by=coordinator, expected_version=1)


def test_a_failure_half_way_through_a_move_leaves_nothing_behind(coordinator, monkeypatch):
    referral = receive_referral(by=coordinator)
    before = state(referral)

    def broken(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(services, "audit_log", broken)
    with pytest.raises(RuntimeError):
        services.referral_transition(referral=referral, to=Status.ACKNOWLEDGED, by=coordinator)
    assert state(referral) == before


# ---------------------------------------------------------------- referral_assign


def test_assigning_makes_the_coordinator_own_a_coordinators_next_action(coordinator, clinician, admin):
    referral = receive_referral(by=coordinator)
    services.referral_assign(referral=referral, by=admin, coordinator=coordinator, clinician=clinician)
    referral.refresh_from_db()
    assert (referral.assigned_coordinator, referral.assigned_clinician) == (coordinator, clinician)
    assert referral.next_action_owner == coordinator
    event = referral.events.get(kind=EventKind.ASSIGNED)
    assert event.actor == admin
    assert event.detail == {"coordinator": "Cora Coordinator", "clinician": "Cliff Clinician"}
    assert AuditEvent.objects.filter(action="assign", object_id=str(referral.pk), actor=admin).count() == 1


def test_assigning_makes_the_clinician_own_a_clinicians_next_action(coordinator, clinician, admin):
    referral = ReferralFactory(status=Status.EVAL_SCHEDULED)
    services.referral_assign(referral=referral, by=admin, coordinator=coordinator, clinician=clinician)
    assert Referral.objects.get(pk=referral.pk).next_action_owner == clinician


def test_the_owner_follows_the_next_action_through_moves(coordinator, clinician, director):
    referral = receive_referral(by=coordinator)
    services.referral_assign(referral=referral, by=director, coordinator=coordinator, clinician=clinician)
    referral = Referral.objects.get(pk=referral.pk)
    # "Evaluation scheduled" needs a booked slot (decision 0044); this one's time has passed, so a no-show can be
    evaluation_slot(referral, starts_at=timezone.now() - timedelta(hours=2))
    services.referral_transition(referral=referral, to=Status.EVAL_SCHEDULED, by=coordinator)
    assert Referral.objects.get(pk=referral.pk).next_action_owner == clinician
    services.referral_transition(referral=referral, to=Status.NO_SHOW, by=coordinator, reason="Missed it.")
    assert Referral.objects.get(pk=referral.pk).next_action_owner == coordinator
    services.referral_transition(referral=referral, to=Status.LOST_TO_FOLLOW_UP, by=coordinator, reason="Gone.")
    assert Referral.objects.get(pk=referral.pk).next_action_owner is None


def test_unassigning_leaves_the_next_action_without_an_owner(coordinator, clinician, admin):
    referral = receive_referral(by=coordinator)
    services.referral_assign(referral=referral, by=admin, coordinator=coordinator, clinician=clinician)
    services.referral_assign(referral=referral, by=admin)
    referral.refresh_from_db()
    assert (referral.assigned_coordinator, referral.assigned_clinician, referral.next_action_owner) == (
        None,
        None,
        None,
    )


def test_assigning_a_closed_referral_gives_its_next_action_no_owner(coordinator, clinician, admin):
    referral = ReferralFactory(status=Status.CANCELLED)
    services.referral_assign(referral=referral, by=admin, coordinator=coordinator, clinician=clinician)
    assert Referral.objects.get(pk=referral.pk).next_action_owner is None


def test_it_refuses_people_in_the_wrong_role_naming_both_at_once(coordinator, clinician, liaison, admin):
    referral = receive_referral(by=coordinator)
    before = state(referral)
    with pytest.raises(ValidationError) as exc:
        services.referral_assign(referral=referral, by=admin, coordinator=clinician, clinician=liaison)
    assert set(exc.value.message_dict) == {"coordinator", "clinician"}
    assert state(referral) == before


def test_assigning_does_not_count_as_a_move(coordinator, clinician, admin):
    referral = receive_referral(by=coordinator)
    services.referral_assign(referral=referral, by=admin, coordinator=coordinator, clinician=clinician)
    referral.refresh_from_db()
    assert (referral.status, referral.version) == (Status.RECEIVED, 1)


def test_a_move_from_a_copy_loaded_before_an_assignment_keeps_the_new_owner(coordinator, clinician, admin):
    referral = receive_referral(by=coordinator)
    loaded_earlier = Referral.objects.get(pk=referral.pk)
    services.referral_assign(referral=referral, by=admin, coordinator=coordinator, clinician=clinician)
    evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
    try:
        services.referral_transition(referral=loaded_earlier, to=Status.EVAL_SCHEDULED, by=coordinator)
    except services.TransitionConflict:
        return  # also right: the copy was stale
    assert Referral.objects.get(pk=referral.pk).next_action_owner == clinician


# ---------------------------------------------------------------- notes


def test_a_note_goes_on_the_timeline_and_in_the_audit_trail(coordinator):
    referral = receive_referral(by=coordinator)
    event = services.referral_add_note(referral=referral, by=coordinator, text="  Called the patient; voicemail.  ")
    assert (event.kind, event.reason, event.actor) == (EventKind.NOTE, "Called the patient; voicemail.", coordinator)
    audit = AuditEvent.objects.get(action="note")
    assert (audit.object_id, audit.patient_id) == (str(referral.pk), referral.patient_id)
    referral.refresh_from_db()
    assert (referral.status, referral.version) == (Status.RECEIVED, 1)


@pytest.mark.parametrize("text", ["", "   ", "x" * 5001])
def test_it_refuses_an_empty_or_overlong_note(text, coordinator):
    referral = receive_referral(by=coordinator)
    before = state(referral)
    with pytest.raises(ValidationError) as exc:
        services.referral_add_note(referral=referral, by=coordinator, text=text)
    assert set(exc.value.message_dict) == {"text"}
    assert state(referral) == before


def test_a_note_of_exactly_five_thousand_characters_is_kept(coordinator):
    referral = receive_referral(by=coordinator)
    assert len(services.referral_add_note(referral=referral, by=coordinator, text="x" * 5000).reason) == 5000


def test_patients_diagnoses_and_trials_are_real_rows(coordinator):
    """A guard for row_counts(): the tables it watches include the ones intake writes."""
    labels = set(row_counts())
    for model in (Patient, Referral, Diagnosis, MedicationTrial, ReferralEvent, AuditEvent):
        assert model._meta.label in labels
