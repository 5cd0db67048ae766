"""The pages: the coordinator's work queue, a letter, the on-time figures, the referral's 'owed' card;
each tried by the roles that may and by outsiders."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from liaison.comms import services, worker
from liaison.comms.models import DueCommunication
from liaison.comms.tests.helpers import keys, referral_for


@pytest.fixture
def cast(protocol, clinic, coordinator, clinician, director):
    director.save()
    coordinator.lead = director
    coordinator.save()
    referral = referral_for(coordinator=coordinator, clinician=clinician, patient={"first_name": "<b>Bold</b>"})
    return referral, keys(referral)["ack"]


def test_morning_queue_shows_overdue_and_escalation(cast, client_for, coordinator, director):
    referral, ack = cast
    with time_machine.travel(timezone.now() + timedelta(hours=50)):
        assert services.communications_sweep()["escalated"] == 2  # the acknowledgment and the thanks
        page = client_for(coordinator).get("/comms/")
        lead_page = client_for(director).get("/comms/")
    body = page.content.decode()
    assert page.status_code == 200 and "Overdue" in body and "Acknowledgment" in body
    assert "&lt;b&gt;Bold&lt;/b&gt;" in body and "<b>Bold</b>" not in body
    assert "escalated to" in body and page.context["counts"]["escalated"] == 2
    assert "Escalated to you" in lead_page.content.decode()
    assert DueCommunication.objects.filter(escalated_to=director).count() == 2


def test_one_click_from_the_queue_to_the_drafted_letter(cast, client_for, coordinator):
    referral, ack = cast
    client = client_for(coordinator)
    response = client.post(f"/comms/due/{ack.pk}/letter/")
    letter = DueCommunication.objects.get(pk=ack.pk).letter
    assert response.status_code == 302 and response["Location"] == f"/comms/letters/{letter.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"Sign and send" in page.content
    assert client.get(f"/comms/letters/{letter.pk}/preview/").status_code == 200
    assert client.get(f"/comms/letters/{letter.pk}/pdf/").content.startswith(b"%PDF")
    response = client.post(f"/comms/letters/{letter.pk}/approve/")
    assert response.status_code == 302
    assert b"Waiting to send" in client.get(f"/comms/letters/{letter.pk}/").content


def test_referral_page_shows_what_is_owed_next(cast, client_for, coordinator, alice, bob):
    referral, _ = cast
    page = client_for(coordinator).get(f"/referrals/{referral.pk}/")
    assert f'hx-get="/comms/referrals/{referral.pk}/owed/"'.encode() in page.content
    card = client_for(coordinator).get(f"/comms/referrals/{referral.pk}/owed/", HTTP_HX_REQUEST="true")
    assert b"Owed to the referrer" in card.content and b"Acknowledgment" in card.content
    assert client_for(bob).get(f"/comms/referrals/{referral.pk}/owed/").status_code == 403  # a staff card


def test_sla_page(cast, client_for, coordinator, director, smtp_inbox):
    referral, ack = cast
    letter = services.letter_draft(due=ack, by=coordinator)
    services.letter_approve(letter=letter, by=coordinator)
    worker.run_once()
    page = client_for(director).get("/comms/sla/")
    assert page.status_code == 200
    practice = page.context["practice"]
    assert practice.on_time == 1 and practice.median_ack_hours is not None
    assert client_for(director).get("/comms/sla/?days=nonsense").status_code == 200


@pytest.mark.parametrize("who", ["alice", "bob", "liaison", "anonymous"])
def test_outsiders_get_nothing(cast, client_for, who, request):
    referral, ack = cast
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_for(user)
    letter = services.letter_draft(due=ack, by=referral.assigned_coordinator)
    for url in ("/comms/", "/comms/sla/", f"/comms/letters/{letter.pk}/", f"/comms/letters/{letter.pk}/pdf/"):
        assert client.get(url).status_code in (302, 403, 404), url
    assert client.post(f"/comms/due/{ack.pk}/letter/").status_code in (302, 403, 404)
    assert client.post(f"/comms/letters/{letter.pk}/approve/").status_code in (302, 403, 404)
    assert not letter.__class__.objects.get(pk=letter.pk).is_frozen


def test_clinician_cannot_see_sla_but_sees_queue(cast, client_for, clinician):
    assert client_for(clinician).get("/comms/sla/").status_code == 403
    assert client_for(clinician).get("/comms/").status_code == 200


def test_builtin_worker_thread_starts_once():
    first = worker.start_builtin_worker(interval=60)
    assert worker.start_builtin_worker(interval=60) is first and first.is_alive()
    first.stop_event.set()
    worker._wake.set()
    first.join(5)


def test_a_broken_template_names_the_missing_field_on_the_preview_and_the_pdf(cast, client_for, coordinator):
    from unittest import mock

    from liaison.comms import letters

    _, ack = cast
    client = client_for(coordinator)
    client.post(f"/comms/due/{ack.pk}/letter/")
    letter = DueCommunication.objects.get(pk=ack.pk).letter
    broken = mock.patch.object(
        letters, "render_html", side_effect=letters.LetterTemplateError("ack", ["referral.no_such"])
    )
    with broken:
        for view in ("preview", "pdf"):
            response = client.get(f"/comms/letters/{letter.pk}/{view}/")
            assert response.status_code == 500 and "referral.no_such" in response.content.decode(), view


def test_the_communication_settings_stay_one_row(client_for, admin):
    from liaison.comms.models import CommsSettings

    CommsSettings.objects.create()
    assert client_for(admin).get("/admin/comms/commssettings/add/").status_code == 403
