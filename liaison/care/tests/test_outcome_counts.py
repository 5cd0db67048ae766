"""The stored outcome counts (care.models.OutcomeCount, decision 0024) are the grouped counts of the stored
outcomes, whatever was recorded, however often, and after a reconcile."""

import datetime
import importlib
import random
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from liaison.care import queries, services
from liaison.care.models import OutcomeCount, ReferralOutcome
from liaison.care.stored_outcomes import COUNTS, count_key, counts_refresh, outcome_refresh, reconcile_outcomes
from liaison.care.tests.conftest import phq9
from liaison.care.tests.test_stored_outcomes import AT, FIRST, _random_history, submit
from liaison.referrals.choices import Status
from liaison.referrals.models import Referral

pytestmark = pytest.mark.django_db
SOURCES = ["psychiatry", "primary_care", "pain"]  # and "self", for referrals with no referrer


def grouped_from_outcomes(by: str, referrer_ids=None) -> dict:
    """The page's figures the old way: one grouped query over every treated ReferralOutcome."""
    rows = ReferralOutcome.objects.filter(treated_on__isnull=False)
    if referrer_ids is not None:
        rows = rows.filter(referrer_id__in=referrer_ids)
    if by == "practice":
        found = [{"key": "practice", **rows.aggregate(**COUNTS)}]
    else:
        (column,) = queries.GROUPINGS[by]
        found = [{"key": str(r.pop(column) or ""), **r} for r in rows.order_by().values(column).annotate(**COUNTS)]
    return {r["key"]: tuple(r[n] for n in COUNTS) for r in found if r["treated"]}


def from_counts(by: str, user, referrer_ids=None) -> dict:
    rows = queries.outcome_aggregates(user=user, by=by, referrer_ids=referrer_ids)
    return {r.key: tuple(getattr(r, n) for n in COUNTS) for r in rows}


def assert_counts_current(user, *referrer_ids):
    for by in queries.GROUPINGS:
        assert from_counts(by, user) == grouped_from_outcomes(by), by
        for ids in ([], list(referrer_ids)):
            assert from_counts(by, user, ids) == grouped_from_outcomes(by, ids), (by, ids)


def stored_counts() -> list[tuple]:
    return list(OutcomeCount.objects.order_by("key").values_list("key", "referrer_id", "source_type", *COUNTS))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_counts_follow_every_recording_and_move_with_the_referrer(
    seed, make_referral, record, clinician, coordinator, director, alice_referrer, colleague_referrer
):
    rng = random.Random(seed)
    referrers = [alice_referrer, colleague_referrer, None]
    referrals = []
    for _ in range(8):
        referrer = rng.choice(referrers)
        status = rng.choice([Status.ACCEPTED, Status.ACUTE, Status.ACUTE_COMPLETE])
        source = rng.choice(SOURCES) if referrer else "self"
        referrals.append(make_referral(status, referrer=referrer, source_type=source))

    def fresh():
        return Referral.objects.get(pk=rng.choice(referrals).pk)

    def day():
        return FIRST + datetime.timedelta(days=rng.choice([0, 3, 10, 30, 60]))

    def score():
        return phq9(rng.choice([0, 4, 5, 9, 10, 14, 20, 27])) if rng.random() < 0.85 else None

    steps = [
        lambda: record(fresh(), rng.choice(["evaluation", "acute", "acute", "maintenance"]), day(), phq9=score()),
        lambda: services.assessment_record(
            referral=fresh(),
            by=clinician,
            instrument="phq9",
            score=services.ScoreInput(total=rng.randint(0, 27)),
            taken_on=day(),
            source="staff",
            at=AT,
        ),
        lambda: submit(rng, fresh(), coordinator),
    ]
    first = make_referral(referrer=colleague_referrer, source_type="pain")  # one treated course at least
    referrals.append(first)
    record(first, "evaluation", FIRST, phq9=phq9(20))
    record(Referral.objects.get(pk=first.pk), "acute", FIRST + datetime.timedelta(days=9), phq9=phq9(9))
    assert_counts_current(director, colleague_referrer.pk)
    for _ in range(30):
        try:
            rng.choice(steps)()
        except ValidationError:  # a session the referral's status does not allow: nothing written
            continue
        assert_counts_current(director, alice_referrer.pk, colleague_referrer.pk)
    assert OutcomeCount.objects.exists()
    # A referral that changes referrer and source type: its old cell and its new one are both recounted.
    moved = ReferralOutcome.objects.filter(treated_on__isnull=False, referrer__isnull=False).first().referral
    Referral.objects.filter(pk=moved.pk).update(referrer=None, source_type="self")
    outcome_refresh(moved)
    assert_counts_current(director, alice_referrer.pk, colleague_referrer.pk)
    # A cell left with no treated outcome is removed, not kept at zero.
    assert not OutcomeCount.objects.filter(treated=0).exists()
    # The reconcile rebuilds the same table.
    before = stored_counts()
    reconcile_outcomes()
    assert stored_counts() == before
    assert_counts_current(director, alice_referrer.pk, colleague_referrer.pk)


