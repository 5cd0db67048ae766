"""The patient's questionnaire link: signed, expiring, single-use; refused when expired, reused or tampered."""

import datetime

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from liaison.care import services
from liaison.care.models import Assessment, QuestionnaireLink, SafetyAlert
from liaison.care.scoring import ScoreInput
from liaison.care.tests.conftest import items_for, row_counts
from liaison.core.models import AuditEvent
from liaison.referrals.choices import Status

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2025, 3, 3, 15, tzinfo=datetime.UTC)


@pytest.fixture
def token(accepted, coordinator):
    with time_machine.travel(NOW, tick=False):
        return services.questionnaire_link_create(referral=accepted, by=coordinator)[1]


def answers(phq9_total=14, item9=0, gad7_total=9, difficulty=1) -> dict:
    data = {f"phq9_{n}": v for n, v in enumerate(items_for(phq9_total, 9, item9), start=1)}
    data |= {f"gad7_{n}": v for n, v in enumerate(items_for(gad7_total, 7), start=1)}
    data["phq9_difficulty"] = difficulty
    return data


def submit(client, token, data):
    return client.post(reverse("care:questionnaire", args=[token]), data)


def test_only_a_hash_of_the_secret_is_stored(token):
    link = QuestionnaireLink.objects.get()
    assert len(token) == 16 and token not in link.nonce_hash and len(link.nonce_hash) == 64  # a short link
    assert link.expires_at - link.created_at == datetime.timedelta(hours=72)


def test_a_signed_link_made_before_short_links_still_opens(client, token):
    import hashlib

    link = QuestionnaireLink.objects.get()
    QuestionnaireLink.objects.filter(pk=link.pk).update(nonce_hash=hashlib.sha256(b"older-nonce").hexdigest())
    signed = signing.TimestampSigner(salt=services.LINK_SALT).sign_object({"l": link.pk, "n": "older-nonce"})
    with time_machine.travel(NOW + datetime.timedelta(hours=1)):
        assert client.get(reverse("care:questionnaire", args=[signed])).status_code == 200
        assert client.get(reverse("care:questionnaire", args=[token])).status_code == 404


@pytest.mark.parametrize("who", ["liaison", "alice", "bob"])
def test_only_clinic_staff_create_links(accepted, who, request):
    with pytest.raises(PermissionDenied):
        services.questionnaire_link_create(referral=accepted, by=request.getfixturevalue(who))
    assert not QuestionnaireLink.objects.exists()


def test_a_closed_referral_gets_no_link(make_referral, coordinator):
    with pytest.raises(ValidationError):
        services.questionnaire_link_create(referral=make_referral(Status.CANCELLED), by=coordinator)


def test_the_patient_sees_a_first_name_the_crisis_line_and_the_questions(client, token, accepted):
    with time_machine.travel(NOW + datetime.timedelta(hours=1)):
        response = client.get(reverse("care:questionnaire", args=[token]))
    body = response.content.decode()
    assert response.status_code == 200
    assert f"Hello {accepted.patient.first_name}" in body and "988" in body
    assert accepted.patient.last_name not in body and str(accepted.patient.date_of_birth.year) not in body
    assert (
        "better off dead" in body and body.count('type="radio"') == 9 * 5 + 4 + 7 * 5
    )  # each question has "I'm not sure" too
    assert AuditEvent.objects.filter(action="questionnaire_opened", actor=None).exists()


def test_answers_land_on_the_referral_and_the_link_is_used_up(client, token, accepted):
    with time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False):
        response = submit(client, token, answers())
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    phq9, gad7 = Assessment.objects.order_by("instrument").reverse()
    assert (phq9.instrument, phq9.total, phq9.source, phq9.difficulty) == ("phq9", 14, "patient_link", 1)
    assert (gad7.instrument, gad7.total) == ("gad7", 9)
    assert phq9.referral == accepted and phq9.recorded_by is None and phq9.taken_on == datetime.date(2025, 3, 3)
    assert QuestionnaireLink.objects.get().used_at is not None and not SafetyAlert.objects.exists()


