"""The work queue at two list sizes: the same queries at both (pinned), a page of PAGE rows per section with
working links to the next pages, problems grouped by referrer with the way to fix them, and the partial
indexes' predicates written in constants (decision 0026)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liaison.comms import clock, queue
from liaison.comms.models import DueCommunication, Letter, Outbox
from liaison.comms.tests.helpers import referral_for

# one signed-in request of the whole page: session, user, the counts with the ids of the three sections, of escalated
# to me and of the problems (one statement, a UNION ALL), those rows (by id), the audit row (its chain head locked,
# written, moved on), follow-ups stuck, the clinic, the session saved
# SQLite's counts: PostgreSQL writes the page's audit row in one statement fewer (decision 0032).
AUDIT_SAVED = 1 if connection.vendor == "postgresql" else 0
PAGE_QUERIES = 12 - AUDIT_SAVED
# a weekday morning in the clinic: letters due later today as well as overdue and coming up
MORNING = time_machine.travel(datetime(2026, 11, 25, 15, 0, tzinfo=UTC), tick=False)
pytestmark = pytest.mark.usefixtures("morning")
SECTION_PAGE_QUERIES = 11 - AUDIT_SAVED  # one section: no problems, no escalations, no follow-up warning


@pytest.fixture
def morning():
    with MORNING:
        yield


@pytest.fixture
def cast(morning, protocol, clinic, coordinator, clinician, director):
    coordinator.lead = director
    coordinator.save()
    good = referral_for(coordinator=coordinator, clinician=clinician, patient={"first_name": "<i>Ivy</i>"})
    stuck = referral_for(coordinator=coordinator, clinician=clinician, channel="portal", email="", last_name="Nomail")
    return good, stuck


def _fill(referral, n: int, *, owner, escalated_to=None, problem="", tag=""):
    """n letters owed on `referral` in each of overdue, due today (later today) and coming up, beside its own."""
    now = timezone.now()
    end_of_today = clock.end_of_day(now)
    rows = []
    for i in range(n):
        for key, due in (("late", now - timedelta(hours=5 + i)), ("week", now + timedelta(days=2, hours=i))):
            rows.append(
                DueCommunication(
                    referral=referral,
                    key=f"{key}:{tag}{i}",
                    letter_type="treatment_update",
                    status="owed",
                    triggered_at=due - timedelta(days=2),
                    due_at=due,
                    owner=owner,
                    owner_role="clinician",
                    escalated_at=now if escalated_to else None,
                    escalated_to=escalated_to,
                    problem=problem,
                    reason="collaborative: every 2 sessions",
                )  # fmt: skip
            )
        if end_of_today > now + timedelta(minutes=i + 1):
            rows.append(
                DueCommunication(
                    referral=referral,
                    key=f"today:{tag}{i}",
                    letter_type="treatment_update",
                    status="owed",
                    triggered_at=now,
                    due_at=now + timedelta(minutes=i + 1),
                    owner=owner,
                    owner_role="clinician",
                )  # fmt: skip
            )
    DueCommunication.objects.bulk_create(rows)


def _draft_and_fail(due):
    letter = Letter.objects.create(
        due=due, referral=due.referral, letter_type=due.letter_type, status="signed", subject="s", body="b",
        drafted_at=timezone.now(), signed_at=timezone.now(), signed_by=due.owner,
    )  # fmt: skip
    Outbox.objects.create(
        letter=letter, channel="email", message_id=f"m{due.pk}", status="failed", next_attempt_at=timezone.now()
    )
    DueCommunication.objects.filter(pk=due.pk).update(status="approved", problem="Failed after 5 tries: 550.")
    return letter


def _count(client, url):
    client.get(url)  # warm: the session, the caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


@pytest.mark.django_db
def test_the_same_queries_at_two_list_sizes(cast, client_for, coordinator, clinician, director):
    good, stuck = cast
    client = client_for(director)
    _fill(good, 2, owner=clinician, escalated_to=director)
    _fill(stuck, 1, owner=clinician, problem="No usable channel to the referrer.")
    small, small_page = _count(client, "/comms/")
    small_section, _ = _count(client, "/comms/?section=upcoming&page=2")
    _fill(good, 40, owner=clinician, escalated_to=director, tag="more")  # beyond a page in every section
    DueCommunication.objects.filter(referral=good, key__startswith="late:").update(owner=None)
    _fill(stuck, 30, owner=coordinator, problem="No usable channel to the referrer.", tag="more")
    large, large_page = _count(client, "/comms/")
    large_section, _ = _count(client, "/comms/?section=upcoming&page=2")
    assert small == large == PAGE_QUERIES
    assert small_section == large_section == SECTION_PAGE_QUERIES
    work = large_page.context["queue"]
    assert [s.shown for s in work.sections] == [queue.PAGE] * 3 and len(work.escalated_to_me) == queue.PAGE
    assert large_page.context["counts"]["overdue"] > queue.PAGE
    assert small_page.context["counts"]["problems"] < large_page.context["counts"]["problems"]


@pytest.mark.django_db
def test_pages_of_a_section_follow_on(cast, client_for, coordinator, clinician):
    good, _ = cast
    _fill(good, 30, owner=clinician)
    client = client_for(coordinator)
    first = client.get("/comms/")
    body = first.content.decode()
    assert "Show more overdue" in body and 'href="?section=overdue&amp;page=2"' in body
    overdue = DueCommunication.objects.filter(status__in=["owed", "drafted"], due_at__lt=timezone.now())
    order = list(overdue.order_by("due_at", "id").values_list("id", flat=True))
    second = client.get("/comms/?section=overdue&page=2")
    (section,) = second.context["queue"].sections
    assert section.key == "overdue" and section.page == 2 and section.pages == -(-len(order) // queue.PAGE)
    shown = sorted((r for _, rows in section.groups for r in rows), key=lambda r: (r["due_at"], r["id"]))
    assert [r["id"] for r in shown] == order[queue.PAGE : 2 * queue.PAGE]
    assert "← Earlier" in second.content.decode()
    assert client.get("/comms/?section=overdue&page=99").context["queue"].sections[0].page == section.pages
    assert client.get("/comms/?section=overdue&page=x").context["queue"].sections[0].page == 1
    wrong = client.get("/comms/?section=late")
    assert wrong.status_code == 400 and b"the sections are overdue, today, upcoming" in wrong.content


@pytest.mark.django_db
def test_problems_are_grouped_by_referrer_with_the_fix(cast, client_for, coordinator, admin):
    good, stuck = cast
    failed = _draft_and_fail(DueCommunication.objects.filter(referral=good, key="ack").get())
    page = client_for(coordinator).get("/comms/")
    groups = {g.referrer_id: g for g in page.context["queue"].problems}
    assert set(groups) == {good.referrer_id, stuck.referrer_id}
    assert groups[good.referrer_id].failed == 1 and len(groups[stuck.referrer_id].rows) == 2  # ack and thanks
    body = page.content.decode()
    assert f'action="/comms/outbox/{failed.outbox.pk}/retry/"' in body and "Send again" in body
    assert f'href="/crm/referrers/{stuck.referrer_id}/"' in body and "The referrer's details" in body
    assert "/admin/directory/referrer/" not in body  # a coordinator cannot use the admin
    assert "&lt;i&gt;Ivy&lt;/i&gt;" in body and "<i>Ivy</i>" not in body


@pytest.mark.django_db
def test_the_partial_index_predicates_are_written_in_constants(cast, coordinator):
    with CaptureQueriesContext(connection) as captured:
        queue.work_queue(user=coordinator)
    # the picked rows, read by primary key (on PostgreSQL as one array of ids)
    by_id = re.compile(r'WHERE \(?"comms_duecommunication"\."id" (IN \(\d|= ANY\()')
    sql = [q["sql"] for q in captured.captured_queries if not by_id.search(q["sql"])]
    assert len(sql) == len(captured.captured_queries) - 1
    assert all("IN ('owed', 'drafted')" in s or "IN ('owed', 'drafted', 'approved')" in s for s in sql)
    assert any(re.search(r"NOT \(\S+\"problem\" = ''\)", s) for s in sql)


def _exact(user, mine=False):
    """The counts as the letters-on-time page would have them: every row, no cap."""
    now = timezone.now()
    bounds = queue._bounds(now)
    pending = queue._mine(DueCommunication.objects.filter(status__in=["owed", "drafted"]), user, mine)
    problems = DueCommunication.objects.filter(status__in=["owed", "drafted", "approved"]).exclude(problem="")
    return {
        "overdue": pending.filter(bounds["overdue"]).count(),
        "escalated": pending.filter(bounds["overdue"], escalated_at__isnull=False).count(),
        "today": pending.filter(bounds["today"]).count(),
        "upcoming": pending.filter(bounds["upcoming"]).count(),
        "problems": queue._mine(problems, user, mine).count(),
    }


@pytest.mark.django_db
def test_counts_are_exact_below_the_cap(cast, client_for, coordinator, clinician, director):
    good, stuck = cast
    _fill(good, 6, owner=clinician, escalated_to=director)
    _fill(stuck, 3, owner=coordinator, problem="No usable channel to the referrer.")
    for user, mine in ((coordinator, False), (coordinator, True), (director, True)):
        counts = queue.queue_counts(user=user, at=timezone.now(), mine=mine)
        assert counts == _exact(user, mine) and max(counts.values()) <= queue.CAP
    page = client_for(coordinator).get("/comms/")
    body = page.content.decode()
    assert f"<strong>{page.context['counts']['overdue']}</strong> overdue" in body and "Counts stop at" not in body
    assert (queue.shown(999), queue.shown(1000), queue.shown(1001)) == ("999", "1,000", "1,000+")


@pytest.mark.django_db
def test_above_the_cap_the_counts_stop_and_the_pages_go_on_while_full(
    cast, client_for, coordinator, clinician, director, monkeypatch
):
    good, stuck = cast
    _fill(good, 9, owner=clinician, escalated_to=director)
    _fill(stuck, 7, owner=coordinator, problem="No usable channel to the referrer.")
    exact = _exact(coordinator)
    monkeypatch.setattr(queue, "CAP", 5)
    monkeypatch.setattr(queue, "PAGE", 2)
    assert min(exact["overdue"], exact["escalated"], exact["upcoming"], exact["problems"]) > 5
    counts = queue.queue_counts(user=coordinator, at=timezone.now())
    assert counts == {key: min(n, 6) for key, n in exact.items()}  # each counted to CAP + 1 at most
    client = client_for(coordinator)
    queries, first = _count(client, "/comms/")
    assert queries == PAGE_QUERIES  # one statement of counts, capped or not
    body = first.content.decode()
    assert "<strong>5+</strong> overdue" in body and "<strong>5+</strong> of them escalated" in body
    assert (
        "<strong>5+</strong> with a problem" in body and 'Problems that stop a letter <span class="muted">(5+)' in body
    )
    assert "Counts stop at 5;" in body and 'href="/comms/sla/"' in body
    assert "Showing the first 2 of 5+." in body and 'href="?section=overdue&amp;page=2"' in body
    third = client.get("/comms/?section=overdue&page=3")
    (section,) = third.context["queue"].sections
    assert section.page == 3 and section.shown == 2 and section.later
    assert "Page 3 of 3+ · 5+ in all" in third.content.decode() and "Later →" in third.content.decode()
    last = exact["overdue"] // 2 + 1  # the page that reads fewer than PAGE rows (or none): the end
    end = client.get(f"/comms/?section=overdue&page={last}")
    (section,) = end.context["queue"].sections
    assert section.page == last and section.shown == exact["overdue"] % 2 and not section.later
    assert "Later →" not in end.content.decode() and "← Earlier" in end.content.decode()


def test_a_due_time_from_another_year_shows_its_year():
    from datetime import timedelta

    from django.utils import timezone

    from liaison.comms.queue_rows import _when

    now = timezone.now()
    assert str(now.year) not in _when(now)[1]
    last_year = now - timedelta(days=400)
    assert str(timezone.localtime(last_year).year) in _when(last_year)[1]


def test_a_due_time_reads_as_the_templates_date_filter_writes_it():
    from django.utils import dateformat, timezone

    from liaison.comms.queue_rows import _when

    start = datetime(2025, 12, 28, 0, 0, tzinfo=UTC)
    for hours in range(0, 24 * 9, 7):  # every hour of the clock, a new year, each day of the week
        at = start + timedelta(hours=hours, minutes=hours % 60)
        local = timezone.localtime(at)
        for year in (local.year, local.year + 1):
            shown = "D M j, g:i A" if local.year == year else "D M j, Y, g:i A"
            assert _when(at, year) == (local.isoformat(), dateformat.format(local, shown)), at
