"""The inbox as a list people work from (issue 14): columns sorted both ways, 25 to 200 rows a page, the view kept in
the address and refused by name when it names something the inbox does not have, Mine and Unassigned one click
away, and many referrals assigned at once: one confirmation, a summary, each through services.referral_assign."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from liaison.core.models import AuditEvent
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.choices import Status, Urgency
from liaison.referrals.models import Referral, ReferralEvent
from liaison.referrals.tests.factories import PatientFactory, ReferralFactory
from liaison.referrals.tests.test_query_counts import INBOX_QUERIES, queries_of

pytestmark = pytest.mark.django_db

INBOX = reverse("referrals:inbox")
BULK = reverse("referrals:bulk_assign")


def listed(response) -> list[int]:
    assert response.status_code == 200, response.content.decode()[:500]
    return [r["id"] for r in response.context["referrals"]]


@pytest.fixture
def staff(client_for, coordinator):
    return client_for(coordinator)


# ---------------------------------------------------------------- sorting


@pytest.fixture
def four(coordinator, clinician):
    """Four open referrals that each column puts in a different order (names, statuses, owners and due times)."""
    now = timezone.now()

    def make(n, patient, referrer, status, owner, due_days, urgency=Urgency.ROUTINE):
        return ReferralFactory(
            patient=PatientFactory(last_name=patient, first_name="Sam"),
            referrer=ReferrerFactory(last_name=referrer, first_name="Robin") if referrer else None,
            status=status,
            next_action_owner=owner,
            received_at=now - timedelta(hours=5 - n),
            next_action_due_at=now + timedelta(days=due_days),
            urgency=urgency,
        )

    r1 = make(1, "Dunn", "Young", Status.RECEIVED, coordinator, 4, Urgency.URGENT)
    r2 = make(2, "Clark", "Xu", Status.ACKNOWLEDGED, None, 1)
    r3 = make(3, "Adams", None, Status.INFO_REQUESTED, None, 3)
    r4 = make(4, "Baker", "Zane", Status.EVAL_SCHEDULED, clinician, 2)
    return r1, r2, r3, r4


# Each column's order of r1..r4 ascending and descending (empty values last both ways; the newest first among equals).
ORDERS = {
    "received": ([1, 2, 3, 4], [4, 3, 2, 1]),
    "patient": ([3, 4, 2, 1], [1, 2, 4, 3]),
    "referrer": ([2, 1, 4, 3], [4, 1, 2, 3]),  # r3 is a self-referral: no referrer, last
    "status": ([2, 4, 3, 1], [1, 3, 4, 2]),  # acknowledged, eval_scheduled, info_requested, received
    "owner": ([4, 1, 3, 2], [1, 4, 3, 2]),  # Clinician, Coordinator; then the unassigned, newest first
    "due": ([2, 4, 3, 1], [1, 3, 4, 2]),
    "priority": ([1, 2, 4, 3], [3, 4, 2, 1]),  # r1 is urgent; then by due
}


@pytest.mark.parametrize("column", list(ORDERS))
@pytest.mark.parametrize("descending", [False, True])
def test_each_column_sorts_the_inbox_both_ways(column, descending, staff, four):
    expected = [four[n - 1].pk for n in ORDERS[column][descending]]
    assert listed(staff.get(INBOX, {"sort": f"-{column}" if descending else column})) == expected


def test_without_a_sort_the_inbox_is_urgent_first_then_soonest_due(staff, four):
    assert listed(staff.get(INBOX)) == [four[n - 1].pk for n in ORDERS["priority"][0]]


def test_received_and_status_sort_all_and_closed_referrals(staff, four):
    closed = ReferralFactory(status=Status.CANCELLED, received_at=timezone.now() - timedelta(days=9))
    assert listed(staff.get(INBOX, {"status": "all", "sort": "received"}))[0] == closed.pk
    assert listed(staff.get(INBOX, {"status": "all", "sort": "-received"}))[-1] == closed.pk
    assert listed(staff.get(INBOX, {"status": "closed", "sort": "-status"})) == [closed.pk]
    assert listed(staff.get(INBOX, {"status": "all", "sort": "status"}))[1] == closed.pk  # acknowledged, cancelled, …


@pytest.mark.parametrize("column", ["patient", "referrer", "owner", "due"])
@pytest.mark.parametrize("status", ["all", "closed", Status.CANCELLED])
def test_columns_without_an_index_sort_open_referrals_only(column, status, staff, four):
    response = staff.get(INBOX, {"status": status, "sort": column})
    assert response.status_code == 400
    assert response.context["field"] == "sort"
    assert "Only open referrals can be sorted by" in response.context["message"]
    # ... and the headers of all referrals do not offer them
    page = staff.get(INBOX, {"status": status}).content.decode()
    assert f"sort={column}" not in page and "sort=-received" in page


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"sort": "colour"}, "sort"),
        ({"sort": "-"}, "sort"),
        ({"sort": "patient__last_name"}, "sort"),
        ({"size": "30"}, "size"),
        ({"size": "lots"}, "size"),
        ({"size": "-25"}, "size"),
    ],
)
def test_a_sort_or_size_the_inbox_does_not_have_is_refused_naming_it(query, field, staff, four):
    response = staff.get(INBOX, {"status": "open", **query})
    assert response.status_code == 400
    assert response.context["field"] == field
    body = response.content.decode()
    assert "Sam" not in body and "Dunn" not in body  # no rows, no one's name: only what was wrong
    other = {"sort": "size", "size": "sort"}[field]
    assert f"{other!r}" not in response.context["message"]


@pytest.mark.parametrize("status", ["acute_series", "Acute", "opened"])
def test_a_status_the_inbox_does_not_have_is_refused_naming_it(status, staff, four):
    """Not every open referral under an unknown filter, as if it had been understood: a 400 naming `status`."""
    response = staff.get(INBOX, {"status": status})
    assert response.status_code == 400
    assert response.context["field"] == "status"
    assert repr(status) in response.context["message"] and "'acute'" in response.context["message"]
    assert "Sam" not in response.content.decode()


@pytest.mark.parametrize("status", ["", "open", "closed", "all", "acute"])
def test_every_status_the_filter_offers_is_accepted(status, staff, four):
    assert staff.get(INBOX, {"status": status}).status_code == 200


def test_sort_headers_keep_the_filters_and_drop_the_page(staff, four):
    body = staff.get(INBOX, {"status": "open", "source_type": "psychiatry", "after": "50"}).content.decode()
    links = re.findall(r'<a class="sort" href="\?([^"]*)"', body)
    assert len(links) == 6  # received, patient, referrer, status, owner, due
    for query in links:
        query = query.replace("&amp;", "&")
        assert "status=open" in query and "source_type=psychiatry" in query and "after=" not in query


def test_the_current_sort_header_says_so_and_reverses(staff, four):
    body = staff.get(INBOX, {"sort": "patient"}).content.decode()
    assert re.search(r'aria-sort="ascending"><a class="sort" href="\?sort=-patient"', body)
    assert "Back to urgent first, then due" in body


# ---------------------------------------------------------------- page sizes and paging


@pytest.fixture
def sixty(db):
    referrer = ReferrerFactory()
    now = timezone.now()
    return [ReferralFactory(referrer=referrer, received_at=now + timedelta(minutes=i)) for i in range(60)]


@pytest.mark.parametrize(("size", "shown"), [(None, 50), ("25", 25), ("50", 50), ("100", 60), ("200", 60)])
def test_page_sizes(size, shown, staff, sixty):
    response = staff.get(INBOX, {"size": size} if size else {})
    assert len(listed(response)) == shown
    assert response.context["size"] == int(size or 50)
    body = response.content.decode()
    assert "Rows per page:" in body and f'<strong aria-current="true">{size or 50}</strong>' in body


def test_paging_keeps_the_sort_the_size_and_the_filters(staff, sixty):
    first = staff.get(INBOX, {"status": "open", "sort": "-received", "size": "25"})
    assert listed(first) == [r.pk for r in reversed(sixty)][:25]
    body = first.content.decode().replace("&amp;", "&")
    assert "?status=open&sort=-received&size=25&after=25" in body
    second = staff.get(INBOX, {"status": "open", "sort": "-received", "size": "25", "after": "25"})
    assert listed(second) == [r.pk for r in reversed(sixty)][25:50]
    third = staff.get(INBOX, {"status": "open", "sort": "-received", "size": "25", "after": "50"})
    assert listed(third) == [r.pk for r in reversed(sixty)][50:]
    assert "Next →" not in third.content.decode()


def test_paging_without_filters_has_no_stray_ampersand(staff, sixty):
    body = staff.get(INBOX).content.decode()
    assert 'href="?after=50"' in body and "?&" not in body and "?&amp;" not in body


def test_the_filters_keep_the_page_size_and_an_indexed_sort(staff, sixty):
    body = staff.get(INBOX, {"sort": "-received", "size": "100"}).content.decode()
    form = body[body.index('class="filters"') : body.index("</form>", body.index('class="filters"'))]
    assert '<input type="hidden" name="size" value="100">' in form
    assert '<input type="hidden" name="sort" value="-received">' in form
    # a sort only open referrals have is not carried into a filter that may show all of them
    body = staff.get(INBOX, {"sort": "patient"}).content.decode()
    form = body[body.index('class="filters"') : body.index("</form>", body.index('class="filters"'))]
    assert 'name="sort"' not in form


@pytest.mark.parametrize("size", [25, 200])
def test_the_inbox_costs_the_same_for_25_or_200_rows(size, client_for, coordinator, clinician):
    referrer = ReferrerFactory()
    for i in range(size):
        ReferralFactory(referrer=referrer, assigned_coordinator=coordinator if i % 2 else None)
    page = queries_of(client_for(coordinator), f"{INBOX}?size={size}&sort=patient")
    assert page == INBOX_QUERIES  # the bulk bar's lists are the owner filter's staff query: no query more


# ---------------------------------------------------------------- Mine and Unassigned


def test_mine_and_unassigned_are_one_click_away_and_keep_the_other_filters(staff, coordinator):
    mine = ReferralFactory(assigned_coordinator=coordinator)
    unassigned = ReferralFactory()
    body = staff.get(INBOX, {"source_type": "psychiatry", "size": "25"}).content.decode().replace("&amp;", "&")
    assert '<a href="?source_type=psychiatry&size=25&owner=me">Mine</a>' in body
    assert '<a href="?source_type=psychiatry&size=25&owner=unassigned">Unassigned</a>' in body
    assert listed(staff.get(INBOX, {"owner": "me"})) == [mine.pk]
    assert listed(staff.get(INBOX, {"owner": "unassigned"})) == [unassigned.pk]
    assert 'href="?owner=me" aria-current="page">Mine' in staff.get(INBOX, {"owner": "me"}).content.decode()


# ---------------------------------------------------------------- the bulk bar


def test_staff_get_a_box_per_row_a_select_all_and_the_bulk_bar(staff, four, coordinator, clinician, director):
    body = staff.get(INBOX).content.decode()
    for r in four:
        assert f'name="ids" value="{r.pk}" form="inbox-bulk" aria-label="Select {r.reference}"' in body
    assert 'class="select-all" data-form="inbox-bulk"' in body
    bar = body[body.index('id="inbox-bulk"') : body.index("</form>", body.index('id="inbox-bulk"'))]
    coordinators = bar[bar.index('name="coordinator"') : bar.index("</select>", bar.index('name="coordinator"'))]
    clinicians = bar[bar.index('name="clinician"') : bar.index("</select>", bar.index('name="clinician"'))]
    assert str(coordinator) in coordinators and str(clinician) not in coordinators
    assert str(clinician) in clinicians and str(director) in clinicians and str(coordinator) not in clinicians
    assert f'name="next" value="{INBOX}"' in bar


def test_the_referrer_portal_rows_have_no_boxes(client_for, alice, alice_referrer):
    ReferralFactory(referrer=alice_referrer)
    body = client_for(alice).get(reverse("intake:portal")).content.decode()
    assert 'name="ids"' not in body and "inbox-bulk" not in body


# ---------------------------------------------------------------- bulk assign


def snapshot(*referrals) -> list[tuple]:
    rows = Referral.objects.filter(pk__in=[r.pk for r in referrals]).order_by("pk")
    fields = ("assigned_coordinator_id", "assigned_clinician_id", "next_action_owner_id", "updated_at")
    state = [tuple(getattr(r, f) for f in fields) for r in rows]
    return [*state, ReferralEvent.objects.count(), AuditEvent.objects.filter(action="assign").count()]


@pytest.fixture
def morning(db):
    """This morning's new referrals, nobody's yet."""
    now = timezone.now()
    return [
        ReferralFactory(patient=PatientFactory(first_name="Nia", last_name=name), received_at=now - timedelta(hours=h))
        for h, name in ((3, "Okafor"), (2, "Lindqvist"), (1, "Moreau"))
    ]


def post(client, referrals, confirm=False, **data):
    body = {"ids": [str(r.pk) for r in referrals], "next": f"{INBOX}?owner=unassigned&size=25", **data}
    if confirm:
        body["confirm"] = "1"
    return client.post(BULK, body)


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_first_post_asks_once_and_changes_nothing(staff, morning, coordinator, clinician):
    before = snapshot(*morning)
    audited = AuditEvent.objects.filter(action="list").count()
    response = post(staff, morning, clinician=clinician.pk)
    assert response.status_code == 200
    body = response.content.decode()
    for r in morning:
        assert f"{r.reference} (Nia {r.patient.last_name})" in body
        assert f'name="ids" value="{r.pk}"' in body
    assert (
        "Assign 3 referrals" in body and "Cliff Clinician (clinician)" in body and "keeps its own coordinator" in body
    )
    assert snapshot(*morning) == before
    read = AuditEvent.objects.filter(action="list").order_by("-id").first()
    assert AuditEvent.objects.filter(action="list").count() == audited + 1
    assert read.actor == coordinator and read.object_type == "referrals.referral"
    assert read.detail["referrals"] == [r.pk for r in morning] and read.detail["bulk"] == "assign"


def test_confirmed_each_referral_is_assigned_through_the_service(staff, morning, coordinator, clinician):
    other = ReferralFactory()
    response = post(staff, morning, confirm=True, coordinator=coordinator.pk, clinician=clinician.pk)
    assert response.status_code == 302 and response["Location"] == f"{INBOX}?owner=unassigned&size=25"
    for r in morning:
        fresh = Referral.objects.get(pk=r.pk)
        assert (fresh.assigned_coordinator, fresh.assigned_clinician) == (coordinator, clinician)
        assert fresh.next_action_owner == coordinator  # a new referral's next action is the coordinator's
        assert ReferralEvent.objects.filter(referral=r, kind="assigned").count() == 1
        assert AuditEvent.objects.filter(action="assign", object_id=str(r.pk), actor=coordinator).count() == 1
    assert Referral.objects.get(pk=other.pk).assigned_coordinator is None
    names = ", ".join(f"{r.reference} (Nia {r.patient.last_name})" for r in morning)
    assert said(response) == [
        f"Assigned 3 referrals to Cora Coordinator (coordinator) and Cliff Clinician (clinician): {names}."
    ]


def test_a_list_left_as_it_is_keeps_each_referrals_own(staff, morning, coordinator, clinician, director):
    morning[0].assigned_coordinator = director
    morning[0].save()
    post(staff, morning, confirm=True, clinician=clinician.pk)
    assert Referral.objects.get(pk=morning[0].pk).assigned_coordinator == director
    assert Referral.objects.get(pk=morning[1].pk).assigned_coordinator is None
    assert all(Referral.objects.get(pk=r.pk).assigned_clinician == clinician for r in morning)


def test_a_referral_closed_since_the_page_was_drawn_is_named_and_the_others_change(staff, morning, coordinator):
    post(staff, morning, coordinator=coordinator.pk)  # the confirmation
    closed = morning[1]
    Referral.objects.filter(pk=closed.pk).update(
        status=Status.CANCELLED, is_open=False, closed_reason="Patient moved.", closed_at=timezone.now()
    )
    before = snapshot(closed)[0]
    response = post(staff, morning, confirm=True, coordinator=coordinator.pk)
    assert response.status_code == 302
    assert snapshot(closed)[0] == before
    assert ReferralEvent.objects.filter(referral=closed, kind="assigned").count() == 0
    assert Referral.objects.get(pk=morning[0].pk).assigned_coordinator == coordinator
    assert Referral.objects.get(pk=morning[2].pk).assigned_coordinator == coordinator
    messages = said(response)
    assert messages[0].startswith("Assigned 2 referrals to Cora Coordinator (coordinator): ")
    assert closed.reference not in messages[0]
    assert (
        messages[1]
        == f"{closed.reference} (Nia Lindqvist) was not changed: it is closed (Cancelled), so it has no work to assign."
    )


def test_a_referral_already_closed_is_marked_on_the_confirmation_and_left_as_it_is(staff, morning, coordinator):
    closed = ReferralFactory(status=Status.CANCELLED, patient=PatientFactory(first_name="Lu", last_name="Gone"))
    body = post(staff, [*morning, closed], coordinator=coordinator.pk).content.decode()
    assert f"{closed.reference} (Lu Gone) — closed, so it will be left as it is" in body
    before = snapshot(closed)
    response = post(staff, [*morning, closed], confirm=True, coordinator=coordinator.pk)
    assert snapshot(closed)[0] == before[0]
    assert said(response)[0].startswith("Assigned 3 referrals")
    assert said(response)[1].startswith(f"{closed.reference} (Lu Gone) was not changed: it is closed (Cancelled)")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"ids": []}, "Select at least one row first."),
        ({"ids": ["12x"]}, "&#x27;12x&#x27; is not a row of this list."),
        ({"ids": ["999999"]}, "R-999999: no such referral in your inbox."),
        ({"coordinator": "liaison"}, "Coordinator: choose someone from the list."),
        ({"coordinator": "clinician"}, "Coordinator: choose someone from the list."),  # not a coordinator
        ({"clinician": "coordinator"}, "Clinician: choose someone from the list."),
        ({"clinician": "alice"}, "Clinician: choose someone from the list."),
        ({"clinician": "nobody"}, "Clinician: choose someone from the list."),
        ({"coordinator": ""}, "Choose a coordinator, a clinician or both to assign."),
    ],
)
@pytest.mark.parametrize("confirm", [False, True])
def test_a_wrong_request_is_refused_whole_naming_what_is_wrong(data, error, confirm, request, staff, morning):
    people = {"nobody": "nobody"}
    for field in ("coordinator", "clinician"):
        value = data.get(field, "coordinator" if field == "coordinator" else "")
        if value in ("liaison", "clinician", "coordinator", "alice"):
            value = request.getfixturevalue(value).pk
        people[field] = value
    ids = data.get("ids", [str(r.pk) for r in morning])
    if "ids" in data and data["ids"] == ["999999"]:
        ids = [str(morning[0].pk), "999999"]
    before = snapshot(*morning)
    body = {"ids": ids, "coordinator": people["coordinator"], "clinician": people["clinician"]}
    if confirm:
        body["confirm"] = "1"
    response = staff.post(BULK, body)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert "Nothing was changed." in response.content.decode()
    assert snapshot(*morning) == before


def test_a_next_off_the_inbox_goes_back_to_the_inbox(staff, morning, coordinator):
    response = staff.post(
        BULK, {"ids": [morning[0].pk], "coordinator": coordinator.pk, "confirm": "1", "next": "https://evil.example/"}
    )
    assert response["Location"] == INBOX
    response = staff.post(
        BULK, {"ids": [morning[0].pk], "coordinator": coordinator.pk, "confirm": "1", "next": "/audit/"}
    )
    assert response["Location"] == INBOX


ROLES = {
    # role: (first post, confirmed)
    "anonymous": ("sign-in", "sign-in"),
    "liaison": (403, 403),
    "admin": (403, 403),
    "alice": (403, 403),
    "practice_admin": (403, 403),
    "coordinator": (200, 302),
    "clinician": (200, 302),
    "director": (200, 302),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_who_may_assign_in_bulk(role, request, client_for, morning, coordinator, clinician, alice_referrer):
    mine = ReferralFactory(referrer=alice_referrer)  # alice's own referral: still not hers to assign
    referrals = [*morning, mine]
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = client_for(user)
    before = snapshot(*referrals)
    for confirm, expected in zip((False, True), ROLES[role], strict=True):
        if confirm and expected == 302:
            before = snapshot(*referrals)  # the confirmation itself changed nothing (checked below)
        response = post(client, referrals, confirm=confirm, coordinator=coordinator.pk, clinician=clinician.pk)
        if expected == "sign-in":
            assert response.status_code == 302 and "login" in response["Location"]
        else:
            assert response.status_code == expected
        if expected != 302:
            assert snapshot(*referrals) == before
    if ROLES[role][1] == 302:
        assert all(Referral.objects.get(pk=r.pk).assigned_clinician == clinician for r in referrals)
    else:
        assert not Referral.objects.filter(pk__in=[r.pk for r in referrals], assigned_clinician=clinician).exists()
    if ROLES[role][0] == 403:
        assert AuditEvent.objects.filter(action="access_denied", actor=user).exists()


def test_a_get_is_not_an_assignment(staff, morning, coordinator):
    response = staff.get(BULK, {"ids": [morning[0].pk], "coordinator": coordinator.pk, "confirm": "1"})
    assert response.status_code == 405
    assert Referral.objects.get(pk=morning[0].pk).assigned_coordinator is None
