"""The outbox page: letters in flight or failed by channel, Send again (one, or the chosen ones after one
confirmation) through the letter page's service, and the problems per referrer with the link that fixes them;
tried as every role."""

import pytest

from liaison.comms import services
from liaison.comms.models import DueCommunication, Outbox
from liaison.comms.tests.helpers import keys, referral_for
from liaison.core.models import AuditEvent
from liaison.directory.models import Referrer

BAD = "The recipient address 'nobody@' is not a valid email address"


def _signed(coordinator, **referrer):
    referral = referral_for(coordinator=coordinator, **referrer)
    letter = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
    return services.letter_approve(letter=letter, by=coordinator)


def _failed(outbox, reason=BAD, attempts=1):
    Outbox.objects.filter(pk=outbox.pk).update(status="failed", last_error=reason, attempts=attempts)
    outbox.refresh_from_db()
    return outbox


@pytest.fixture
def cast(protocol, clinic, coordinator):
    waiting = _signed(coordinator, patient={"first_name": "<b>Wanda</b>"})
    retrying = _signed(coordinator)
    Outbox.objects.filter(pk=retrying.pk).update(attempts=2, last_error="The mail server could not be reached")
    failed = _failed(_signed(coordinator, last_name="Faulk", patient={"first_name": "Fay"}))
    stuck = referral_for(coordinator=coordinator, email="", fax="", channel="portal", last_name="Nofax")
    return {"waiting": waiting, "retrying": retrying, "failed": failed, "stuck": stuck}


def test_letters_by_channel_with_where_each_stands(cast, client_for, coordinator):
    page = client_for(coordinator).get("/comms/outbox/")
    body = page.content.decode()
    assert page.status_code == 200
    email = page.context["outbox"].channels[0]
    assert email.key == "email" and email.counts == {"failed": 1, "sending": 0, "queued": 2}
    assert [r["id"] for r in email.rows][0] == cast["failed"].pk  # failed first
    assert "Waiting to retry" in body and "2 tries so far" in body and "Waiting to send" in body
    assert BAD.replace("'", "&#x27;") in body and f'href="/comms/letters/{cast["failed"].letter_id}/"' in body
    assert "&lt;b&gt;Wanda&lt;/b&gt;" in body and "<b>Wanda</b>" not in body
    assert "Nothing in flight or failed by fax" in body
    row = AuditEvent.objects.filter(object_type="comms.outbox").latest("id")
    assert row.action == "list" and cast["failed"].letter.referral_id in row.detail["referrals"]


def test_problems_grouped_per_referrer_with_the_fix(cast, client_for, coordinator):
    page = client_for(coordinator).get("/comms/outbox/")
    groups = {g.name.split()[-1].rstrip(","): (g, fixes) for g, fixes in page.context["problems"]}
    stuck_ref = cast["stuck"].referrer
    group, fixes = next(v for v in page.context["problems"] if v[0].referrer_id == stuck_ref.pk)
    held = DueCommunication.objects.filter(referral=cast["stuck"], problem__startswith="No usable channel").count()
    assert held >= 1 and fixes[0]["letters"].startswith(f"{held} letter")
    assert fixes[0]["text"] == "No email address or fax number on file" and fixes[0]["action"] == "add one"
    faulk = [f for g, f in groups.values() if g.referrer_id == cast["failed"].letter.referral.referrer_id][0]
    assert faulk[0]["text"].startswith("The email address on file") and faulk[0]["letters"] == "1 letter"
    assert f'href="/crm/referrers/{stuck_ref.pk}/"' in page.content.decode()
    # the coordinator corrects addresses on the referrer's contact page: "add one" links there
    assert fixes[0]["url"] == f"/crm/referrers/{stuck_ref.pk}/contact/" and fixes[0]["note"] == ""
    assert f'<a href="/crm/referrers/{stuck_ref.pk}/contact/">add one</a>' in page.content.decode()
    assert "An administrator adds or corrects addresses under Reference data" not in page.content.decode()


def test_who_may_not_correct_an_address_is_told_who_does(cast, client_for, clinician):
    page = client_for(clinician).get("/comms/outbox/")
    stuck_ref = cast["stuck"].referrer
    _, fixes = next(v for v in page.context["problems"] if v[0].referrer_id == stuck_ref.pk)
    assert fixes[0]["url"] == "" and fixes[0]["action"] == "add one"
    assert "An administrator adds or corrects addresses under Reference data" in page.content.decode()
    assert "/contact/" not in page.content.decode()


