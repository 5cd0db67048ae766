"""PHQ-9 item 9 is never lost or silenced (decision 0018): a total of 25+ implies item 9 of at least 1; item 9
not asked is a gap a clinician resolves; a half-answered questionnaire is kept, incomplete, and alerts on a
positive item 9; and, over every recording path, no stored PHQ-9 with a positive (or implied) item 9 lacks an
open safety alert. The safety letter to the referrer cannot be switched off."""

import contextlib
import datetime
import json

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from liaison.accounts.tokens import api_token_create
from liaison.care import services
from liaison.care.models import Assessment, SafetyAlert
from liaison.care.scoring import NOT_ASKED, ScoreInput, check_score, minimum_item9
from liaison.care.services import SessionInput
from liaison.care.tests.conftest import items_for
from liaison.comms.models import DueCommunication, ProtocolRule
from liaison.comms.seed import seed_protocol
from liaison.comms.services import communications_recompute
from liaison.referrals import screening
from liaison.referrals.models import Referral
from liaison.referrals.tests.factories import staff_form_post
from liaison.referrals.tests.test_intake_forms import form_data

AT = datetime.datetime(2025, 6, 1, 12, tzinfo=datetime.UTC)
TAKEN = datetime.date(2025, 2, 1)


def alerted(assessment: Assessment) -> bool:
    return SafetyAlert.objects.filter(assessment=assessment, acknowledged_at__isnull=True).exists()


# ---------------------------------------------------------------- the rules, at their boundaries

SCORES = {
    # name: (input, alerts, complete)
    "total 24, item 9 not asked": (ScoreInput(total=24, item9=NOT_ASKED), False, True),
    "total 25, item 9 not asked": (ScoreInput(total=25, item9=NOT_ASKED), True, True),
    "total 25, item 9 not given at all": (ScoreInput(total=25), True, True),
    "total 27, item 9 not asked": (ScoreInput(total=27, item9=NOT_ASKED), True, True),
    "total 24, item 9 answered 0": (ScoreInput(total=24, item9=0), False, True),
    "total 25, item 9 answered 1": (ScoreInput(total=25, item9=1), True, True),
    "total 3, item 9 answered 1": (ScoreInput(total=3, item9=1), True, True),
    "all items, item 9 at 0": (ScoreInput(items=items_for(20, 9, 0)), False, True),
    "all items, item 9 at 1": (ScoreInput(items=items_for(20, 9, 1)), True, True),
    "half answered, item 9 at 3": (ScoreInput(items=[1, 2, 1, 2, None, None, None, None, 3]), True, False),
    "half answered, item 9 at 0": (ScoreInput(items=[1, 2, 1, 2, None, None, None, None, 0]), False, False),
    "half answered, item 9 unanswered": (ScoreInput(items=[3, 3, 3, 3, 3, None, None, None, None]), False, False),
    "item 9 alone, answered 2": (ScoreInput(item9=2), True, False),
}


@pytest.mark.parametrize("case", SCORES)
def test_each_score_alerts_exactly_when_item9_is_or_must_be_above_0(case, make_referral, coordinator):
    score, alerts, complete = SCORES[case]
    referral = make_referral()
    saved = services.assessment_record(
        referral=referral, by=coordinator, instrument="phq9", score=score, taken_on=TAKEN, at=AT
    )
    assert alerted(saved) is alerts
    assert saved.is_complete is complete and (saved.total is None) is (not complete)
    if score.items:
        assert saved.items == list(score.items)  # every answered item kept, unanswered ones as None


