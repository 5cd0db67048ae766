"""Drafting the letters of the selected rows of the work queue: one confirmation that writes nothing, then each
letter through services.letter_draft (the row's own button's service), a summary naming what was drafted and
what was left and why, back to the queue as it was; bad input changes nothing; tried as every role."""

from datetime import UTC, datetime

import pytest
import time_machine

from liaison.comms import services
from liaison.comms.models import DueCommunication, Letter
from liaison.comms.tests.helpers import keys, referral_for
from liaison.core.models import AuditEvent

URL = "/comms/draft-selected/"
BACK = "/comms/?sort=patient&kind=acknowledgment"


@pytest.fixture
def cast(protocol, clinic, coordinator, clinician):
    with time_machine.travel(datetime(2026, 11, 25, 15, 0, tzinfo=UTC), tick=False):
        first = referral_for(
            coordinator=coordinator, clinician=clinician, patient={"first_name": "Ann", "last_name": "Ash"}
        )
        second = referral_for(
            coordinator=coordinator, clinician=clinician, patient={"first_name": "Ben", "last_name": "Birch"}
        )
        yield keys(first)["ack"], keys(second)["ack"]


def _said(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_the_queue_offers_a_checkbox_on_rows_not_drafted_yet(cast, client_for, coordinator):
    owed, drafted = cast
    services.letter_draft(due=drafted, by=coordinator)
    body = client_for(coordinator).get("/comms/").content.decode()
    assert f'name="ids" value="{owed.pk}" form="draft-selected"' in body
    assert f'name="ids" value="{drafted.pk}"' not in body
    assert 'action="/comms/draft-selected/"' in body and "Draft the letters of the selected rows" in body


@pytest.mark.django_db
def test_confirm_then_draft_each_through_the_service(cast, client_for, coordinator):
    one, two = cast
    client = client_for(coordinator)
    before = AuditEvent.objects.count()
    confirm = client.post(URL, {"ids": [one.pk, two.pk], "next": BACK})
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "Draft 2 letters?" in body
    assert "Acknowledgment for Ann Ash (R-" in body and "Acknowledgment for Ben Birch" in body
    assert f'name="next" value="{BACK.replace("&", "&amp;")}"' in body
    assert not Letter.objects.exists()  # nothing written but the audit row for what the page showed
    shown = AuditEvent.objects.filter(id__gt=0).order_by("-id")[: AuditEvent.objects.count() - before]
    assert [e.action for e in shown] == ["list"] and set(shown[0].detail["referrals"]) == {
        one.referral_id,
        two.referral_id,
    }
    done = client.post(URL, {"ids": [one.pk, two.pk], "confirm": "1", "next": BACK})
    assert done.status_code == 302 and done["Location"] == BACK
    letters = Letter.objects.filter(due__in=[one, two])
    assert letters.count() == 2 and set(
        DueCommunication.objects.filter(pk__in=[one.pk, two.pk]).values_list("status", flat=True)
    ) == {"drafted"}
    drafted = AuditEvent.objects.filter(action="letter_draft", object_id__in=[str(x.pk) for x in letters])
    assert drafted.count() == 2 and {e.actor_id for e in drafted} == {coordinator.pk}
    said = _said(client.get(BACK))
    assert len(said) == 1 and said[0].startswith("Drafted 2 letters: Acknowledgment for Ann Ash")


@pytest.mark.django_db
def test_rows_drafted_meanwhile_or_not_found_are_named_and_the_rest_drafted(cast, client_for, coordinator, clinician):
    one, two = cast
    earlier = services.letter_draft(due=two, by=clinician)
    client = client_for(coordinator)
    confirm = client.post(URL, {"ids": [one.pk, two.pk, 987654]})
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "Draft 1 letter?" in body
    assert "Left as it is: Acknowledgment for Ben Birch" in body and "drafted already" in body
    assert "Row 987654: No letter owed with this number is yours to see" in body
    assert AuditEvent.objects.filter(action="access_denied", object_type="comms.duecommunication").exists()
    done = client.post(URL, {"ids": [one.pk, two.pk, 987654], "confirm": "1"}, follow=True)
    said = _said(done)
    assert said[0].startswith("Drafted 1 letter: Acknowledgment for Ann Ash")
    assert any(s.startswith("Acknowledgment for Ben Birch") and "drafted already" in s for s in said)
    assert any(s.startswith("Row 987654 was not changed") for s in said)
    assert Letter.objects.filter(due=two).get() == earlier  # the earlier draft untouched, not drafted twice
    assert Letter.objects.filter(due=one).exists()


@pytest.mark.django_db
def test_nothing_left_to_draft_goes_back_saying_why(cast, client_for, coordinator):
    one, _ = cast
    DueCommunication.objects.filter(pk=one.pk).update(status="cancelled")
    response = client_for(coordinator).post(URL, {"ids": [one.pk], "next": BACK}, follow=True)
    assert response.redirect_chain[-1][0] == BACK
    assert any("no longer waiting to be drafted" in s for s in _said(response))
    assert not Letter.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ids, says",
    [
        ([], "Select at least one row first."),
        (["1x", "own"], "'1x' is not a row of this list."),
        ([str(i) for i in range(1, 202)], "One bulk action takes at most 200 rows; 201 were selected."),
    ],
)
def test_bad_input_changes_nothing(cast, client_for, coordinator, ids, says):
    one, _ = cast
    ids = [str(one.pk) if i == "own" else i for i in ids]
    client = client_for(coordinator)
    before = AuditEvent.objects.count()
    response = client.post(URL, {"ids": ids, "confirm": "1", "next": BACK})
    assert response.status_code == 302 and response["Location"] == BACK
    assert not Letter.objects.exists() and AuditEvent.objects.count() == before  # nothing read, nothing written
    assert says in _said(client.get(BACK))