@pytest.mark.parametrize(("item9", "alerts"), [(0, 0), (1, 1), (3, 1)])
def test_an_item9_answer_from_the_link_alerts_the_clinician_at_once(client, token, clinician, item9, alerts):
    from liaison.care.queries import open_alerts

    with time_machine.travel(NOW + datetime.timedelta(hours=2)):
        response = submit(client, token, answers(phq9_total=12, item9=item9))
    assert SafetyAlert.objects.count() == alerts and len(open_alerts(user=clinician)) == alerts
    assert ("Your clinician has been told" in response.content.decode()) is bool(alerts)


def test_a_used_link_is_refused_and_writes_nothing(client, token):
    with time_machine.travel(NOW + datetime.timedelta(hours=2)):
        submit(client, token, answers())
        before = row_counts()
        again = submit(client, token, answers(item9=2))
        opened = client.get(reverse("care:questionnaire", args=[token]))
    assert again.status_code == 410 and "already been filled in" in again.content.decode()
    assert opened.status_code == 410
    assert row_counts() == before


def test_an_expired_link_is_refused(client, token):
    with time_machine.travel(NOW + datetime.timedelta(hours=72, seconds=1)):
        response = client.get(reverse("care:questionnaire", args=[token]))
        posted = submit(client, token, answers())
    assert response.status_code == posted.status_code == 410 and "expired" in response.content.decode()
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: signing.TimestampSigner(salt=services.LINK_SALT).sign_object({"l": 1, "n": "guessed"}),
        lambda t: signing.TimestampSigner(salt="another purpose").sign_object({"l": 1, "n": "x"}),
        lambda t: "not-a-token",
    ],
    ids=["tampered", "forged-nonce", "wrong-salt", "garbage"],
)
def test_a_tampered_or_forged_token_is_refused(client, token, mangle):
    bad = mangle(token)
    with time_machine.travel(NOW + datetime.timedelta(hours=1)):
        response = client.get(reverse("care:questionnaire", args=[bad]))
        posted = submit(client, bad, answers())
    assert response.status_code == posted.status_code == 404 and "not valid" in response.content.decode()
    assert not Assessment.objects.exists() and QuestionnaireLink.objects.get().used_at is None


def test_an_answer_outside_the_choices_is_named_and_nothing_is_written(client, token):
    data = answers()
    del data["phq9_9"], data["gad7_2"]
    data["phq9_3"] = 7
    with time_machine.travel(NOW + datetime.timedelta(hours=1)):
        before = row_counts()
        response = submit(client, token, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"phq9_3"}
    assert row_counts() == {**before, "core.AuditEvent": before["core.AuditEvent"] + 1}  # the look is audited
    assert QuestionnaireLink.objects.get().used_at is None


def test_the_service_refuses_an_answer_out_of_range_by_item(token):
    with time_machine.travel(NOW + datetime.timedelta(hours=1)), pytest.raises(ValidationError) as exc:
        services.questionnaire_submit(token=token, phq9=ScoreInput(items=[1] * 8), gad7=ScoreInput(items=[4] * 7))
    assert set(exc.value.message_dict) == {f"gad7_{n}" for n in range(1, 8)}
    assert QuestionnaireLink.objects.get().used_at is None


def test_a_second_submission_racing_the_first_writes_nothing(token):
    """The link is consumed by a conditional update: the loser of a race finds no unused row."""
    with time_machine.travel(NOW + datetime.timedelta(hours=1)):
        link = services.questionnaire_link_check(token=token)
        QuestionnaireLink.objects.filter(pk=link.pk).update(used_at=NOW)  # the other request won just now
        with pytest.raises(services.LinkRefused):
            services.questionnaire_submit(token=token, phq9=ScoreInput(items=[0] * 9), gad7=ScoreInput(items=[0] * 7))
    assert not Assessment.objects.exists()
