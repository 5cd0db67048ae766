"""Minimum necessary: a liaison reaches no patient's name or clinical detail by any page or API; people outside
the clinic reach no CRM page at all; readers who are not liaisons may look but not change."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from liaison.crm import meetings, services
from liaison.crm.models import Meeting, Task
from liaison.crm.tests.conftest import T0
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

pytestmark = pytest.mark.django_db


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def every_path(pk: int) -> list[str]:
    """Every route of the project, with each <int:...> filled in by `pk` and each <str/slug> by 'x'."""
    paths = []
    for route in _walk(get_resolver().url_patterns):
        if route.startswith("^") or "(?P" in route:
            route = re.sub(r"\(\?P<\w+>[^)]*\)", str(pk), route).strip("^$").replace("\\", "")
        route = re.sub(r"<int:\w+>", str(pk), route)
        route = re.sub(r"<(?:str|slug|uuid|path):?\w*>", "x", route)
        paths.append("/" + route.lstrip("/"))
    return sorted(set(paths))


@pytest.fixture
def referral(alice_referrer, liaison):
    referral = receive_referral(
        referral=ReferralDataFactory(referrer=alice_referrer, reason="Quetiapine augmentation failed in 2023."),
        patient={"first_name": "Zebedee", "last_name": "Quonset", "date_of_birth": "1970-02-03", "sex": "male"},
        diagnoses=[{"code": "F33.2", "description": "Recurrent episode noted by Dr Xylophone"}],
    )
    rel = services.relationship_ensure(referrer=alice_referrer)
    meetings.meeting_schedule(relationship=rel, by=liaison, starts_at=T0, ends_at=T0.replace(hour=16))
    return referral


SECRETS = ("Zebedee", "Quonset", "Quetiapine", "1970-02-03", "Xylophone")


def test_a_liaison_reaches_no_clinical_detail_by_any_page_or_api(liaison, referral):
    from django.test import Client

    client = Client(raise_request_exception=False)  # a page that fails shows nothing either
    client.force_login(liaison)
    ids = {referral.pk, referral.patient_id, referral.referrer_id, Meeting.objects.get().pk, Task.objects.first().pk}
    seen_ok = 0
    for pk in sorted(ids):
        for path in every_path(pk):
            if "logout" in path:
                continue
            response = client.get(path)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8", "replace")
            for secret in SECRETS:
                assert secret not in text, f"{path} shows {secret!r} to a liaison"
            seen_ok += response.status_code == 200
    assert seen_ok > 5  # the liaison's own pages were really reached


CRM_PAGES = ["/crm/", "/crm/targets/", "/crm/targets/export.csv", "/crm/network/", "/crm/targets/import/"]


def _detail_pages(referral):
    meeting = Meeting.objects.get()
    return [f"/crm/referrers/{referral.referrer_id}/", f"/crm/referrers/{referral.referrer_id}/draft/",
            f"/crm/practices/{referral.referrer.practice_id}/", f"/crm/meetings/{meeting.pk}/",
            f"/crm/meetings/{meeting.pk}/invite.ics"]  # fmt: skip


def test_every_crm_page_works_for_a_liaison(client_for, liaison, referral):
    client = client_for(liaison)
    for path in CRM_PAGES + _detail_pages(referral):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("who", ["alice", "bob", "practice_admin"])
def test_people_outside_the_clinic_reach_no_crm_page(request, client_for, who, referral):
    client = client_for(request.getfixturevalue(who))
    for path in CRM_PAGES + _detail_pages(referral):
        assert client.get(path).status_code == 403, path
    task = Task.objects.first()
    assert client.post(f"/crm/tasks/{task.pk}/done/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(anonymous_client, referral):
    for path in CRM_PAGES + _detail_pages(referral):
        assert anonymous_client.get(path).status_code == 302, path


def test_a_coordinator_may_read_but_not_change(client_for, coordinator, referral):
    client = client_for(coordinator)
    page = f"/crm/referrers/{referral.referrer_id}/"
    assert client.get(page).status_code == 200
    assert client.post(page, {"action": "log", "kind": "call", "at": "2025-01-01T10:00"}).status_code == 403
    task = Task.objects.first()
    assert client.post(f"/crm/tasks/{task.pk}/done/").status_code == 403
    assert client.get("/crm/targets/import/").status_code == 403


def test_liaison_cannot_open_referrals(client_for, liaison, referral):
    client = client_for(liaison)
    assert client.get("/referrals/").status_code == 403
    assert client.get(f"/referrals/{referral.pk}/").status_code in (403, 404)


def test_saved_lists_are_their_owners_only(client_for, liaison, director):
    saved = services.saved_list_create(
        owner=liaison, name="Psychiatrists nearby", filters={"source_type": "psychiatry"}
    )
    assert client_for(director).get(f"/crm/lists/{saved.pk}/").status_code == 404
    assert client_for(liaison).get(f"/crm/lists/{saved.pk}/").status_code == 302