def test_send_again_one_letter_through_the_service(cast, client_for, coordinator):
    failed = cast["failed"]
    failed.letter.referral.referrer.__class__.objects.filter(pk=failed.letter.referral.referrer_id).update(
        email="fixed@practice.example"
    )
    response = client_for(coordinator).post("/comms/outbox/send-again/", {"ids": failed.pk, "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == "/comms/outbox/"
    failed.refresh_from_db()
    assert failed.status == "queued" and failed.address == "fixed@practice.example" and failed.last_error == ""
    assert AuditEvent.objects.filter(action="letter_resend", object_id=str(failed.letter_id)).exists()


def test_send_again_the_chosen_after_one_confirmation(cast, client_for, coordinator):
    client = client_for(coordinator)
    second = _failed(_signed(coordinator, last_name="Gone"), reason="There is no recipient address")
    Referrer.objects.filter(pk=second.letter.referral.referrer_id).update(email="", preferred_channel="portal")
    chosen = {"ids": [cast["failed"].pk, second.pk, cast["waiting"].pk, 987654], "next": "/comms/outbox/?sort=waited"}
    confirm = client.post("/comms/outbox/send-again/", chosen)
    assert confirm.status_code == 200 and b"Send 2 letters again?" in confirm.content
    body = confirm.content.decode()
    assert "Left as it is: Acknowledgment for" in body and "it has not failed (waiting to send)" in body
    assert "Outbox letter 987654: It is no longer in the outbox" in body
    assert Outbox.objects.filter(status="failed").count() == 2  # nothing changed yet
    done = client.post("/comms/outbox/send-again/", chosen | {"confirm": "1"}, follow=True)
    assert done.redirect_chain[0][0] == "/comms/outbox/?sort=waited"
    said = [str(m) for m in done.context["messages"]]
    assert any(s.startswith("1 letter back in the outbox, to be sent again: Acknowledgment for Fay") for s in said)
    assert any(s.startswith("Not sent again: Acknowledgment for") and "No usable channel" in s for s in said)
    assert any("Only a failed delivery can be sent again." in s for s in said)
    assert any(s.startswith("Not sent again: Outbox letter 987654") for s in said)
    assert Outbox.objects.get(pk=cast["failed"].pk).status == "queued"
    assert Outbox.objects.get(pk=second.pk).status == "failed"


def test_bad_input_names_the_field_and_changes_nothing(cast, client_for, coordinator):
    client = client_for(coordinator)
    for ids, says in (
        (["x1", cast["failed"].pk], "'x1' is not a row of this list."),
        ([str(i) for i in range(1, 202)], "One bulk action takes at most 200 rows; 201 were selected."),
        ([], "Select at least one row first."),
    ):
        response = client.post("/comms/outbox/send-again/", {"ids": ids, "confirm": "1"}, follow=True)
        assert response.redirect_chain[0][0] == "/comms/outbox/" and says in [
            str(m) for m in response.context["messages"]
        ]
    wrong = client.get("/comms/outbox/?channel=pigeon")
    assert wrong.status_code == 400 and b"<code>channel</code>" in wrong.content
    assert Outbox.objects.get(pk=cast["failed"].pk).status == "failed"


def test_one_channel_pages_of_fifty(cast, client_for, coordinator):
    page = client_for(coordinator).get("/comms/outbox/?channel=email&page=2")
    assert page.status_code == 200 and [c.key for c in page.context["outbox"].channels] == ["email"]
    assert page.context["outbox"].channels[0].rows == []  # three letters: one page


@pytest.mark.parametrize("who", ["coordinator", "clinician", "director"])
def test_the_clinical_team_sees_the_letters_and_may_send_again(cast, client_for, who, request):
    user = request.getfixturevalue(who)
    page = client_for(user).get("/comms/outbox/")
    assert page.status_code == 200 and b"Send again" in page.content and b'aria-current="page">Outbox' in page.content
    done = client_for(user).post("/comms/outbox/send-again/", {"ids": cast["failed"].pk, "confirm": "1"})
    assert done.status_code == 302


@pytest.mark.parametrize("who", ["alice", "bob", "practice_admin", "liaison", "admin", "anonymous"])
def test_everyone_else_gets_nothing(cast, client_for, who, request):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_for(user)
    assert client.get("/comms/outbox/").status_code in (302, 403, 404)
    response = client.post("/comms/outbox/send-again/", {"ids": cast["failed"].pk, "confirm": "1"})
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert "/accounts/login" in response["Location"] or "login" in response["Location"]
    assert Outbox.objects.get(pk=cast["failed"].pk).status == "failed"


def test_a_failure_of_another_kind_points_to_its_letters(cast, client_for, coordinator):
    _failed(cast["waiting"], reason="The mail server answered 554: message refused")
    page = client_for(coordinator).get("/comms/outbox/")
    referrer_id = cast["waiting"].letter.referral.referrer_id
    fixes = next(f for g, f in page.context["problems"] if g.referrer_id == referrer_id)
    assert fixes == [
        {"letters": "1 letter", "not_signed": False, "url": "#channel-email", "note": "",
         "text": "Delivery by secure email failed (each letter says why)", "action": "fix it, then send them again"}
    ]  # fmt: skip
    assert 'id="channel-email"' in page.content.decode()


def test_the_page_costs_the_same_with_more_letters_and_referrers(cast, client_for, coordinator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(coordinator)
    client.get("/comms/outbox/")
    with CaptureQueriesContext(connection) as before:
        client.get("/comms/outbox/")
    for n in range(3):
        _failed(_signed(coordinator, last_name=f"More{n}"))
        referral_for(coordinator=coordinator, email="", fax="", channel="portal", last_name=f"Stuck{n}")
    with CaptureQueriesContext(connection) as after:
        page = client.get("/comms/outbox/")
    assert len(page.context["problems"]) == 8 and len(after) == len(before)
