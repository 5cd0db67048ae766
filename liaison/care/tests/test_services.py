"""Sessions, scores and safety alerts through the services: what is written, what is refused (nothing written)."""

import datetime
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from liaison.care import services
from liaison.care.models import Assessment, CareSettings, SafetyAlert, Session
from liaison.care.queries import care_panel, open_alerts
from liaison.care.scoring import ScoreInput
from liaison.care.tests.conftest import gad7, phq9, row_counts
from liaison.core.models import AuditEvent
from liaison.referrals.choices import Status
from liaison.referrals.models import Referral

pytestmark = pytest.mark.django_db
AT = datetime.datetime(2025, 6, 1, 12, tzinfo=datetime.UTC)


def test_a_clinician_records_an_evaluation_and_six_sessions_and_sees_a_response(accepted, record, clinician):
    accepted.status = Status.EVALUATED
    accepted.save()
    record(accepted, "evaluation", date(2025, 2, 3), phq9=phq9(20), gad7=gad7(15))
    Referral.objects.filter(pk=accepted.pk).update(status=Status.ACCEPTED)
    accepted.refresh_from_db()
    totals = [18, 16, 14, 12, 10, 9]
    for n, total in enumerate(totals, start=1):
        session = record(accepted, "acute", date(2025, 2, 10 + 2 * n), phq9=phq9(total), gad7=gad7(10))
        assert (session.number, session.planned) == (n, 6)
    accepted.refresh_from_db()
    assert accepted.status == Status.ACUTE
    panel = care_panel(user=clinician, referral=accepted)
    assert panel.acute_finished and panel.last_acute.number == 6
    assert panel.outcome.baseline.total == 20 and panel.outcome.current.total == 9
    assert panel.outcome.response == "response" and panel.outcome.remission is False


def test_the_first_acute_session_moves_an_accepted_referral_into_the_acute_series(accepted, record):
    record(accepted, "acute", date(2025, 2, 10))
    accepted.refresh_from_db()
    assert accepted.status == Status.ACUTE and accepted.events.filter(to_status=Status.ACUTE).count() == 1
    record(accepted, "acute", date(2025, 2, 12))
    assert accepted.events.filter(to_status=Status.ACUTE).count() == 1


def test_the_planned_count_carries_over_and_can_change(accepted, record):
    record(accepted, "acute", date(2025, 2, 10), planned=4)
    second = record(accepted, "acute", date(2025, 2, 12))
    assert second.planned == 4
    third = record(accepted, "acute", date(2025, 2, 14), planned=8)
    assert (third.number, third.planned) == (3, 8)


def test_the_first_maintenance_session_starts_maintenance(make_referral, record):
    referral = make_referral(Status.ACUTE_COMPLETE)
    record(referral, "maintenance", date(2025, 4, 1), route="intranasal")
    referral.refresh_from_db()
    assert referral.status == Status.MAINTENANCE


def test_a_session_dated_before_the_referral_is_refused_and_nothing_is_written(accepted, record):
    before = row_counts()
    with pytest.raises(ValidationError) as exc:
        record(accepted, "acute", date(2025, 1, 5), phq9=phq9(20))
    assert "before the referral was received" in exc.value.message_dict["held_on"][0]
    assert row_counts() == before
    accepted.refresh_from_db()
    assert accepted.status == Status.ACCEPTED


def test_every_bad_field_is_named_at_once_and_nothing_is_written(accepted, record):
    before = row_counts()
    with pytest.raises(ValidationError) as exc:
        record(
            accepted,
            "acute",
            date(2025, 7, 1),
            route="",
            bp_before_systolic=140,
            bp_after_systolic=90,
            bp_after_diastolic=120,
            adverse_effects=("hiccups",),
            dose=None,
            dose_unit="mg",
            phq9=ScoreInput(items=[0, 0, 5, 0, 0, 0, 0, 0, 0]),
            gad7=ScoreInput(items=[1] * 7, total=3),
        )
    assert set(exc.value.message_dict) == {
        "held_on",
        "route",
        "bp_before_diastolic",
        "bp_after_diastolic",
        "adverse_effects",
        "dose",
        "phq9_3",
        "gad7_total",
    }
    assert row_counts() == before


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (Status.RECEIVED, "acute"),
        (Status.EVALUATED, "acute"),
        (Status.ACUTE, "maintenance"),
        (Status.MAINTENANCE, "evaluation"),
    ],
)
def test_a_session_of_the_wrong_kind_for_the_status_is_refused(make_referral, record, status, kind):
    referral = make_referral(status)
    with pytest.raises(ValidationError) as exc:
        record(referral, kind, date(2025, 2, 10))
    assert "kind" in exc.value.message_dict and not Session.objects.exists()


def test_a_closed_referral_takes_no_more_sessions(make_referral, record):
    referral = make_referral(Status.RETURNED)
    with pytest.raises(ValidationError, match="closed"):
        record(referral, "maintenance", date(2025, 2, 10))


@pytest.mark.parametrize("who", ["coordinator", "liaison", "alice", "bob"])
def test_only_clinical_roles_record_sessions(accepted, record, who, request):
    with pytest.raises(PermissionDenied):
        record(accepted, "acute", date(2025, 2, 10), by=request.getfixturevalue(who))
    assert not Session.objects.exists()


# ---------------------------------------------------------------- item 9 and blood pressure


