"""The care pages and the panel on the referral page: who may use them (outsiders too), what they show,
what they audit, and how many queries the panel adds."""

import datetime
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from liaison.care.models import Assessment, QuestionnaireLink, SafetyAlert, Session
from liaison.care.tests.conftest import gad7, phq9, row_counts
from liaison.core.models import AuditEvent
from liaison.referrals.choices import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def treated(accepted, record):
    record(accepted, "evaluation", date(2025, 2, 3), phq9=phq9(20), gad7=gad7(14))
    for n, total in enumerate([17, 15, 12, 10, 8, 4], start=1):
        record(accepted, "acute", date(2025, 2, 10 + 2 * n), phq9=phq9(total, item9=1 if n == 2 else 0), gad7=gad7(8))
    accepted.refresh_from_db()
    return accepted


def session_post(**extra) -> dict:
    data = {
        "kind": "acute",
        "held_on": "2025-02-10",
        "route": "iv",
        "dose": "0.5",
        "dose_unit": "mg_kg",
        "bp_before_systolic": "128",
        "bp_before_diastolic": "82",
        "adverse_effects": ["nausea"],
    }
    data |= {f"phq9_{n}": v for n, v in enumerate([2, 2, 2, 2, 2, 2, 2, 2, 0], start=1)}
    return data | extra


def test_the_referral_page_shows_the_trajectory_and_remission(client_for, clinician, treated):
    body = client_for(clinician).get(reverse("referrals:detail", args=[treated.pk])).content.decode()
    assert "Treatment and scores" in body and "<svg" in body and "PHQ-9 score" in body and "GAD-7 score" in body
    assert "Moderately severe 15–19" in body
    assert ">Response</span>" in body and ">Remission</span>" in body
    assert "Acute series complete" in body  # the planned last one is recorded: the move is offered
    assert "Open safety alert" in body and "Acknowledge" in body


def test_the_panel_adds_a_fixed_number_of_queries(client_for, clinician, treated, record):
    client = client_for(clinician)
    url = reverse("referrals:detail", args=[treated.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3):
        record(treated, "acute", date(2025, 3, 1 + n), phq9=phq9(4), gad7=gad7(3), planned=9)
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more) == len(few)
    # Sessions (with clinicians), scores and open alerts; no questionnaire link was made, and the referral's own
    # query said so (it asks which of the panel's lists have rows), so the links are not read.
    assert care_tables(few) == ["care_session", "care_assessment", "care_safetyalert"]


def care_tables(captured) -> list[str]:
    """The care tables one request read on its own (not the EXISTS the referral's query asks of them)."""
    tables = [
        m.group(1)
        for q in captured.captured_queries
        for m in [re.match(r'SELECT [^()]*? FROM "(care_\w+)"', q["sql"], re.S)]  # a subquery has brackets before
        if m
    ]
    return tables


def test_a_referral_without_care_reads_no_care_table(client_for, clinician, accepted):
    with CaptureQueriesContext(connection) as captured:
        body = client_for(clinician).get(reverse("referrals:detail", args=[accepted.pk])).content.decode()
    assert care_tables(captured) == []
    assert "No sessions or scores yet." in body and "Open safety alert" not in body


def test_an_alert_or_link_without_sessions_or_scores_is_shown(client_for, clinician, coordinator, accepted):
    """The panel skips a list only when the referral's query found none of it: an alert raised from the referral
    itself, with no session or score, and a link not yet used are read and shown."""
    SafetyAlert.objects.create(
        referral=accepted, kind="referral", summary="Suicide risk reported with the referral.", raised_at=timezone.now()
    )
    client_for(coordinator).post(reverse("care:link_create", args=[accepted.pk]))
    with CaptureQueriesContext(connection) as captured:
        body = client_for(clinician).get(reverse("referrals:detail", args=[accepted.pk])).content.decode()
    assert care_tables(captured) == ["care_safetyalert", "care_questionnairelink"]
    assert "Suicide risk reported with the referral." in body and "Questionnaire links" in body
    assert "No sessions or scores yet." in body


def test_the_panel_is_the_same_with_or_without_the_pages_read(clinician, treated):
    from liaison.care.queries import care_panel
    from liaison.referrals.queries import referral_get

    with CaptureQueriesContext(connection) as own:
        alone = care_panel(user=clinician, referral=treated)  # asks which lists have rows in a query of its own
    with_page = care_panel(user=clinician, referral=referral_get(user=clinician, pk=treated.pk))
    assert own.captured_queries[0]["sql"].startswith("SELECT EXISTS(SELECT")
    for name in ("sessions", "assessments", "alerts", "links"):
        assert [x.pk for x in getattr(alone, name)] == [x.pk for x in getattr(with_page, name)]
    assert alone.sessions and alone.assessments and alone.alerts


