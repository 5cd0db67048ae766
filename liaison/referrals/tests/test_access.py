"""Who may do what: every page and action, tried by every role, on Alice's referral and on Bob's.

Alice (a referring clinician at practice A) and Pam (practice A's administrator) follow Alice's
referral on the portal and are refused every staff page (403); Bob's referral, from practice B, does not
exist for them (404). Liaisons see referrers, never patients. The clinical team (coordinator, clinician,
director) sees every referral; the IT administrator sees no patient's record but has the audit trail and the
admin, which the director reads too. The whole site, URL by URL: liaison/core/tests/test_access_matrix.py."""

import re

import pytest
from django.urls import reverse

from liaison.core.events import pending_run_all
from liaison.referrals import lifecycle
from liaison.referrals.choices import Status
from liaison.referrals.models import Referral, ReferralEvent
from liaison.referrals.tests.factories import ReferralFactory, staff_form_post

pytestmark = pytest.mark.django_db

LOGIN = "sign-in"  # a redirect to the sign-in page
ADMIN_LOGIN = "admin sign-in"  # a redirect to the Django admin's own sign-in page
ROLES = ["anonymous", "liaison", "alice", "practice_admin", "coordinator", "clinician", "director", "admin"]

# What each role gets. "own" is Alice's referral, "other" is Bob's.
#                                anonymous  liaison  alice  pam  coordinator clinician director admin
ACCESS = {
    "inbox": (LOGIN, 403, 403, 403, 200, 200, 200, 403),
    "inbox filtered": (LOGIN, 403, 403, 403, 200, 200, 200, 403),
    "inbox htmx rows": (LOGIN, 403, 403, 403, 200, 200, 200, 403),
    "detail own": (LOGIN, 403, 403, 403, 200, 200, 200, 403),
    "detail other": (LOGIN, 403, 403, 403, 200, 200, 200, 403),
    "portal own": (LOGIN, 403, 200, 200, 403, 403, 403, 403),
    "portal other": (LOGIN, 403, 404, 404, 403, 403, 403, 403),
    "new form": (LOGIN, 403, 403, 403, 200, 200, 200, 403),
    "new submit": (LOGIN, 403, 403, 403, 302, 302, 302, 403),
    "transition own": (LOGIN, 403, 403, 403, 302, 302, 302, 403),
    "transition other": (LOGIN, 403, 403, 403, 302, 302, 302, 403),
    "assign own": (LOGIN, 403, 403, 403, 302, 302, 302, 403),
    "assign other": (LOGIN, 403, 403, 403, 302, 302, 302, 403),
    "note own": (LOGIN, 403, 403, 403, 302, 302, 302, 403),
    "note other": (LOGIN, 403, 403, 403, 302, 302, 302, 403),
    "referrers directory": (LOGIN, 200, 403, 403, 200, 200, 200, 200),
    "audit trail": (LOGIN, 403, 403, 403, 403, 403, 200, 200),
    "admin index": (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200),
}
CASES = [(action, role, expected[i]) for action, expected in ACCESS.items() for i, role in enumerate(ROLES)]


def _request(client, action: str, own: Referral, other: Referral, cast: dict):
    """Make the request an action names; returns the response."""
    target = other if action.endswith(" other") else own
    name = action.removesuffix(" own").removesuffix(" other")
    detail = reverse("referrals:detail", args=[target.pk])
    if name == "inbox":
        return client.get(reverse("referrals:inbox"))
    if name == "inbox filtered":
        return client.get(reverse("referrals:inbox"), {"status": "all", "source_type": "psychiatry", "overdue": "on"})
    if name == "inbox htmx rows":
        return client.get(reverse("referrals:inbox"), {"status": "open"}, headers={"HX-Request": "true"})
    if name == "detail":
        return client.get(detail)
    if name == "portal":
        return client.get(reverse("intake:portal_detail", args=[target.pk]))
    if name == "new form":
        return client.get(reverse("referrals:new"))
    if name == "new submit":
        return client.post(reverse("referrals:new"), staff_form_post(referrer=own.referrer))
    if name == "transition":
        url = reverse("referrals:transition", args=[target.pk])
        return client.post(url, {"to": Status.ACKNOWLEDGED, "version": target.version})
    if name == "assign":
        url = reverse("referrals:assign", args=[target.pk])
        return client.post(url, {"coordinator": cast["coordinator"].pk, "clinician": cast["clinician"].pk})
    if name == "note":
        return client.post(reverse("referrals:note", args=[target.pk]), {"text": "Left a voicemail."})
    if name == "referrers directory":
        return client.get(reverse("directory:referrers"))
    if name == "audit trail":
        return client.get(reverse("core:audit"))
    if name == "admin index":
        return client.get(reverse("admin:index"))
    raise AssertionError(action)


def _footprint(*referrals) -> tuple:
    return (
        Referral.objects.count(),
        [
            (r.status, r.version, r.assigned_coordinator_id)
            for r in Referral.objects.filter(pk__in=[x.pk for x in referrals])
        ],
        ReferralEvent.objects.count(),
    )


@pytest.fixture
def cast(coordinator, clinician, liaison, director, admin, alice, bob, practice_admin):
    return {
        "anonymous": None,
        "coordinator": coordinator,
        "clinician": clinician,
        "liaison": liaison,
        "director": director,
        "admin": admin,
        "alice": alice,
        "bob": bob,
        "practice_admin": practice_admin,
    }