@pytest.mark.parametrize(("item9", "alerts"), [(0, 0), (1, 1), (2, 1), (3, 1)])
def test_staff_entry_alerts_on_item9_above_zero_and_never_otherwise(accepted, record, item9, alerts, clinician):
    record(accepted, "acute", date(2025, 2, 10), phq9=phq9(15, item9=item9), gad7=gad7(21))
    assert SafetyAlert.objects.count() == alerts
    assert len(open_alerts(user=clinician)) == alerts
    if alerts:
        alert = SafetyAlert.objects.get()
        assert alert.kind == "item9" and f"answered {item9} of 3" in alert.summary
        assert AuditEvent.objects.filter(action="alert_raised", object_id=str(alert.pk)).exists()


def test_a_high_total_without_item9_raises_no_alert(accepted, record):
    record(accepted, "acute", date(2025, 2, 10), phq9=phq9(27 - 3, item9=0))
    assert not SafetyAlert.objects.exists()


@pytest.mark.parametrize(
    ("item9", "alerts"), [(None, 0), (0, 0), (1, 1), (3, 1)], ids=["unknown", "zero", "one", "three"]
)
def test_an_imported_total_only_score_alerts_only_when_its_item9_is_above_zero(accepted, clinician, item9, alerts):
    assessment = services.assessment_record(
        referral=accepted,
        by=clinician,
        instrument="phq9",
        score=ScoreInput(total=12, item9=item9),
        taken_on=date(2025, 2, 1),
        source="import",
        at=AT,
    )
    assert assessment.items is None and assessment.total == 12 and assessment.item9 == item9
    assert SafetyAlert.objects.count() == alerts


def test_a_gad7_never_raises_an_item9_alert(accepted, clinician):
    services.assessment_record(
        referral=accepted,
        by=clinician,
        instrument="gad7",
        score=ScoreInput(items=[3] * 7),
        taken_on=date(2025, 2, 1),
        at=AT,
    )
    assert not SafetyAlert.objects.exists()


def test_a_score_dated_before_the_referral_is_refused(accepted, clinician):
    with pytest.raises(ValidationError, match="before the referral"):
        services.assessment_record(
            referral=accepted,
            by=clinician,
            instrument="phq9",
            score=ScoreInput(total=5),
            taken_on=date(2024, 12, 1),
            at=AT,
        )
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("before", "after", "alerts"),
    [((180, 110), (180, 110), 0), ((181, 90), None, 1), ((150, 90), (150, 111), 1), ((120, 80), (130, 85), 0)],
)
def test_blood_pressure_above_the_threshold_alerts(accepted, record, before, after, alerts):
    fields = {"bp_before_systolic": before[0], "bp_before_diastolic": before[1]}
    if after:
        fields |= {"bp_after_systolic": after[0], "bp_after_diastolic": after[1]}
    record(accepted, "acute", date(2025, 2, 10), **fields)
    assert SafetyAlert.objects.filter(kind="blood_pressure").count() == alerts


def test_the_practice_sets_its_own_blood_pressure_threshold(accepted, record):
    CareSettings.objects.create(systolic_alert_above=150, diastolic_alert_above=95)
    record(accepted, "acute", date(2025, 2, 10), bp_before_systolic=155, bp_before_diastolic=90)
    alert = SafetyAlert.objects.get()
    assert "155/90 before" in alert.summary and "(150/95)" in alert.summary


# ---------------------------------------------------------------- acknowledging


def test_an_alert_stays_until_a_clinician_acknowledges_it_with_a_note(accepted, record, clinician, director):
    record(accepted, "acute", date(2025, 2, 10), phq9=phq9(10, item9=1))
    alert = SafetyAlert.objects.get()
    with pytest.raises(ValidationError):
        services.alert_acknowledge(alert=alert, by=clinician, note="  ")
    assert SafetyAlert.objects.get().is_open
    services.alert_acknowledge(alert=alert, by=clinician, note="Called; safety plan reviewed; C-SSRS low risk.")
    assert not SafetyAlert.objects.get().is_open and open_alerts(user=director) == []
    with pytest.raises(ValidationError, match="Someone else acknowledged"):
        services.alert_acknowledge(alert=alert, by=director, note="Me too.")


@pytest.mark.parametrize("who", ["coordinator", "liaison", "alice", "admin"])
def test_only_clinicians_and_the_director_acknowledge(accepted, record, who, request):
    record(accepted, "acute", date(2025, 2, 10), phq9=phq9(10, item9=2))
    with pytest.raises(PermissionDenied):
        services.alert_acknowledge(alert=SafetyAlert.objects.get(), by=request.getfixturevalue(who), note="seen")
    assert SafetyAlert.objects.get().is_open


def test_open_alerts_go_to_the_treating_clinician_or_to_all_when_none_is_assigned(
    make_referral, record, clinician, director, coordinator, liaison, alice
):
    from liaison.accounts.tests.factories import ClinicianFactory

    other = ClinicianFactory(username="otto")
    mine = make_referral(Status.ACCEPTED)
    theirs = make_referral(Status.ACCEPTED, assigned_clinician=other)
    nobodys = make_referral(Status.ACCEPTED, assigned_clinician=None)
    for referral in (mine, theirs, nobodys):
        record(referral, "acute", date(2025, 2, 10), phq9=phq9(10, item9=1))
    assert {a.referral_id for a in open_alerts(user=clinician)} == {mine.pk, nobodys.pk}
    assert {a.referral_id for a in open_alerts(user=other)} == {theirs.pk, nobodys.pk}
    assert len(open_alerts(user=director)) == len(open_alerts(user=coordinator)) == 3
    assert open_alerts(user=liaison) == [] and open_alerts(user=alice) == []
