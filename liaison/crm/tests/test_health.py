"""Relationship health on hand-built histories whose answers are known; the clock moved with time-machine."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison.comms.choices import DueStatus, LetterType, OwnerRole
from liaison.comms.models import DueCommunication
from liaison.crm.choices import Cause, ConcernTag, Flag, InteractionKind, Outcome, Stage, TaskKind, TaskStatus
from liaison.crm.health import Figures, assess, health_refresh, next_stage, overdue_letters_by_referrer, usual_interval
from liaison.crm.models import Concern, Health, Interaction, Relationship, Task
from liaison.crm.services import relationship_ensure
from liaison.crm.tests.conftest import T0, history
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.choices import Status
from liaison.referrals.tests.factories import MedicationTrialFactory, ReferralFactory

pytestmark = pytest.mark.django_db

MONTHLY = [30 * k for k in range(12)]  # a referral every 30 days for a year
LAST = T0 + timedelta(days=MONTHLY[-1])


def refreshed(referrer, at):
    with time_machine.travel(at, tick=False):
        health_refresh()
    return Health.objects.get(referrer=referrer)


def test_monthly_referrer_who_stops_cools_after_two_usual_intervals_then_goes_dormant():
    referrer = ReferrerFactory()
    history(referrer, *MONTHLY)
    h = refreshed(referrer, LAST + timedelta(days=45))
    assert h.usual_interval_days == pytest.approx(30.0)
    assert h.flag == Flag.HEALTHY
    assert refreshed(referrer, LAST + timedelta(days=60)).flag == Flag.HEALTHY  # exactly twice: not yet
    h = refreshed(referrer, LAST + timedelta(days=61))
    assert h.flag == Flag.COOLING
    assert any("usual gap has passed twice" in r for r in h.reasons)
    assert h.days_since_last == 61
    assert refreshed(referrer, LAST + timedelta(days=120)).flag == Flag.COOLING
    assert refreshed(referrer, LAST + timedelta(days=121)).flag == Flag.DORMANT


def test_the_relationship_stage_follows_health_and_comes_back_with_a_new_referral():
    referrer = ReferrerFactory()
    history(referrer, *MONTHLY)
    refreshed(referrer, LAST + timedelta(days=10))
    rel = Relationship.objects.get(referrer=referrer)
    assert rel.stage == Stage.ACTIVE
    refreshed(referrer, LAST + timedelta(days=70))
    rel.refresh_from_db()
    assert rel.stage == Stage.COOLING
    refreshed(referrer, LAST + timedelta(days=130))
    rel.refresh_from_db()
    assert rel.stage == Stage.DORMANT
    history(referrer, 131, start=LAST)
    refreshed(referrer, LAST + timedelta(days=132))
    rel.refresh_from_db()
    assert rel.stage == Stage.ACTIVE
    moves = Interaction.objects.filter(relationship=rel, kind=InteractionKind.STAGE).count()
    assert moves == 4  # target→first referral is folded into →active; then cooling, dormant, active


def test_volume_trend_counts_the_last_90_days_against_the_90_before():
    referrer = ReferrerFactory()
    now = T0 + timedelta(days=200)
    # 5 referrals 91-180 days ago, 2 in the last 90 days
    history(referrer, 30, 50, 70, 90, 105, 150, 190)
    h = refreshed(referrer, now)
    assert (h.last_90, h.prior_90) == (2, 5)
    assert any("Referrals down: 2 in the last 90 days against 5" in r for r in h.reasons)
    assert h.flag == Flag.COOLING  # volume more than halved, though the last referral is recent


def test_usual_interval_is_the_mean_gap():
    f = Figures(total=3, first_at=T0, last_at=T0 + timedelta(days=20))
    assert usual_interval(f) == 10
    assert usual_interval(Figures(total=1, first_at=T0, last_at=T0)) is None
    assert usual_interval(Figures(total=5, first_at=T0, last_at=T0 + timedelta(days=4))) == 7  # floor


def test_one_referral_only_cools_after_90_days_and_is_dormant_after_180():
    f = Figures(total=1, first_at=T0, last_at=T0)
    assert assess(f, now=T0 + timedelta(days=30)).flag == Flag.NEW
    assert assess(f, now=T0 + timedelta(days=91)).flag == Flag.COOLING
    assert assess(f, now=T0 + timedelta(days=181)).flag == Flag.DORMANT
    assert assess(Figures(), now=T0).flag == Flag.NO_REFERRALS


def test_response_and_meeting_acceptance_rates():
    referrer = ReferrerFactory()
    rel = relationship_ensure(referrer=referrer)
    outcomes = [Outcome.NO_RESPONSE, Outcome.NO_RESPONSE, Outcome.RESPONDED, Outcome.MEETING_ACCEPTED,
                Outcome.MEETING_DECLINED]  # fmt: skip
    for i, outcome in enumerate(outcomes):
        Interaction.objects.create(relationship=rel, kind=InteractionKind.CALL, outcome=outcome, at=T0 + timedelta(i))
    Interaction.objects.create(relationship=rel, kind=InteractionKind.NEWSLETTER, at=T0)  # no outcome: not counted
    h = refreshed(referrer, T0 + timedelta(days=10))
    assert h.outreach_count == 5
    assert h.response_rate == pytest.approx(3 / 5)
    assert h.meeting_acceptance_rate == pytest.approx(1 / 2)
    assert "Answered 60% of 5 outreach contacts." in h.reasons


def test_unprompted_reciprocal_and_complexity():
    referrer = ReferrerFactory()
    rel = relationship_ensure(referrer=referrer)
    Interaction.objects.create(relationship=rel, kind=InteractionKind.VISIT, outcome=Outcome.RESPONDED, at=T0)
    Interaction.objects.create(relationship=rel, kind=InteractionKind.RECIPROCAL, at=T0)
    prompted, _late, unprompted = history(referrer, 10, 40, 100)  # visit on day 0: only day 10 is within 30 days
    for referral in (prompted, unprompted):
        for _ in range(4):
            MedicationTrialFactory(referral=referral)
    h = refreshed(referrer, T0 + timedelta(days=101))
    assert h.unprompted == 2
    assert h.reciprocal == 1
    assert h.complexity == pytest.approx(8 / 3)


def test_outcomes_in_aggregate_by_lifecycle_state():
    referrer = ReferrerFactory()
    now = T0 + timedelta(days=50)
    history(referrer, 1, status=Status.ACCEPTED)
    history(referrer, 2, status=Status.MAINTENANCE)
    history(referrer, 3, status=Status.RETURNED)
    history(referrer, 4, status=Status.NOT_RECOMMENDED)
    h = refreshed(referrer, now)
    assert (h.accepted, h.treated, h.returned, h.disappointing) == (3, 2, 1, 1)


@pytest.mark.parametrize(
    ("setup", "cause"),
    [("conflict", Cause.CONFLICT), ("overdue", Cause.COMMUNICATION), ("outcome", Cause.OUTCOME), ("", Cause.UNKNOWN)],
)
def test_cooling_names_the_likely_cause_and_suggests_its_playbook_task_once(setup, cause, liaison):
    referrer = ReferrerFactory()
    rel = relationship_ensure(referrer=referrer)
    Relationship.objects.filter(pk=rel.pk).update(owner=liaison)
    history(referrer, *MONTHLY)
    now = LAST + timedelta(days=70)
    if setup == "conflict":
        Concern.objects.create(relationship=rel, tag=ConcernTag.CONFLICT, raised_at=LAST)
    elif setup == "overdue":
        Task.objects.create(relationship=rel, kind=TaskKind.OTHER, title="Send the report", due_at=LAST,
                            created_at=LAST)  # fmt: skip
    elif setup == "outcome":
        ReferralFactory(referrer=referrer, received_at=LAST - timedelta(days=1), status=Status.NOT_RECOMMENDED)
    h = refreshed(referrer, now)
    assert h.flag == Flag.COOLING
    assert h.cause == cause
    assert f"Likely cause: {cause.label.lower()}." in h.reasons
    refreshed(referrer, now + timedelta(days=1))
    playbook = Task.objects.filter(relationship=rel, kind__startswith="playbook")
    assert playbook.count() == 1
    assert playbook.get().owner == liaison


def test_active_referrers_get_one_quarterly_meeting_and_one_annual_review_task():
    referrer = ReferrerFactory()
    history(referrer, *MONTHLY)
    rel = relationship_ensure(referrer=referrer)
    Relationship.objects.filter(pk=rel.pk).update(first_referral_at=T0)
    refreshed(referrer, LAST + timedelta(days=1))
    refreshed(referrer, LAST + timedelta(days=2))
    tasks = Task.objects.filter(relationship=rel, status=TaskStatus.OPEN)
    assert sorted(tasks.values_list("kind", flat=True)) == [TaskKind.ANNUAL_REVIEW, TaskKind.QUARTERLY_MEETING]
    assert tasks.get(kind=TaskKind.ANNUAL_REVIEW).due_at == T0 + timedelta(days=365)


def test_next_stage_table():
    assert next_stage(Stage.TARGET, Flag.NO_REFERRALS, 0) == Stage.TARGET
    assert next_stage(Stage.MET, Flag.NEW, 1) == Stage.FIRST_REFERRAL
    assert next_stage(Stage.FIRST_REFERRAL, Flag.HEALTHY, 2) == Stage.ACTIVE
    assert next_stage(Stage.CHAMPION, Flag.HEALTHY, 40) == Stage.CHAMPION
    assert next_stage(Stage.CHAMPION, Flag.COOLING, 40) == Stage.COOLING
    assert next_stage(Stage.DORMANT, Flag.COOLING, 40) == Stage.DORMANT
    assert next_stage(Stage.COOLING, Flag.HEALTHY, 40) == Stage.ACTIVE


def test_the_refresh_costs_the_same_number_of_queries_for_3_or_30_referrers(django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(n):
        for _ in range(n):
            history(ReferrerFactory(), 1, 40)
        with CaptureQueriesContext(connection) as ctx, time_machine.travel(T0 + timedelta(days=60), tick=False):
            health_refresh()
        return len(ctx.captured_queries)

    small = count(3)
    assert count(27) <= small + 2  # the same fixed handful per chunk, not one per referrer


def owed_letter(referral, *, due_at, status=DueStatus.OWED, key="ack"):
    return DueCommunication.objects.create(
        referral=referral, key=key, letter_type=LetterType.ACKNOWLEDGMENT, status=status,
        triggered_at=due_at - timedelta(hours=24), due_at=due_at, owner_role=OwnerRole.COORDINATOR,
    )  # fmt: skip


def test_an_overdue_acknowledgment_makes_the_cause_a_communication_lapse_with_its_playbook_task(liaison):
    referrer = ReferrerFactory()
    rel = relationship_ensure(referrer=referrer)
    Relationship.objects.filter(pk=rel.pk).update(owner=liaison)
    referrals = history(referrer, *MONTHLY)
    now = LAST + timedelta(days=70)
    owed_letter(referrals[-1], due_at=referrals[-1].received_at + timedelta(days=1))  # never sent
    h = refreshed(referrer, now)
    assert (h.flag, h.cause) == (Flag.COOLING, Cause.COMMUNICATION)
    assert f"Likely cause: {Cause.COMMUNICATION.label.lower()}." in h.reasons
    task = Task.objects.get(relationship=rel, kind__startswith="playbook")
    assert (task.kind, task.owner, task.status) == (TaskKind.PLAYBOOK_COMMUNICATION, liaison, TaskStatus.OPEN)


def test_only_letters_past_due_and_not_yet_sent_count_as_overdue():
    one, two, quiet = ReferrerFactory(), ReferrerFactory(), ReferrerFactory()
    (a,) = history(one, 1)
    (b,) = history(two, 1)
    (c,) = history(quiet, 1)
    now = T0 + timedelta(days=30)
    past, future = now - timedelta(days=3), now + timedelta(days=1)
    owed_letter(a, due_at=past, key="ack")
    owed_letter(a, due_at=past, key="update:6", status=DueStatus.DRAFTED)
    owed_letter(b, due_at=past, key="ack", status=DueStatus.APPROVED)  # signed, still in the outbox
    owed_letter(b, due_at=future, key="update:6")  # not due yet
    owed_letter(c, due_at=past, key="ack", status=DueStatus.DELIVERED)
    owed_letter(c, due_at=past, key="info", status=DueStatus.CANCELLED)
    ids = sorted(r.pk for r in (one, two, quiet))
    with CaptureQueriesContext(connection) as ctx:
        overdue = overdue_letters_by_referrer(ids[0], ids[-1], now)
    assert len(ctx.captured_queries) == 1  # one GROUP BY for the whole range
    assert overdue == {one.pk: 2, two.pk: 1}
    assert refreshed(quiet, now).cause == ""  # sent and cancelled letters are no lapse