@pytest.mark.parametrize(("action", "role", "expected"), CASES, ids=[f"{a}-{r}" for a, r, _ in CASES])
def test_every_role_gets_exactly_what_it_should(
    action, role, expected, cast, client_for, alices_referral, bobs_referral
):
    client = client_for(cast[role])
    before = _footprint(alices_referral, bobs_referral)

    response = _request(client, action, alices_referral, bobs_referral, cast)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login") + "?next=")
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    else:
        assert response.status_code == expected
    if expected != 302:
        assert _footprint(alices_referral, bobs_referral) == before, "a refused request changed something"


# ---------------------------------------------------------------- which referrals each sees


@pytest.fixture
def three_referrals(alices_referral, colleagues_referral, bobs_referral):
    return {"alice": alices_referral, "colleague": colleagues_referral, "bob": bobs_referral}


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("alice", {"alice"}),
        ("bob", {"bob"}),
        ("practice_admin", {"alice", "colleague"}),
        ("coordinator", {"alice", "colleague", "bob"}),
        ("clinician", {"alice", "colleague", "bob"}),
        ("director", {"alice", "colleague", "bob"}),
    ],
)
@pytest.mark.parametrize("query", [{}, {"status": "all"}, {"status": "received"}, {"owner": "unassigned"}])
def test_the_inbox_lists_only_the_referrals_the_person_may_see(role, sees, query, cast, client_for, three_referrals):
    """Staff in the inbox, the outside roles on the portal (which lists open and closed alike)."""
    page = "intake:portal" if cast[role].is_outside else "referrals:inbox"
    if cast[role].is_outside and query:
        pytest.skip("the portal has no filters")
    response = client_for(cast[role]).get(reverse(page), query)
    assert response.status_code == 200
    listed = {r["id"] for r in response.context["referrals"]}
    assert listed == {three_referrals[name].pk for name in sees}
    content = response.content.decode()
    for name, referral in three_referrals.items():
        assert (referral.patient.last_name in content) == (name in sees)


@pytest.mark.parametrize(
    ("role", "sees"),
    [("alice", {"alice"}), ("bob", {"bob"}), ("practice_admin", {"alice", "colleague"})],
)
def test_outsiders_get_a_404_for_every_referral_not_theirs(role, sees, cast, client_for, three_referrals):
    client = client_for(cast[role])
    for name, referral in three_referrals.items():
        response = client.get(reverse("intake:portal_detail", args=[referral.pk]))
        assert response.status_code == (200 if name in sees else 404)
        if response.status_code == 404:
            assert referral.patient.last_name not in response.content.decode()


def test_a_referral_that_does_not_exist_is_a_404_like_one_that_is_not_yours(client_for, alice, bobs_referral):
    client = client_for(alice)
    assert client.get(reverse("intake:portal_detail", args=[bobs_referral.pk])).status_code == 404
    assert client.get(reverse("intake:portal_detail", args=[bobs_referral.pk + 1000])).status_code == 404


def test_a_liaison_sees_referrers_and_counts_but_no_patient(client_for, liaison, alices_referral, bobs_referral):
    # The directory's counts are each referrer's health row, which the worker refreshes after intake.
    pending_run_all()
    response = client_for(liaison).get(reverse("directory:referrers"))
    content = response.content.decode()
    assert "Alice Adams" in content and "Bob Baker" in content
    assert {r["health__total_referrals"] for r in response.context["referrers"]} == {1}
    for referral in (alices_referral, bobs_referral):
        assert referral.patient.last_name not in content


def test_home_sends_each_role_to_a_page_it_may_see(client_for, liaison, coordinator, alice):
    landing = client_for(liaison).get("/", follow=True)
    assert landing.status_code == 200 and landing.request["PATH_INFO"] != reverse("referrals:inbox")
    assert client_for(coordinator).get("/").url == reverse("referrals:inbox")
    assert client_for(alice).get("/").url == reverse("intake:portal")


@pytest.mark.parametrize("role", ["alice", "practice_admin"])
def test_outsiders_see_no_staff_controls_on_their_own_referral(role, cast, client_for, alices_referral):
    client = client_for(cast[role])
    assert client.get(reverse("referrals:detail", args=[alices_referral.pk])).status_code == 403
    content = client.get(reverse("intake:portal_detail", args=[alices_referral.pk])).content.decode()
    assert 'name="to"' not in content
    assert reverse("referrals:assign", args=[alices_referral.pk]) not in content
    assert reverse("referrals:note", args=[alices_referral.pk]) not in content
    assert reverse("referrals:new") not in content


# ---------------------------------------------------------------- the transition buttons


def _buttons(content: str) -> set[str]:
    return set(re.findall(r'<input type="hidden" name="to" value="([a-z_]+)">', content))


@pytest.mark.parametrize("role", ["coordinator", "clinician", "director"])
@pytest.mark.parametrize("status", list(Status))
def test_the_page_offers_exactly_the_moves_the_table_gives_the_role(role, status, cast, client_for, alice_referrer):
    referral = ReferralFactory(status=status, referrer=alice_referrer)
    response = client_for(cast[role]).get(reverse("referrals:detail", args=[referral.pk]))
    assert response.status_code == 200
    expected = {m.to.value for m in lifecycle.moves_for(status, cast[role].role)}
    assert _buttons(response.content.decode()) == expected
