"""Each referrer's referrals by month and by where they got to, stored for the relationship page
(liaison.crm.referrer_counts): kept by the `crm.referrer_counts` reaction when a referral arrives, moves or is
merged, rebuilt nightly in sets, and read by the page in one query — always the same figures as counting the
referrals themselves."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext

from liaison.accounts.tests.factories import CoordinatorFactory, LiaisonFactory
from liaison.core import events
from liaison.crm import monthly_counts, queries, referrer_counts
from liaison.crm.health.scoring import ACCEPTED, DISAPPOINTING, TREATED
from liaison.crm.models import ReferrerMonthCount
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.choices import Status
from liaison.referrals.models import Referral
from liaison.referrals.services import referral_transition
from liaison.referrals.tests.factories import ReferralDataFactory, ReferralFactory, receive_referral

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 15, 16, 0, tzinfo=UTC)


def counted(referrer) -> dict:
    """The figures counted from the referrals themselves, as the page counted them before they were stored."""
    return Referral.objects.filter(referrer=referrer).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(is_open=True)),
        accepted=Count("pk", filter=Q(status__in=ACCEPTED)),
        treated=Count("pk", filter=Q(status__in=TREATED)),
        returned=Count("pk", filter=Q(status=Status.RETURNED)),
        not_treated=Count("pk", filter=Q(status__in=DISAPPOINTING)),
    )


def stored(referrer) -> dict:
    return referrer_counts.referrer_summary(referrer.pk, NOW)[1]


def test_a_received_referral_and_its_lifecycle_steps_are_counted_in_its_referrers_month():
    referrer = ReferrerFactory()
    # 02:00 UTC on June 1st is still May 31st in New York (the clinic's time zone in the test settings).
    first = receive_referral(referral=ReferralDataFactory(referrer=referrer), at=datetime(2026, 6, 1, 2, tzinfo=UTC))
    receive_referral(referral=ReferralDataFactory(referrer=referrer), at=datetime(2026, 6, 1, 5, tzinfo=UTC))
    cells = ReferrerMonthCount.objects.filter(referrer=referrer)
    assert sorted(cells.values_list("month", "total", "open")) == [(date(2026, 5, 1), 1, 1), (date(2026, 6, 1), 1, 1)]

    referral_transition(referral=first, to=Status.ACKNOWLEDGED, by=CoordinatorFactory())
    referral_transition(referral=first, to=Status.CANCELLED, by=CoordinatorFactory(), reason="Sent twice.")
    assert stored(referrer) == counted(referrer)
    assert stored(referrer)["open"] == 1


def test_the_reaction_recounts_so_running_it_twice_or_after_a_bulk_load_writes_the_true_count(settings):
    settings.INTAKE_FOLLOWUP = "worker"  # intake leaves the reaction under test undone
    referrer = ReferrerFactory()
    at = datetime(2026, 3, 10, 15, tzinfo=UTC)
    first = receive_referral(referral=ReferralDataFactory(referrer=referrer), at=at)
    ReferralFactory(referrer=referrer, received_at=at, status=Status.RETURNED, is_open=False)  # around the services
    batch = [events.Event("referral.transitioned", first.pk), events.Event("referral.received", first.pk)]
    referrer_counts.changed(batch)
    referrer_counts.changed(batch)
    assert stored(referrer) == counted(referrer) == {
        "total": 2, "open": 1, "accepted": 1, "treated": 1, "returned": 1, "not_treated": 0,
    }  # fmt: skip


@pytest.mark.parametrize("kind", ["referral.received", "referral.transitioned", "referral.merged"])
def test_the_reaction_is_in_the_registry_after_commit_in_batches(kind):
    handler = events.handler_find(kind, "crm.referrer_counts")
    assert handler is not None and handler.func is referrer_counts.changed
    assert handler.when == events.AFTER_COMMIT and handler.batch


def test_the_nightly_rebuild_on_random_referrals_gives_the_figures_counted_from_them():
    rng = random.Random(13)
    referrers = [ReferrerFactory() for _ in range(3)]
    statuses = list(Status.values)
    for _ in range(60):
        at, is_open = NOW - timedelta(days=rng.randrange(0, 500), hours=rng.randrange(24)), rng.random() < 0.5
        ReferralFactory(
            referrer=rng.choice(referrers),
            received_at=at,
            status=rng.choice(statuses),
            is_open=is_open,
            closed_at=None if is_open else at + timedelta(days=1),
        )
    ReferrerMonthCount.objects.create(referrer=referrers[0], month=date(2020, 1, 1), total=9)  # stale
    monthly_counts.rebuild_monthly_counts()  # the nightly job, which rebuilds these too
    for referrer in referrers:
        months, totals = referrer_counts.referrer_summary(referrer.pk, NOW)
        assert totals == counted(referrer)
        recent = Referral.objects.filter(referrer=referrer, received_at__gte=datetime(2025, 8, 1, 4, tzinfo=UTC))
        assert sum(m["n"] for m in months) == recent.count()
        assert all(m["month"] >= date(2025, 8, 1) and m["n"] for m in months)


def test_the_page_reads_the_months_and_the_outcomes_in_one_query():
    referrer = ReferrerFactory()
    for day in (3, 17):
        receive_referral(referral=ReferralDataFactory(referrer=referrer), at=datetime(2026, 4, day, 15, tzinfo=UTC))
    liaison = LiaisonFactory()
    with CaptureQueriesContext(connection) as captured:
        months, totals = referrer_counts.referrer_summary(referrer.pk, NOW)
    assert len(captured) == 1
    assert months == [{"month": date(2026, 4, 1), "n": 2}] and totals["total"] == 2 and totals["open"] == 2
    assert queries.outcome_aggregates_for(referrer_ids=[referrer.pk]) == counted(referrer)
    assert queries.referral_summary(user=liaison, referrer=referrer, now=NOW)["outcomes"] == totals