def test_a_referrer_gets_no_treatment_panel_on_the_staff_page_or_the_portal(client_for, alice, treated):
    client = client_for(alice)
    assert client.get(reverse("referrals:detail", args=[treated.pk])).status_code == 403
    body = client.get(reverse("intake:portal_detail", args=[treated.pk])).content.decode()
    assert treated.reference in body and "<svg" not in body and ">Response</span>" not in body
    assert "Open safety alert" not in body and "Record a session" not in body and "mg/kg" not in body


@pytest.mark.parametrize("who", ["bob", "liaison", "practice_admin_b"])
def test_outsiders_get_nothing_of_the_panel(client_for, treated, who, request, practice_b):
    from liaison.accounts.tests.factories import ReferrerAdminFactory

    user = ReferrerAdminFactory(practice=practice_b) if who == "practice_admin_b" else request.getfixturevalue(who)
    response = client_for(user).get(reverse("referrals:detail", args=[treated.pk]))
    assert response.status_code in (403, 404) and b"<svg" not in response.content


def test_the_panel_read_is_audited_in_the_referral_pages_row(client_for, clinician, treated):
    url = reverse("referrals:detail", args=[treated.pk])
    client_for(clinician).get(url)
    event = AuditEvent.objects.filter(path=url).get()  # one row for the page (decision 0032), the panel's in it
    assert event.actor == clinician and event.patient_id == treated.patient_id
    assert (event.action, event.object_type, event.object_id) == ("view", "referrals.referral", str(treated.pk))
    alerts = list(treated.safety_alerts.filter(acknowledged_at=None).values_list("pk", flat=True))
    counts = {"sessions": treated.care_sessions.count(), "assessments": treated.assessments.count()}
    assert event.detail["care.panel"] == {"id": str(treated.pk), **counts, "alerts": alerts}


def test_the_panel_read_alone_has_its_own_row(clinician, treated):
    from liaison.care.queries import care_panel

    before = AuditEvent.objects.count()
    care_panel(user=clinician, referral=treated)
    (event,) = AuditEvent.objects.order_by("seq")[before:]
    assert (event.object_type, event.object_id, event.patient_id) == ("care.panel", str(treated.pk), treated.patient_id)