BAD = {
    "an item outside 0-3": (ScoreInput(items=[0, 0, 4, 0, 0, 0, 0, 0, 0]), "phq9_3"),
    "a total outside 0-27": (ScoreInput(total=28, item9=0), "phq9_total"),
    "a negative total": (ScoreInput(total=-1, item9=0), "phq9_total"),
    "item 9 outside 0-3": (ScoreInput(total=10, item9=4), "phq9_item9"),
    "item 9 given twice, differently": (ScoreInput(items=items_for(9, 9, 1), item9=2), "phq9_item9"),
    "item 9 'not asked' but answered": (ScoreInput(items=items_for(9, 9, 1), item9=NOT_ASKED), "phq9_item9"),
    "item 9 above the total": (ScoreInput(total=1, item9=2), "phq9_item9"),
    "item 9 below what a total of 26 implies": (ScoreInput(total=26, item9=1), "phq9_item9"),
    "a total contradicting the items": (ScoreInput(items=items_for(9), total=10), "phq9_total"),
    "a total with unanswered items": (ScoreInput(items=[1] * 8 + [None], total=8), "phq9_total"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_phq9_input_is_named_and_writes_nothing(case, make_referral, coordinator):
    score, field = BAD[case]
    referral = make_referral()
    with pytest.raises(ValidationError) as exc:
        services.assessment_record(referral=referral, by=coordinator, instrument="phq9", score=score, taken_on=TAKEN)
    assert field in exc.value.message_dict
    assert not Assessment.objects.exists() and not SafetyAlert.objects.exists()


def test_minimum_item9_from_a_total():
    assert [minimum_item9(None, t) for t in (None, 0, 24, 25, 26, 27)] == [0, 0, 0, 1, 2, 3]
    assert minimum_item9(2, 27) == 2  # an answer, when known, is what counts


# ---------------------------------------------------------------- the forms ask item 9 with a total alone


def test_the_score_form_asks_item9_with_a_total_alone(client_for, coordinator, accepted):
    url = reverse("care:score_new", args=[accepted.pk])
    response = client_for(coordinator).post(url, {"taken_on": "2025-02-01", "phq9_total": "12"})
    assert response.status_code == 400 and "phq9_item9" in response.context["form"].errors
    assert not Assessment.objects.exists()
    response = client_for(coordinator).post(
        url, {"taken_on": "2025-02-01", "phq9_total": "12", "phq9_item9": "not_asked"}
    )
    assert response.status_code == 302
    saved = Assessment.objects.get()
    assert saved.item9 is None and saved.item9_gap and not SafetyAlert.objects.exists()


def test_the_session_form_asks_item9_with_a_total_alone(client_for, clinician, accepted):
    url = reverse("care:session_new", args=[accepted.pk])
    data = {"kind": "acute", "held_on": "2025-02-01", "route": "iv", "phq9_total": "26"}
    response = client_for(clinician).post(url, data)
    assert response.status_code == 400 and "phq9_item9" in response.context["form"].errors
    assert client_for(clinician).post(url, {**data, "phq9_item9": "not_asked"}).status_code == 302
    (alert,) = SafetyAlert.objects.all()
    assert "item 9 not asked" in alert.summary and "at least 2 of 3" in alert.summary


# ---------------------------------------------------------------- the gap a clinician resolves


def test_a_clinician_records_a_missing_item9_and_a_positive_answer_alerts(client_for, coordinator, clinician, accepted):
    saved = services.assessment_record(
        referral=accepted,
        by=coordinator,
        instrument="phq9",
        score=ScoreInput(total=14, item9=NOT_ASKED),
        taken_on=TAKEN,
    )
    page = client_for(coordinator).get(reverse("referrals:detail", args=[accepted.pk])).content.decode()
    assert "PHQ-9 item 9 not known" in page and "A treating clinician or the medical director records it" in page
    url = reverse("care:item9_record", args=[accepted.pk])
    assert client_for(coordinator).post(url, {"assessment": saved.pk, "item9": "2"}).status_code == 403
    client_for(clinician).post(url, {"assessment": saved.pk, "item9": "2"})
    saved.refresh_from_db()
    assert saved.item9 == 2 and alerted(saved) and not saved.item9_gap
    with pytest.raises(ValidationError):  # once only
        services.assessment_item9_record(assessment=saved, by=clinician, item9=0)


@pytest.mark.parametrize(("total", "item9"), [(14, 4), (14, -1), (1, 2), (26, 1), (14, "2")])
def test_a_missing_item9_that_cannot_be_is_refused(total, item9, coordinator, clinician, accepted):
    saved = services.assessment_record(
        referral=accepted,
        by=coordinator,
        instrument="phq9",
        score=ScoreInput(total=total, item9=NOT_ASKED),
        taken_on=TAKEN,
    )
    with pytest.raises(ValidationError) as exc:
        services.assessment_item9_record(assessment=saved, by=clinician, item9=item9)
    assert list(exc.value.message_dict) == ["item9"]
    saved.refresh_from_db()
    assert saved.item9 is None


def test_only_a_clinician_or_the_director_records_a_missing_item9(coordinator, accepted):
    saved = services.assessment_record(
        referral=accepted, by=coordinator, instrument="phq9", score=ScoreInput(total=9, item9=NOT_ASKED), taken_on=TAKEN
    )
    with pytest.raises(PermissionDenied):
        services.assessment_item9_record(assessment=saved, by=coordinator, item9=1)


def test_the_referrals_own_phq9_gap_is_resolved_on_its_timeline(make_referral, clinician):
    referral = make_referral(phq9_total=18, phq9_item9=None)
    assert referral.phq9_item9_gap
    services.referral_item9_record(referral=referral, by=clinician, item9=1)
    referral.refresh_from_db()
    assert referral.phq9_item9 == 1 and not referral.phq9_item9_gap
    (alert,) = SafetyAlert.objects.filter(referral=referral)
    assert alert.kind == "referral" and referral.events.filter(kind="phq9_item9").exists()


# ---------------------------------------------------------------- the patient's half-answered questionnaire


@pytest.mark.django_db
def test_a_half_answered_questionnaire_with_item9_at_3_alerts(coordinator, accepted):
    with time_machine.travel(AT):
        _, token = services.questionnaire_link_create(referral=accepted, by=coordinator)
        data = {"phq9_1": "2", "phq9_2": "not_sure", "phq9_4": "1", "phq9_9": "3", "gad7_1": "1"}
        response = Client().post(reverse("care:questionnaire", args=[token]), data)
    assert response.status_code == 200
    phq9 = Assessment.objects.get(instrument="phq9")
    assert phq9.items == [2, None, None, 1, None, None, None, None, 3] and phq9.total is None and alerted(phq9)
    gad7 = Assessment.objects.get(instrument="gad7")
    assert gad7.total is None and gad7.items == [1, None, None, None, None, None, None]
    assert "incomplete questionnaire, 3 of 9 answered" in SafetyAlert.objects.get().summary


# ---------------------------------------------------------------- the property, over every recording path

ANSWER = st.one_of(st.none(), st.integers(0, 3))
PHQ9 = st.fixed_dictionaries(
    {
        "items": st.one_of(st.none(), st.lists(ANSWER, min_size=9, max_size=9)),
        "total": st.one_of(st.none(), st.integers(0, 27)),
        "item9": st.one_of(st.none(), st.integers(0, 3), st.just(NOT_ASKED)),
    }
)
IMPLIED = {"items": None, "total": 25, "item9": NOT_ASKED}
HALF_ANSWERED = {"items": [1, 2, None, None, 0, None, None, None, 3], "total": None, "item9": None}
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def _stored_care_phq9s_are_alerted() -> None:
    for a in Assessment.objects.filter(instrument="phq9"):
        if minimum_item9(a.item9, a.total) > 0:
            assert alerted(a), (a.items, a.total, a.item9)


def _stored_referral_phq9s_are_alerted() -> None:
    for r in Referral.objects.all():
        if screening.item9_floor(r) > 0:
            assert SafetyAlert.objects.filter(referral=r, acknowledged_at__isnull=True).exists(), (
                r.phq9_items,
                r.phq9_total,
                r.phq9_item9,
            )


def _try(call) -> None:
    with contextlib.suppress(ValidationError):  # refused input writes nothing; the property still holds
        call()


@pytest.mark.parametrize("path", ["score", "session"])
def test_no_care_phq9_with_item9_above_0_is_stored_without_an_open_alert(path, make_referral, clinician):
    @PROPERTY
    @given(phq9=PHQ9)
    @example(phq9=IMPLIED)
    @example(phq9=HALF_ANSWERED)
    def run(phq9):
        referral = make_referral()
        score = ScoreInput(**phq9)
        if path == "score":
            _try(
                lambda: services.assessment_record(
                    referral=referral, by=clinician, instrument="phq9", score=score, taken_on=TAKEN, at=AT
                )
            )
        else:
            data = SessionInput(kind="acute", held_on=TAKEN, route="iv")
            _try(lambda: services.session_record(referral=referral, by=clinician, data=data, phq9=score, at=AT))
        _stored_care_phq9s_are_alerted()

    run()
    assert SafetyAlert.objects.filter(assessment__total=25, assessment__item9__isnull=True).exists()  # not vacuous


def test_no_patient_questionnaire_with_item9_above_0_is_stored_without_an_open_alert(make_referral, coordinator):
    @PROPERTY
    @given(items=st.lists(st.one_of(st.just("not_sure"), st.just(""), st.sampled_from("0123")), min_size=9, max_size=9))
    @example(items=["1", "", "not_sure", "2", "", "", "", "", "3"])
    def run(items):
        referral = make_referral()
        with time_machine.travel(AT):
            _, token = services.questionnaire_link_create(referral=referral, by=coordinator)
            data = {f"phq9_{n}": v for n, v in enumerate(items, start=1) if v != ""}
            Client().post(reverse("care:questionnaire", args=[token]), data)
        _stored_care_phq9s_are_alerted()

    run()


def _as_form(phq9: dict, prefix: str) -> dict:
    data = {f"{prefix}phq9_total": "" if phq9["total"] is None else str(phq9["total"])}
    data[f"{prefix}phq9_item9"] = "" if phq9["item9"] is None else str(phq9["item9"])
    for n, v in enumerate(phq9["items"] or [None] * 9, start=1):
        data[f"{prefix}phq9_item_{n}"] = "" if v is None else str(v)
    return data


@pytest.mark.parametrize("path", ["public form", "staff form", "API"])
def test_no_referral_phq9_with_item9_above_0_is_stored_without_an_open_alert(
    path, client_for, coordinator, alice, alice_referrer
):
    token = api_token_create(user=alice, name="Property EHR")[1]
    staff = client_for(coordinator)

    @PROPERTY
    @given(phq9=PHQ9)
    @example(phq9=IMPLIED)
    @example(phq9=HALF_ANSWERED)
    def run(phq9):
        cache.clear()  # the public form's rate limit
        if path == "public form":
            Client().post(reverse("intake:refer"), form_data(**_as_form(phq9, "referral-")))
        elif path == "staff form":
            staff.post(
                reverse("referrals:new"), staff_form_post(referrer=alice_referrer, **_as_form(phq9, "referral-"))
            )
        else:
            body = {
                "patient": {"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1982-06-01"},
                **{f"phq9_{k}": v for k, v in phq9.items() if v is not None},
            }
            Client(headers={"Authorization": f"Bearer {token}"}).post(
                "/api/v1/referrals", json.dumps(body), content_type="application/json"
            )
        _stored_referral_phq9s_are_alerted()

    run()
    assert Referral.objects.filter(phq9_total=25, phq9_item9__isnull=True).exists()  # not vacuous


def test_the_check_and_the_alert_agree_on_every_input():
    @settings(max_examples=300, deadline=None)
    @given(phq9=PHQ9)
    def run(phq9):
        clean, errors = check_score("phq9", ScoreInput(**phq9))
        if clean is not None:
            implied = phq9["total"] is not None and phq9["total"] >= 25
            positive = isinstance(phq9["item9"], int) and phq9["item9"] > 0
            positive |= bool(phq9["items"]) and (phq9["items"][8] or 0) > 0
            assert (clean.item9_floor > 0) is (implied or positive)

    run()


# ---------------------------------------------------------------- the safety letter cannot be switched off


@pytest.fixture
def protocol(db):
    seed_protocol()


def _safety_letters(referral) -> int:
    return DueCommunication.objects.filter(referral=referral, letter_type="safety_alert").count()


def test_no_data_change_switches_the_safety_letter_off(protocol, make_referral, coordinator):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProtocolRule.objects.filter(trigger="safety").update(active=False)
    ProtocolRule.objects.filter(trigger="safety").delete()
    referral = make_referral()
    services.assessment_record(
        referral=referral,
        by=coordinator,
        instrument="phq9",
        score=ScoreInput(total=26, item9=NOT_ASKED),
        taken_on=TAKEN,
    )
    communications_recompute(referral=referral)
    assert _safety_letters(referral) == 1
    assert ProtocolRule.objects.filter(trigger="safety", active=True).count() == 3  # one per shared-care model


def test_the_admin_cannot_switch_the_safety_letter_off(protocol, client_for, admin):
    client = client_for(admin)
    rule = ProtocolRule.objects.filter(trigger="safety").first()
    page = client.get(reverse("admin:comms_protocolrule_change", args=[rule.pk])).content.decode()
    assert 'name="active"' not in page
    rows = list(ProtocolRule.objects.order_by("shared_care_model", "id"))
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": str(len(rows)), "_save": "Save"}
    for i, r in enumerate(rows):  # every "active" box unticked
        data |= {
            f"form-{i}-id": str(r.pk),
            f"form-{i}-deadline_hours": str(r.deadline_hours),
            f"form-{i}-every_n_sessions": r.every_n_sessions or "",
        }
    client.post(reverse("admin:comms_protocolrule_changelist"), data)
    assert ProtocolRule.objects.filter(trigger="safety", active=True).count() == 3
    delete = {"action": "delete_selected", "_selected_action": [r.pk for r in rows], "post": "yes"}
    client.post(reverse("admin:comms_protocolrule_changelist"), delete)
    assert ProtocolRule.objects.filter(trigger="safety").count() == 3
    refused = client.post(reverse("admin:comms_protocolrule_delete", args=[rule.pk]), {"post": "yes"})
    assert refused.status_code == 403