@pytest.mark.django_db
def test_a_next_address_off_the_site_is_not_followed(cast, client_for, coordinator):
    one, _ = cast
    response = client_for(coordinator).post(URL, {"ids": [one.pk], "confirm": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/comms/"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["coordinator", "clinician", "director"])
def test_the_clinical_team_may(cast, client_for, who, request):
    one, _ = cast
    response = client_for(request.getfixturevalue(who)).post(URL, {"ids": [one.pk], "confirm": "1"})
    assert response.status_code == 302 and Letter.objects.filter(due=one).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["liaison", "admin", "alice", "bob", "practice_admin", "anonymous"])
def test_everyone_else_is_refused_and_nothing_changes(cast, client_for, who, request):
    one, _ = cast
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_for(user)
    for data in ({"ids": [one.pk]}, {"ids": [one.pk], "confirm": "1"}):
        response = client.post(URL, data)
        if user is None:
            assert response.status_code == 302 and "login" in response["Location"]
        else:
            assert response.status_code == 403
    assert client.get(URL).status_code in (302, 403, 405)
    assert not Letter.objects.exists() and DueCommunication.objects.get(pk=one.pk).status == "owed"


@pytest.mark.django_db
def test_a_template_fault_keeps_its_reason_on_the_row_as_the_single_action_does(cast, client_for, coordinator):
    from unittest import mock

    from liaison.comms import letters

    one, two = cast
    bad = "{% autoescape off %}Dear {{ referrer.name }}, the {{ referral.no_such_field }} is ready.{% endautoescape %}"
    words = mock.patch.object(
        letters, "draft_words", side_effect=lambda t, f: ("S", letters.render_strict_string(bad, f))
    )
    with words:
        response = client_for(coordinator).post(URL, {"ids": [one.pk], "confirm": "1", "next": BACK})
    assert response.status_code == 302 and not Letter.objects.exists()
    assert "referral.no_such_field" in DueCommunication.objects.get(pk=one.pk).problem
    assert DueCommunication.objects.get(pk=two.pk).problem == ""