def test_a_clinician_records_a_session_from_the_form(client_for, clinician, accepted):
    client = client_for(clinician)
    url = reverse("care:session_new", args=[accepted.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, session_post())
    assert response.status_code == 302
    session = Session.objects.get()
    assert (session.number, session.planned, session.route, session.adverse_effects) == (1, 6, "iv", ["nausea"])
    assert Assessment.objects.get().total == 16
    accepted.refresh_from_db()
    assert accepted.status == Status.ACUTE


def test_the_session_form_names_every_bad_field_and_writes_nothing(client_for, clinician, accepted):
    client = client_for(clinician)  # signed in first: the sign-in's own rows are not the form's doing
    before = row_counts()
    bad = session_post(held_on="2025-01-01", phq9_3="4", phq9_total="3", bp_before_diastolic="")
    response = client.post(reverse("care:session_new", args=[accepted.pk]), bad)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "phq9_3" in errors and "answer 0, 1, 2 or 3" in errors["phq9_3"][0]
    body = response.content.decode()
    assert "Nothing was saved" in body
    # form-level errors first; then the service's date, blood pressure and total checks on a clean form
    response = client.post(
        reverse("care:session_new", args=[accepted.pk]),
        session_post(held_on="2025-01-01", phq9_total="3", bp_before_diastolic=""),
    )
    errors = response.context["form"].errors
    assert {"held_on", "phq9_total", "bp_before_diastolic"} <= set(errors)
    assert "before the referral was received" in errors["held_on"][0]
    after = row_counts()
    assert {k: v for k, v in after.items() if k not in ("core.AuditEvent", "sessions.Session")} == {
        k: v for k, v in before.items() if k not in ("core.AuditEvent", "sessions.Session")
    }


def test_a_score_taken_outside_a_session_with_only_a_total_and_item9(client_for, coordinator, accepted):
    url = reverse("care:score_new", args=[accepted.pk])
    response = client_for(coordinator).post(url, {"taken_on": "2025-02-01", "phq9_total": "19", "phq9_item9": "2"})
    assert response.status_code == 302
    assert Assessment.objects.get().item9 == 2 and SafetyAlert.objects.get().kind == "item9"


def test_the_score_form_writes_neither_score_when_one_is_bad(client_for, coordinator, accepted):
    url = reverse("care:score_new", args=[accepted.pk])
    data = {"taken_on": "2025-02-01", "phq9_total": "19", "phq9_item9": "0", "gad7_total": "30"}
    response = client_for(coordinator).post(url, data)
    assert response.status_code == 400 and "gad7_total" in response.context["form"].errors
    assert not Assessment.objects.exists()


def test_staff_create_a_link_and_see_it_once(client_for, coordinator, accepted):
    response = client_for(coordinator).post(reverse("care:link_create", args=[accepted.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and "/care/q/" in body and "Copy the link" in body
    assert QuestionnaireLink.objects.count() == 1


def test_a_clinician_acknowledges_from_the_referral_page(client_for, clinician, treated):
    alert = SafetyAlert.objects.get()
    response = client_for(clinician).post(reverse("care:alert_acknowledge", args=[alert.pk]), {"note": "Called."})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == clinician and alert.acknowledgement == "Called."


def test_an_acknowledgement_without_a_note_leaves_the_alert_open(client_for, clinician, treated):
    alert = SafetyAlert.objects.get()
    client_for(clinician).post(reverse("care:alert_acknowledge", args=[alert.pk]), {"note": ""})
    assert SafetyAlert.objects.get().is_open


def test_the_inbox_shows_open_alerts_whatever_the_filters(client_for, clinician, treated):
    client = client_for(clinician)
    for query in ("", "?status=closed", "?status=received&owner=unassigned&overdue=on", "?source_type=eap"):
        body = client.get(reverse("referrals:inbox") + query).content.decode()
        assert "Open safety alert" in body and treated.reference in body, query
    SafetyAlert.objects.update(
        acknowledged_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC),
        acknowledged_by=clinician,
        acknowledgement="done",
    )
    assert "Open safety alert" not in client.get(reverse("referrals:inbox")).content.decode()


def test_the_inbox_shows_no_alerts_to_referrers(client_for, alice, treated):
    assert "Open safety alert" not in client_for(alice).get(reverse("referrals:inbox")).content.decode()


def test_the_outcomes_page_shows_counts_to_a_liaison_and_no_patient(client_for, liaison, treated):
    for by in ("source_type", "referrer"):
        response = client_for(liaison).get(reverse("care:outcomes") + f"?by={by}")
        body = response.content.decode()
        assert response.status_code == 200 and "Fewer than 10" in body
        assert treated.patient.last_name not in body and treated.reference not in body


# ---------------------------------------------------------------- every page tried by an outsider


def _pages(referral, alert_pk):
    return [
        ("get", reverse("care:session_new", args=[referral.pk])),
        ("post", reverse("care:session_new", args=[referral.pk])),
        ("get", reverse("care:score_new", args=[referral.pk])),
        ("post", reverse("care:score_new", args=[referral.pk])),
        ("post", reverse("care:link_create", args=[referral.pk])),
        ("post", reverse("care:alert_acknowledge", args=[alert_pk])),
    ]


@pytest.mark.parametrize("who", ["bob", "alice", "liaison", "practice_admin"])
def test_outsiders_can_use_no_care_page(client_for, treated, who, request):
    client = client_for(request.getfixturevalue(who))
    before = row_counts()
    for method, url in _pages(treated, SafetyAlert.objects.get().pk):
        data = session_post() | {"note": "x", "taken_on": "2025-02-01", "phq9_total": "3"}
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code in (403, 404), (who, url)
    after = row_counts()
    assert after.pop("core.AuditEvent") > before.pop("core.AuditEvent")  # each refusal is on the trail
    assert after == before


def test_anonymous_people_are_sent_to_sign_in(anonymous_client, treated):
    for method, url in [*_pages(treated, SafetyAlert.objects.get().pk), ("get", reverse("care:outcomes"))]:
        response = getattr(anonymous_client, method)(url)
        assert response.status_code == 302 and "/accounts/" in response["Location"], url
    assert SafetyAlert.objects.get().is_open and Session.objects.count() == 7


@pytest.mark.parametrize("who", ["bob", "alice", "practice_admin"])
def test_referrers_cannot_read_aggregates(client_for, treated, who, request):
    assert client_for(request.getfixturevalue(who)).get(reverse("care:outcomes")).status_code == 403


def test_a_coordinator_cannot_record_a_session_but_may_send_a_link(client_for, coordinator, accepted):
    client = client_for(coordinator)
    assert client.get(reverse("care:session_new", args=[accepted.pk])).status_code == 403
    assert client.post(reverse("care:link_create", args=[accepted.pk])).status_code == 200


def test_a_clinician_cannot_reach_a_referral_that_does_not_exist(client_for, clinician):
    assert client_for(clinician).get(reverse("care:session_new", args=[999999])).status_code == 404
