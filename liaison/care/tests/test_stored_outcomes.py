"""Stored outcomes (decision 0024): kept current by every path that records a score or a session, reconciled in
sets with the same answers as care.outcomes, and read by the outcomes page in one grouped query."""

import contextlib
import datetime
import io
import random
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from liaison.care import handlers, outcomes, queries, services
from liaison.care.models import Assessment, ReferralOutcome, Session
from liaison.care.stored_outcomes import TREATED_KINDS, outcome_fields, outcome_refresh, reconcile_outcomes
from liaison.care.tests.conftest import RECEIVED, gad7, phq9
from liaison.core import events
from liaison.referrals.choices import Status
from liaison.referrals.models import Referral

pytestmark = pytest.mark.django_db
AT = timezone.make_aware(datetime.datetime(2025, 6, 1, 12))
FIRST = RECEIVED.date()


def expected(referral_id: int) -> dict | None:
    """The referral's outcome from scratch, the way the referral page works it out (queries.care_panel)."""
    sessions = {s.pk: s for s in Session.objects.filter(referral_id=referral_id)}
    assessments = Assessment.objects.filter(referral_id=referral_id).order_by("taken_on", "id")
    result = outcomes.outcome(queries.phq9_scores(assessments, sessions))
    treated_on = min((s.held_on for s in sessions.values() if s.kind in TREATED_KINDS), default=None)
    if not result.scores and treated_on is None:
        return None
    referral = Referral.objects.get(pk=referral_id)
    keys = {"referrer_id": referral.referrer_id, "source_type": referral.source_type, "treated_on": treated_on}
    return keys | outcome_fields(result)


def stored(referral_id: int) -> dict | None:
    row = ReferralOutcome.objects.filter(pk=referral_id).values().first()
    if row is None:
        return None
    row.pop("referral_id")
    return row


def assert_current(*referral_ids):
    for rid in referral_ids:
        assert stored(rid) == expected(rid), rid


# ---------------------------------------------------------------- the rules in SQL are the rules in Python


