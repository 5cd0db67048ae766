"""Query counts pinned for every list page and dashboard (NetBox's query-count baselines): each page is asked at two
sizes of the demo network (written through the services, so every list has rows), and must cost the same number
of queries at both, and exactly the number in PINS.

If your change adds or removes a query on purpose, change the page's number in PINS (and say why in the commit). If
the two sizes differ, a query runs per row (or per group): the failure lists the tables of both runs, so the diff
names it. The inbox, the portal, the referral page and the directory also have their queries pinned table by table
in liaison/referrals/tests/test_query_counts.py. The timed side of the same pages is bench/pages.py.
"""

import re

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liaison.accounts.models import User
from liaison.demo.network import build_demo_network

# page: queries for one signed-in request, warm (the page asked once before). One table, to edit when you mean it.
PINS = {
    "inbox": 12,  # one audit row for the referrals and the open safety alerts above them (decision 0034)
    "inbox, closed": 12,
    "work queue": 12,  # the counts with the sections', escalated and problem ids (one UNION ALL), then those rows
    "work queue, mine": 12,
    "letters on time": 10,  # the newest snapshot of its figures, one query (decision 0033)
    "outbox": 16,  # the counts in one statement, a page per channel, the problems per referrer in two (and, when
    # some referrer has a problem, their names in one more: the demo network has none)
    "liaison's tasks": 8,  # the sections' counts and first ids in one statement, then those rows by id
    "liaison's tasks, everyone's": 8,
    "target list": 16,
    "network": 11,  # at risk counted, health's time and the first referral in one statement
    "referrers directory": 9,
    "outcomes": 7,
    "open safety alerts": 11,
    "audit trail": 11,
    "portal": 10,
    "referrer relationship": 10,  # the panels and the forms' owners and templates in one statement
    "practice relationship": 9,
    "search, a misspelt surname": 16,  # vocabulary twice; patients by last, by first; referrals; referrers; practices
}

# page: (who asks, URL name, the record it opens, query string)
PAGES = {
    "inbox": ("coordinator", "referrals:inbox", None, ""),
    "inbox, closed": ("coordinator", "referrals:inbox", None, "?status=closed"),
    "work queue": ("coordinator", "comms:queue", None, ""),
    "work queue, mine": ("coordinator", "comms:queue", None, "?mine=1"),
    "letters on time": ("director", "comms:sla", None, ""),
    "outbox": ("coordinator", "comms:outbox", None, ""),
    "liaison's tasks": ("liaison", "crm:tasks", None, ""),
    "liaison's tasks, everyone's": ("liaison", "crm:tasks", None, "?who=all"),
    "target list": ("liaison", "crm:targets", None, ""),
    "network": ("liaison", "crm:network", None, ""),
    "referrers directory": ("liaison", "directory:referrers", None, ""),
    "outcomes": ("director", "care:outcomes", None, ""),
    "open safety alerts": ("clinician", "care:alerts", None, ""),
    "audit trail": ("director", "core:audit", None, ""),
    "portal": ("referrer", "intake:portal", None, ""),
    "referrer relationship": ("liaison", "crm:referrer", "referrer", ""),  # its referrals, meetings, outreach
    "practice relationship": ("liaison", "crm:practice", "practice", ""),  # its clinicians
    "search, a misspelt surname": ("coordinator", "search:results", None, "?q=Kely"),
}
# A section with nothing in it would skip its query: such a page is pinned at its cost with every section showing,
# less one per empty section, read from the page's own context. (The work queue's sections are one statement
# whatever is empty; only its read of their rows is skipped when all are.)
EMPTY_SECTIONS: dict = {
    "search, a misspelt surname": lambda context: context["results"].skipped,
    # nothing to show in any section (none of mine at the small size): the rows' read by id is skipped
    "work queue": lambda context: not context["queue"].referral_ids(),
    "work queue, mine": lambda context: not context["queue"].referral_ids(),
}
SIZES = {"small": (10, 30), "large": (20, 90)}  # referrers, referrals: the large one has three times the rows
TABLE = re.compile(r'^(?:SELECT .*? FROM|INSERT INTO|UPDATE|DELETE FROM) "(\w+)"', re.S)


def _tables(captured) -> list[str]:
    return [(m.group(1) if (m := TABLE.match(q["sql"])) else q["sql"].split()[0]) for q in captured]


def _count_pages() -> dict[str, tuple[list[str], int]]:
    """Each page's queries (as the tables they touch) in the demo network now in the database, and how many
    queries its empty sections skipped."""
    users = {u.username: u for u in User.objects.filter(username__in={p[0] for p in PAGES.values()})}
    referrer = users["referrer"].referrer  # the demo's top referrer (the referring clinician's own)
    records = {"referrer": referrer.pk, "practice": referrer.practice_id}
    out = {}
    for page, (role, name, record, query) in PAGES.items():
        client = Client()
        client.force_login(users[role])
        url = reverse(name, args=[records[record]] if record else []) + query
        assert client.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, url
        skipped = EMPTY_SECTIONS[page](response.context) if page in EMPTY_SECTIONS else 0
        out[page] = (_tables(captured.captured_queries), skipped)
    return out


@pytest.fixture(scope="module")
def counted(django_db_setup, django_db_blocker) -> dict[str, dict[str, tuple[list[str], int]]]:
    """{size: {page: tables}}: each size's network written, its pages counted, then rolled back."""
    out = {}
    with django_db_blocker.unblock():
        for size, (referrers, referrals) in SIZES.items():
            caches["default"].clear()  # no figure cached from the other size
            with transaction.atomic():
                # as of now, as the pages see it: letters due today and this week as well as overdue
                build_demo_network(seed=2026, referrers=referrers, referrals=referrals)
                out[size] = _count_pages()
                transaction.set_rollback(True)
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("page", list(PAGES))
def test_a_list_page_costs_the_same_at_both_sizes_and_what_is_pinned(page, counted):
    (small, small_skipped), (large, large_skipped) = counted["small"][page], counted["large"][page]
    grows = f"{page}: the query count grows with the list: {small} at the small size, {large} at the large"
    assert len(large) + large_skipped == len(small) + small_skipped, grows
    if not small_skipped and not large_skipped:
        assert large == small, grows
    # PINS counts SQLite's; PostgreSQL writes an audit row in one statement fewer (WITH ..., decision 0032).
    pinned = PINS[page] - sum(pair == ("core_auditchainhead", "WITH") for pair in zip(large, large[1:], strict=False))
    assert len(large) + large_skipped == pinned, f"{page}: {len(large)} queries, pinned at {pinned}: {large}"


def test_every_page_is_pinned():
    assert set(PINS) == set(PAGES)
