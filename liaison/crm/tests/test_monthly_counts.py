"""Referrals by month and source, stored for the network page (liaison.crm.monthly_counts): kept by the
`crm.monthly_counts` reaction, rebuilt nightly in sets, read by the page with silent months shown."""

from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison.core import events
from liaison.crm import monthly_counts
from liaison.crm.models import MonthlyReferralCount
from liaison.crm.months import months_ending
from liaison.directory.choices import SourceType
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.choices import IntakeChannel
from liaison.referrals.tests.factories import ReferralDataFactory, ReferralFactory, receive_referral

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 15, 16, 0, tzinfo=UTC)


def stored() -> dict[tuple[date, str], int]:
    return {(r.month, r.source_type): r.count for r in MonthlyReferralCount.objects.all()}


def received(referral) -> events.Event:
    return events.Event("referral.received", referral.pk, payload={"at": referral.received_at.isoformat()})


def test_a_received_referral_is_counted_in_its_month_and_source_in_the_clinics_time_zone():
    psychiatrist = ReferrerFactory(source_type=SourceType.PSYCHIATRY)
    # 02:00 UTC on June 1st is still May 31st in New York (the clinic's time zone in the test settings).
    receive_referral(referral=ReferralDataFactory(referrer=psychiatrist), at=datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    receive_referral(referral=ReferralDataFactory(referrer=psychiatrist), at=datetime(2026, 6, 1, 5, 0, tzinfo=UTC))
    receive_referral(
        referral={"reason": "For myself."}, channel=IntakeChannel.SELF, at=datetime(2026, 6, 2, tzinfo=UTC)
    )
    assert stored() == {
        (date(2026, 5, 1), SourceType.PSYCHIATRY): 1,
        (date(2026, 6, 1), SourceType.PSYCHIATRY): 1,
        (date(2026, 6, 1), SourceType.SELF): 1,
    }


def test_the_reaction_recounts_so_running_it_twice_or_after_a_bulk_load_writes_the_true_count(settings):
    settings.INTAKE_FOLLOWUP = "worker"  # intake leaves the reaction under test undone
    referrer = ReferrerFactory(source_type=SourceType.THERAPY)
    at = datetime(2026, 3, 10, 15, tzinfo=UTC)
    first = receive_referral(referral=ReferralDataFactory(referrer=referrer), at=at)
    ReferralFactory(referrer=referrer, received_at=at)  # written around the services, as a bulk load would
    batch = [received(first), received(first)]
    monthly_counts.received(batch)
    monthly_counts.received(batch)
    assert stored() == {(date(2026, 3, 1), SourceType.THERAPY): 2}


def test_the_reaction_is_in_the_registry_after_commit_in_batches():
    handler = events.handler_find("referral.received", "crm.monthly_counts")
    assert handler is not None and handler.func is monthly_counts.received
    assert handler.when == events.AFTER_COMMIT and handler.batch


def test_the_nightly_rebuild_replaces_every_cell_from_the_referrals_in_one_grouped_query():
    referrer = ReferrerFactory(source_type=SourceType.PRIMARY_CARE)
    for day in (3, 17, 30):
        ReferralFactory(referrer=referrer, received_at=datetime(2026, 4, day, 15, tzinfo=UTC))
    ReferralFactory(
        referrer=None, source_type=SourceType.SELF, channel="self", received_at=datetime(2026, 2, 1, 12, tzinfo=UTC)
    )
    MonthlyReferralCount.objects.create(month=date(2025, 1, 1), source_type=SourceType.PAIN, count=9)  # stale
    with CaptureQueriesContext(connection) as queries:
        assert monthly_counts.rebuild_monthly_counts() == 2
    grouped = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"] and "source_type" in q["sql"]]
    assert len(grouped) == 1
    assert stored() == {(date(2026, 4, 1), SourceType.PRIMARY_CARE): 3, (date(2026, 2, 1), SourceType.SELF): 1}


def test_the_rebuild_agrees_with_the_reaction():
    for i, source in enumerate((SourceType.PSYCHIATRY, SourceType.PSYCHIATRY, SourceType.NEUROLOGY)):
        referrer = ReferrerFactory(source_type=source)
        receive_referral(referral=ReferralDataFactory(referrer=referrer), at=datetime(2026, 1 + i, 28, 23, tzinfo=UTC))
    kept = stored()
    monthly_counts.rebuild_monthly_counts()
    assert stored() == kept and sum(kept.values()) == 3


def test_the_command_rebuilds_and_says_how_many_cells():
    ReferralFactory(referrer=ReferrerFactory(source_type=SourceType.EAP), received_at=NOW)
    out = StringIO()
    call_command("rebuild_monthly_counts", stdout=out)
    assert out.getvalue().startswith("Rebuilt 1 monthly counts in ")
    assert stored() == {(date(2026, 7, 1), SourceType.EAP): 1}


def test_the_nightly_rebuild_runs_with_the_other_nightly_jobs():
    from liaison.comms import worker

    assert worker._periodic["crm.monthly_counts_rebuild"] == (24 * 60 * 60, monthly_counts.rebuild_monthly_counts)


def test_months_run_back_across_the_year_and_a_silent_month_is_a_zero():
    months = months_ending(datetime(2026, 2, 1, 3, tzinfo=UTC), 3)  # Jan 31st, evening, in New York
    assert months == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)]
    MonthlyReferralCount.objects.create(month=date(2025, 11, 1), source_type=SourceType.SELF, count=4)
    MonthlyReferralCount.objects.create(month=date(2025, 10, 1), source_type=SourceType.SELF, count=7)  # before
    assert monthly_counts.counts_by_month(months) == {
        date(2025, 11, 1): {SourceType.SELF: 4},
        date(2025, 12, 1): {},
        date(2026, 1, 1): {},
    }
