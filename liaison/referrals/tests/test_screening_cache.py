"""The screening tables read once per process and again after every change (referrals/screening_cache.py)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison.referrals import screening, screening_cache
from liaison.referrals.intake_models import AdequateDose, ScreeningRule
from liaison.referrals.tests.factories import TrialDataFactory, receive_referral

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh():
    screening_cache.forget()
    yield
    screening_cache.forget()


def _reads_tables(run) -> bool:
    with CaptureQueriesContext(connection) as queries:
        run()
    return any("referrals_screeningrule" in q["sql"] or "referrals_adequatedose" in q["sql"] for q in queries)


def test_a_second_screening_reads_no_table():
    assert _reads_tables(screening.practice_tables)
    assert not _reads_tables(screening.practice_tables)
    assert not _reads_tables(lambda: receive_referral(trials=[TrialDataFactory(drug="sertraline")]))


@pytest.mark.parametrize(
    "change",
    [
        lambda: ScreeningRule.objects.filter(key="trial-adequate").update(number=10),
        lambda: ScreeningRule.objects.get(key="trial-adequate").delete(),
        lambda: AdequateDose.objects.filter(drug="sertraline").delete(),
        lambda: AdequateDose.objects.create(drug="newdrug", min_daily_mg=Decimal("5")),
        lambda: AdequateDose.objects.bulk_update(
            [AdequateDose(pk=AdequateDose.objects.get(drug="sertraline").pk, min_daily_mg=Decimal("300"))],
            ["min_daily_mg"],
        ),
    ],
)
def test_a_change_is_read_at_once_here_and_after_commit_everywhere(change, django_capture_on_commit_callbacks):
    screening.practice_tables()
    before = screening_cache._token()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change()
        assert screening.practice_tables() == (screening.load_rules(), screening.load_doses())  # this process
        assert screening_cache._token() == before  # not yet for the others: nothing is committed
    for callback in callbacks:
        callback()
    assert screening_cache._token() != before  # every process reads the tables again before its next screening
    assert _reads_tables(screening.practice_tables)  # this one too, once


def test_the_practice_rule_change_applies_to_the_next_referral(django_capture_on_commit_callbacks):
    two_trials = [TrialDataFactory(drug="sertraline"), TrialDataFactory(drug="venlafaxine")]
    assert receive_referral(trials=two_trials).screening.resistance == "likely"
    with django_capture_on_commit_callbacks(execute=True):
        ScreeningRule.objects.filter(key="trial-adequate").update(number=10)
    two_trials = [TrialDataFactory(drug="sertraline"), TrialDataFactory(drug="venlafaxine")]
    assert receive_referral(trials=two_trials).screening.resistance == "review"  # 8 weeks is no longer enough


def test_without_the_shared_store_the_tables_are_read_each_time(monkeypatch):
    def away():
        raise ConnectionError("store away")

    monkeypatch.setattr(screening_cache, "_token", away)
    assert _reads_tables(screening.practice_tables) and _reads_tables(screening.practice_tables)