def test_recounting_is_repeat_safe(make_referral, record, director, colleague_referrer):
    one = make_referral(referrer=colleague_referrer, source_type="pain")
    record(one, "evaluation", FIRST, phq9=phq9(20))
    record(Referral.objects.get(pk=one.pk), "acute", FIRST + datetime.timedelta(days=9), phq9=phq9(4))
    before = stored_counts()
    assert before == [(count_key(colleague_referrer.pk, "pain"), colleague_referrer.pk, "pain", 1, 1, 1, 0, 1)]
    for _ in range(3):
        outcome_refresh(one)
        counts_refresh({(colleague_referrer.pk, "pain"), (None, "self")})
    assert stored_counts() == before
    assert reconcile_outcomes().changed == 0
    assert stored_counts() == before


@pytest.mark.parametrize("seed", [7, 11])
def test_the_reconcile_rebuilds_counts_written_past_the_services(seed, make_referral, clinician, director):
    rng = random.Random(seed)
    referrals = [
        make_referral(Status.ACUTE, referrer=None, source_type="self")
        if i % 5 == 0
        else make_referral(Status.ACUTE, source_type=rng.choice(SOURCES))
        for i in range(40)
    ]
    for referral in referrals:
        _random_history(rng, referral, clinician)  # straight to the tables: no outcome, no counts
    assert not OutcomeCount.objects.exists()
    reconcile_outcomes()
    assert OutcomeCount.objects.exists()
    assert_counts_current(director, referrals[1].referrer_id)
    OutcomeCount.objects.update(treated=999)  # wrong counts, and a cell that should not be there
    OutcomeCount.objects.create(key="x:x", source_type="x", treated=5)
    reconcile_outcomes()
    assert_counts_current(director, referrals[1].referrer_id)
    assert not OutcomeCount.objects.filter(source_type="x").exists()


def test_the_migration_fills_the_counts_of_the_outcomes_already_stored(make_referral, record, colleague_referrer):
    from django.apps import apps

    fill = importlib.import_module("liaison.care.migrations.0006_outcome_count").fill
    for before, after, referrer in [(20, 4, colleague_referrer), (20, 15, None), (12, 11, colleague_referrer)]:
        one = make_referral(referrer=referrer, source_type="pain" if referrer else "self")
        record(one, "evaluation", FIRST, phq9=phq9(before))
        record(Referral.objects.get(pk=one.pk), "acute", FIRST + datetime.timedelta(days=9), phq9=phq9(after))
    kept = stored_counts()
    OutcomeCount.objects.all().delete()
    fill(apps, SimpleNamespace(connection=connection))
    assert stored_counts() == kept and len(kept) == 2