def test_the_sql_rules_agree_with_python_on_every_pair_of_scores():
    pairs = [(b, c) for b in range(28) for c in [*range(28), None]]
    values = ", ".join(f"({b}, {'NULL' if c is None else c})" for b, c in pairs)
    sql = (
        f"SELECT b, c, {outcomes.response_sql('b', 'c')}, {outcomes.remission_sql('c')} "  # noqa: S608
        f"FROM (SELECT column1 AS b, column2 AS c FROM (VALUES {values}) AS v) AS t"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        found = {(b, c): (response, remission) for b, c, response, remission in cursor.fetchall()}
    for b, c in pairs:
        want = (None, None) if c is None else (outcomes.classify_response(b, c), outcomes.is_remission(c))
        got = found[(b, c)]
        assert (got[0], None if got[1] is None else bool(got[1])) == want, (b, c)


def test_the_sql_baseline_preference_is_pick_baselines():
    kinds = ["evaluation", "acute", "maintenance", ""]
    sql = " UNION ALL ".join(f"SELECT '{k}' AS k, {outcomes.baseline_rank_sql(repr(k))} AS r" for k in kinds)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        ranks = dict(cursor.fetchall())
    assert ranks == {"evaluation": 0, "acute": 1, "maintenance": 1, "": 2}


# ---------------------------------------------------------------- every recording path keeps the row current


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_recording_path_stores_the_outcome_computed_from_scratch(
    seed, make_referral, record, clinician, coordinator
):
    rng = random.Random(seed)
    treating = make_referral(Status.ACCEPTED)
    maintained = make_referral(Status.ACUTE_COMPLETE)
    untreated = make_referral(Status.RECEIVED)
    ids = [treating.pk, maintained.pk, untreated.pk]
    assert_current(*ids)  # nothing yet: no rows

    def day():
        return FIRST + datetime.timedelta(days=rng.choice([0, 3, 3, 10, 30, 60, 100]))  # ties on purpose

    def score():
        return phq9(rng.choice([0, 1, 4, 5, 9, 10, 14, 20, 27])) if rng.random() < 0.8 else None

    def fresh(referral):
        return Referral.objects.get(pk=referral.pk)

    steps = [
        lambda: record(fresh(treating), "evaluation", day(), phq9=score()),
        lambda: record(fresh(treating), "acute", day(), phq9=score(), gad7=gad7(5)),
        lambda: record(fresh(maintained), "maintenance", day(), phq9=score()),
        lambda: record(fresh(untreated), "evaluation", day(), phq9=score()),
        lambda: services.assessment_record(
            referral=fresh(rng.choice([treating, maintained, untreated])),
            by=clinician,
            instrument=rng.choice(["phq9", "phq9", "gad7"]),
            score=services.ScoreInput(total=rng.randint(0, 21)),
            taken_on=day(),
            source=rng.choice(["staff", "import"]),
            at=AT,
        ),
        lambda: submit(rng, fresh(rng.choice([treating, untreated])), coordinator),
    ]
    for _ in range(14):
        with contextlib.suppress(ValidationError):  # a session the referral's status does not allow: nothing written
            rng.choice(steps)()
        assert_current(*ids)
    # A merge moves the merged referral's loose scores onto the kept one: both rows follow.
    event = events.Event(
        "referral.merged", treating.pk, payload={"merged_id": untreated.pk}, context={"by": coordinator}
    )
    handlers.merged_keep(event)
    assert_current(*ids)
    assert reconcile_outcomes().changed == 0  # the nightly reconcile finds nothing to correct


def submit(rng, referral, coordinator):
    _, token = services.questionnaire_link_create(referral=referral, by=coordinator, at=AT)
    items = phq9(rng.randint(0, 20)).items
    if rng.random() < 0.3:
        items = [*items[:4], None, *items[5:]]  # incomplete: no total, no outcome
    services.questionnaire_submit(token=token, phq9=services.ScoreInput(items=items), gad7=gad7(3), at=AT)


# ---------------------------------------------------------------- the reconcile in sets


def _random_history(rng, referral, clinician):
    sessions = []
    for kind in rng.choices(["evaluation", "acute", "maintenance"], k=rng.randint(0, 4)):
        number = sum(s.kind == "acute" for s in sessions) + 1 if kind == "acute" else None
        sessions.append(
            Session(
                referral=referral,
                kind=kind,
                number=number,
                planned=6 if number else None,
                held_on=FIRST + datetime.timedelta(days=rng.choice([1, 5, 5, 9])),
                clinician=clinician,
            )
        )
    Session.objects.bulk_create(sessions)
    scores = []
    for _ in range(rng.randint(0, 6)):
        instrument = rng.choice(["phq9", "phq9", "phq9", "gad7"])
        total = rng.choice([None, 0, 3, 4, 5, 8, 10, 15, 20, 21])
        scores.append(
            Assessment(
                referral=referral,
                session=rng.choice([None, *sessions]),
                instrument=instrument,
                loinc="x",
                total=total,
                taken_on=FIRST + datetime.timedelta(days=rng.choice([0, 1, 5, 5, 9, 12])),
                source="import",
            )
        )
    Assessment.objects.bulk_create(scores)


@pytest.mark.parametrize("seed", [7, 11])
def test_the_reconcile_in_sets_stores_what_python_works_out_and_only_corrects_differences(
    seed, make_referral, clinician
):
    rng = random.Random(seed)
    referrals = [make_referral(Status.ACUTE, **({"referrer": None} if i % 7 == 0 else {})) for i in range(60)]
    for referral in referrals:
        _random_history(rng, referral, clinician)  # straight to the tables, past the services
    first = reconcile_outcomes()
    assert first.deleted == first.updated == 0 and first.inserted == first.rows > 30
    assert_current(*[r.pk for r in referrals])
    assert reconcile_outcomes().changed == 0
    # A stale row, a row of a referral with nothing measured, a missing row: each is put right, nothing else.
    some = ReferralOutcome.objects.order_by("pk")
    stale, gone = some[0], some[1]
    ReferralOutcome.objects.filter(pk=stale.pk).update(current_total=None, response=None, remission=None, scores=99)
    ReferralOutcome.objects.filter(pk=gone.pk).delete()
    extra = make_referral(Status.ACUTE)
    ReferralOutcome.objects.create(referral=extra, source_type="x", scores=1)
    result = reconcile_outcomes()
    assert (result.inserted, result.updated, result.deleted) == (1, 1, 1)
    assert_current(extra.pk, *[r.pk for r in referrals])


def test_the_command_says_what_it_changed(accepted, record):
    record(accepted, "evaluation", FIRST, phq9=phq9(20))
    ReferralOutcome.objects.all().delete()
    out = io.StringIO()
    call_command("reconcile_outcomes", stdout=out)
    assert "Reconciled 1 stored outcomes" in out.getvalue() and "1 changed (1 added" in out.getvalue()
    out = io.StringIO()
    call_command("reconcile_outcomes", stdout=out)
    assert "0 changed" in out.getvalue()


# ---------------------------------------------------------------- the page reads the stored rows


def _course(record, referral, before: int, after: int):
    record(referral, "evaluation", FIRST, phq9=phq9(before))
    record(Referral.objects.get(pk=referral.pk), "acute", FIRST + datetime.timedelta(days=9), phq9=phq9(after))


def test_the_aggregates_count_what_the_python_definitions_count(make_referral, record, director, colleague_referrer):
    courses = [(20, 10), (20, 11), (20, 4), (20, 19), (0, 0), (12, None)]
    for i, (before, after) in enumerate(courses):
        referral = make_referral(referrer=colleague_referrer if i % 2 else None) if i != 2 else make_referral()
        if after is None:
            record(referral, "acute", FIRST, phq9=phq9(before))
        else:
            _course(record, referral, before, after)
    record(make_referral(Status.RECEIVED), "evaluation", FIRST, phq9=phq9(20))  # measured once, never treated
    (practice,) = queries.outcome_aggregates(user=director, by="practice")
    # treated 6; measured: 20→10, 20→11, 20→4, 20→19 (0→0 has nothing to drop from, 12 has no later score)
    assert (practice.treated, practice.measured, practice.responders, practice.partial, practice.remitted) == (
        6, 4, 2, 1, 1,
    )  # fmt: skip
    by_referrer = queries.outcome_aggregates(user=director, by="referrer")
    assert {r.label for r in by_referrer} >= {"Self-referrals", colleague_referrer.display_name}
    assert queries.Aggregate.whole(by_referrer).treated == 6


@pytest.mark.parametrize("by", ["practice", "source_type", "referrer"])
def test_the_aggregates_cost_the_same_queries_however_many_referrals(
    by, make_referral, record, director, django_assert_num_queries, colleague_referrer
):
    _course(record, make_referral(), 20, 8)
    expected = 2 if by == "referrer" else 1  # by referrer, their names too
    with django_assert_num_queries(expected):
        queries.outcome_aggregates(user=director, by=by)
    for i in range(6):
        _course(record, make_referral(referrer=colleague_referrer if i % 2 else None), 15, 3 + i)
    with django_assert_num_queries(expected):
        rows = queries.outcome_aggregates(user=director, by=by)
    assert sum(r.treated for r in rows) == 7


def test_the_outcomes_page_costs_the_same_queries_for_one_or_many_referrals(
    client_for, liaison, make_referral, record, django_assert_num_queries
):
    client = client_for(liaison)
    _course(record, make_referral(), 20, 8)
    client.get(reverse("care:outcomes"))  # the session and the layout's lookups, once

    def count(by):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as seen:
            assert client.get(reverse("care:outcomes") + f"?by={by}").status_code == 200
        return len(seen)

    few = {by: count(by) for by in ("source_type", "referrer")}
    for i in range(5):
        _course(record, make_referral(), 18, i)
    assert {by: count(by) for by in ("source_type", "referrer")} == few


@pytest.mark.parametrize("who", ["alice", "bob", "practice_admin", "coordinator"])
def test_only_the_aggregate_readers_get_any_rows(who, request, make_referral, record, director):
    _course(record, make_referral(), 20, 8)
    user = request.getfixturevalue(who)
    readers = queries.AGGREGATE_READERS
    assert (queries.outcome_aggregates(user=user, by="practice") != []) == (user.role in readers)
    assert queries.outcome_aggregates(user=director, by="practice")[0].treated == 1


@pytest.mark.django_db(transaction=True)
def test_two_scores_recorded_at_once_both_count_in_the_stored_outcome(make_referral, clinician):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time, at BEGIN")
    referral = make_referral(Status.ACUTE)
    first_written, errors = threading.Event(), []

    def score(total, days):
        # Straight to the table and then outcome_refresh, as a service does (the services' audit rows happen to
        # queue writers too; this leaves only the refresh's own lock between the two).
        Assessment.objects.create(
            referral_id=referral.pk, instrument="phq9", loinc="44249-1", total=total, source="staff",
            taken_on=FIRST + datetime.timedelta(days=days),
        )  # fmt: skip
        outcome_refresh(referral)

    def first():
        try:
            with transaction.atomic():
                score(20, 0)
                first_written.set()
                time.sleep(0.5)  # not a timing assertion: the second writer starts while this one is open
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def second():
        try:
            first_written.wait(10)
            with transaction.atomic():
                score(8, 10)  # waits for the first's lock on the referral, then reads both scores
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert stored(referral.pk) == expected(referral.pk)
    assert stored(referral.pk)["scores"] == 2 and stored(referral.pk)["response"] == outcomes.RESPONSE


def test_the_reconcile_takes_the_current_score_from_the_baselines_own_day_when_the_baseline_is_the_latest(
    make_referral, clinician
):
    day = FIRST + datetime.timedelta(days=9)
    same_day, earlier = make_referral(Status.ACUTE), make_referral(Status.ACUTE)
    for referral, loose_on in ((same_day, day), (earlier, FIRST)):
        evaluation = Session.objects.create(referral=referral, kind="evaluation", held_on=day, clinician=clinician)
        for session, total, on in ((None, 18, loose_on), (evaluation, 20, day)):  # the evaluation's row is later
            Assessment.objects.create(
                referral=referral, session=session, instrument="phq9", loinc="44249-1", total=total, taken_on=on,
                source="staff",
            )  # fmt: skip
    assert reconcile_outcomes().inserted == 2
    assert_current(same_day.pk, earlier.pk)
    assert stored(same_day.pk)["current_total"] == 18 and stored(earlier.pk)["current_total"] is None
