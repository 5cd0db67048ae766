"""A letter owed at once counts on time when delivered within the grace (decision 0045), by every figure alike: the
stored days (kept by the services, and rebuilt), the live figures, the snapshot, the referral's card. The work
queue's overdue and the escalation still start at the due time: the grace is only how the figure counts."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from liaison.comms import letter_days, letters, services, sla_snapshot
from liaison.comms.choices import DueStatus, OutboxStatus
from liaison.comms.models import DueCommunication, LetterDay, Outbox
from liaison.comms.on_time import IMMEDIATE_GRACE, counts_by, is_on_time
from liaison.comms.owed import communications_escalate
from liaison.comms.queries import owed_for, sla_figures_from_letters
from liaison.comms.sla import practice_figures, sla_figures
from liaison.comms.tests.helpers import keys, staff
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

pytestmark = pytest.mark.django_db

OWED = datetime(2026, 11, 2, 22, 30, tzinfo=UTC)  # a Monday evening in New York: the grace runs around the clock
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("after", "counted"),
    [
        (timedelta(0), True),
        (IMMEDIATE_GRACE - SECOND, True),
        (IMMEDIATE_GRACE, True),
        (IMMEDIATE_GRACE + SECOND, False),
    ],
)
def test_an_immediate_letter_counts_on_time_within_the_grace_and_not_after(after, counted):
    assert is_on_time(due_at=OWED, triggered_at=OWED, delivered_at=OWED + after) is counted


def test_a_letter_with_a_deadline_has_no_grace():
    due = OWED + timedelta(hours=24)
    assert counts_by(due_at=due, triggered_at=OWED) == due
    assert is_on_time(due_at=due, triggered_at=OWED, delivered_at=due)
    assert not is_on_time(due_at=due, triggered_at=OWED, delivered_at=due + SECOND)
    assert not is_on_time(due_at=OWED, triggered_at=OWED, delivered_at=None)


def _incomplete(coordinator, at):
    """A referral whose screening finds something missing: its request for information is owed at once."""
    referrer = ReferrerFactory(preferred_channel="email", email="doc@practice.example")
    referral = receive_referral(
        referral=ReferralDataFactory(referrer=referrer, episode_months=None), diagnoses=[], at=at
    )
    from liaison.referrals.services import referral_assign

    referral_assign(referral=referral, by=coordinator, coordinator=coordinator)
    return referral


def _deliver(due: DueCommunication, by, at: datetime) -> None:
    """Draft, sign and deliver through the services, as the worker would at `at`."""
    letter = services.letter_draft(due=due, by=by)
    body = letters.PLACEHOLDER_RE.sub("Filled in.", letter.body)
    services.letter_edit(letter=letter, by=by, subject=letter.subject, body=body)
    outbox = services.letter_approve(letter=letter, by=by, at=at - timedelta(minutes=1))
    Outbox.objects.filter(pk=outbox.pk).update(status=OutboxStatus.SENDING, leased_by="test")
    services._finish(outbox.pk, worker="test", at=at, confirmed=True)


@pytest.fixture
def delivered(protocol, clinic, director):
    """Four information requests delivered around the grace's end, and two acknowledgments around their due time."""
    coordinator, _ = staff()
    offsets = [IMMEDIATE_GRACE - SECOND, IMMEDIATE_GRACE, IMMEDIATE_GRACE + SECOND, timedelta(hours=3)]
    referrals = []
    for n, after in enumerate(offsets):
        referral = _incomplete(coordinator, OWED + n * SECOND)
        request, ack = keys(referral)["info:screening"], keys(referral)["ack"]
        assert request.due_at == request.triggered_at  # owed at once
        _deliver(request, coordinator, request.due_at + after)
        if n < 2:
            _deliver(ack, coordinator, ack.due_at + (SECOND if n else timedelta(0)))
        referrals.append(referral)
    return referrals


def test_every_figure_counts_the_grace_alike(delivered, director):
    at = OWED + timedelta(days=3)
    # the stored days the services kept are what a rebuild makes
    kept = {(c.day, c.referrer_pk): (c.owed, c.delivered, c.on_time) for c in LetterDay.objects.exclude(owed=0)}
    rebuilt = {
        (r["cell_day"], r["cell_referrer"]): (r["owed"], r["delivered"], r["on_time"])
        for r in letter_days.grouped_from_letters()
    }
    assert kept == rebuilt
    info = DueCommunication.objects.filter(key="info:screening")
    assert info.filter(letter_days.ON_TIME).count() == 2  # the grace's last second and the one before
    acks = DueCommunication.objects.filter(key="ack", status=DueStatus.DELIVERED)
    assert acks.filter(letter_days.ON_TIME).count() == 1  # one second late is late: no grace for a deadline

    practice, _ = practice_figures(days=30, at=at)
    # due: 4 requests, 4 acknowledgments, 4 first-referral thanks; on time: 2 requests and 1 acknowledgment
    assert (practice.due, practice.on_time) == (12, 3)
    stored, stored_rows = sla_figures(user=director, days=30, at=at)
    raw, raw_rows = sla_figures_from_letters(user=director, days=30, at=at)
    assert stored == raw == practice
    assert {r.referrer_id: (r.due, r.on_time) for r in stored_rows} == {
        r.referrer_id: (r.due, r.on_time) for r in raw_rows
    }
    letter_days.rebuild_letter_days()
    assert practice_figures(days=30, at=at)[0] == practice
    snapshot = sla_snapshot.take(30, at=at)
    assert (snapshot.practice["due"], snapshot.practice["on_time"]) == (12, 3)
    cards = [owed_for(user=director, referral=r, at=at) for r in delivered]
    assert [c.on_time for c in cards] == [2, 1, 0, 0]
    assert sum(c.on_time for c in cards) == practice.on_time


def test_the_cut_day_counts_the_grace_too(delivered, director):
    """A window that starts inside the letters' day counts them from the letters, not the stored day."""
    at = OWED + timedelta(hours=20)
    stored, _ = sla_figures(user=director, days=1, at=at)
    raw, _ = sla_figures_from_letters(user=director, days=1, at=at)
    assert stored == raw and stored.on_time == 3


def test_an_immediate_letter_is_overdue_and_escalated_at_once_inside_the_grace(protocol, clinic, director):
    coordinator, _ = staff()
    referral = _incomplete(coordinator, OWED)
    request = keys(referral)["info:screening"]
    soon = request.due_at + timedelta(minutes=5)  # well inside the grace
    practice, _ = sla_figures(user=director, days=30, at=soon)
    assert practice.overdue_now == 1  # the request; its acknowledgment is not due for a day
    assert communications_escalate(at=soon) == 1
    request.refresh_from_db()
    assert request.escalated_at == soon


@pytest.mark.parametrize("who", ["coordinator", "director"])
def test_the_page_counts_the_grace_and_says_so(delivered, client_for, who, request):
    with time_machine.travel(OWED + timedelta(days=3), tick=False):
        page = client_for(request.getfixturevalue(who)).get("/comms/sla/?days=30")
    assert page.status_code == 200
    practice = page.context["practice"]
    assert (practice.due, practice.on_time) == (12, 3)
    assert "counts as on time when it reached the referrer within an hour" in page.content.decode()
