"""The event registry (liaison.core.events): subscribing, publishing in and after the transaction, the durable
path the worker runs, and the table a newcomer reads."""

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction

from liaison.core import events
from liaison.core.models import PendingReaction

pytestmark = pytest.mark.django_db

THE_REGISTRY = [
    ("care.booking_changed", "comms.letters_owed", events.IN_TRANSACTION),
    ("care.booking_changed", "notify.appointment", events.IN_TRANSACTION),
    ("care.questionnaire_link_sent", "notify.questionnaire_link", events.IN_TRANSACTION),
    ("care.safety_alert_raised", "comms.letters_owed", events.IN_TRANSACTION),
    ("care.safety_alert_raised", "notify.safety_alert", events.IN_TRANSACTION),
    ("care.score_recorded", "comms.letters_owed", events.IN_TRANSACTION),
    ("care.score_recorded", "notify.safety_alert", events.IN_TRANSACTION),
    ("care.session_recorded", "comms.letters_owed", events.IN_TRANSACTION),
    ("care.session_recorded", "notify.safety_alert", events.IN_TRANSACTION),
    ("directory.referrer_contact_changed", "comms.contact_changed", events.IN_TRANSACTION),
    ("referral.assigned", "comms.letters_owed", events.IN_TRANSACTION),
    ("referral.merged", "crm.referrer_counts", events.AFTER_COMMIT),
    ("referral.merged", "care.merge", events.IN_TRANSACTION),
    ("referral.messaged", "comms.portal_notice", events.AFTER_COMMIT),
    ("referral.received", "crm.relationship", events.AFTER_COMMIT),
    ("referral.received", "crm.health", events.AFTER_COMMIT),
    ("referral.received", "crm.monthly_counts", events.AFTER_COMMIT),
    ("referral.received", "crm.referrer_counts", events.AFTER_COMMIT),
    ("referral.received", "comms.letters_owed", events.AFTER_COMMIT),
    ("referral.received", "notify.urgent_referral", events.IN_TRANSACTION),
    ("referral.replied", "notify.referrer_message", events.IN_TRANSACTION),
    ("referral.safety_reviewed", "care.review", events.IN_TRANSACTION),
    ("referral.transitioned", "crm.referrer_counts", events.AFTER_COMMIT),
    ("referral.transitioned", "care.bookings", events.IN_TRANSACTION),
    ("referral.transitioned", "comms.letters_owed", events.IN_TRANSACTION),
    ("referrals.safety_findings", "care.safety_alert", events.IN_TRANSACTION),
    ("referrals.safety_findings", "notify.safety_alert", events.IN_TRANSACTION),
]


@pytest.fixture
def registry(monkeypatch, settings):
    """An empty registry of its own, in worker mode, so each test sees only its handlers."""
    settings.INTAKE_FOLLOWUP = "worker"
    monkeypatch.setattr(events, "_registry", {})
    monkeypatch.setattr(events, "_wakers", [])
    return events


def test_every_reaction_is_in_one_table():
    assert events.registry_table() == THE_REGISTRY
    out = StringIO()
    call_command("events", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(THE_REGISTRY)
    assert lines[14].split() == ["referral.received", "crm.relationship", "after", "commit"]


def test_subscribing_again_by_name_replaces_and_a_bad_when_is_refused(registry):
    registry.subscribe("x.happened", print, when=events.IN_TRANSACTION, name="a.one")
    registry.subscribe("x.happened", repr, when=events.AFTER_COMMIT, name="a.one")
    assert registry.registry_table() == [("x.happened", "a.one", events.AFTER_COMMIT)]
    with pytest.raises(ImproperlyConfigured, match="b.two: when must be"):
        registry.subscribe("x.happened", print, when="later", name="b.two")


def test_in_transaction_handlers_run_at_once_and_after_commit_ones_are_owed(
    registry, django_capture_on_commit_callbacks
):
    seen, woken = [], []
    registry.subscribe("x.happened", seen.append, when=events.IN_TRANSACTION, name="a.now")
    registry.subscribe("x.happened", seen.append, when=events.AFTER_COMMIT, name="a.later")
    registry.waker_add(lambda: woken.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        registry.publish("x.happened", referral_id=7, event_id=70, context={"live": object()}, n=1)
    assert [e.payload for e in seen] == [{"n": 1}] and woken == [1]
    row = PendingReaction.objects.get()
    assert (row.kind, row.handler, row.referral_id, row.event_id, row.payload) == (
        "x.happened",
        events.EVERY,
        7,
        70,
        {"n": 1},
    )
    assert registry.pending_run() == {"done": 1, "failed": 0}
    assert len(seen) == 2 and seen[1].context == {}  # after commit, only what was stored
    assert not PendingReaction.objects.exists()


def test_inline_mode_runs_after_commit_handlers_at_once(registry, settings):
    settings.INTAKE_FOLLOWUP = "inline"
    seen = []
    registry.subscribe("x.happened", seen.append, when=events.AFTER_COMMIT, name="a.later")
    registry.publish("x.happened", referral_id=7)
    assert len(seen) == 1 and not PendingReaction.objects.exists()


def test_a_rolled_back_publisher_owes_nothing(registry):
    registry.subscribe("x.happened", print, when=events.AFTER_COMMIT, name="a.later")
    with pytest.raises(RuntimeError), transaction.atomic():
        registry.publish("x.happened", referral_id=7)
        raise RuntimeError("the request failed")
    assert not PendingReaction.objects.exists()


def test_a_batch_handler_runs_once_for_the_whole_batch(registry):
    calls = []
    registry.subscribe("x.happened", calls.append, when=events.AFTER_COMMIT, name="a.batch", batch=True)
    for pk in (1, 2, 3):
        registry.publish("x.happened", referral_id=pk)
    assert registry.pending_run() == {"done": 3, "failed": 0}
    assert [[e.referral_id for e in batch] for batch in calls] == [[1, 2, 3]]


def test_a_reaction_whose_handler_is_gone_stays_with_its_error(registry):
    registry.subscribe("x.happened", print, when=events.AFTER_COMMIT, name="a.later")
    registry.publish("x.happened", referral_id=7)
    registry._registry.clear()
    assert registry.pending_run() == {"done": 0, "failed": 1}
    row = PendingReaction.objects.get()
    assert row.attempts == 1 and "no after-commit handler" in row.last_error and row.run_after is not None
    assert row.handler == events.EVERY  # kept whole: a worker that has the app runs it


def test_a_required_event_nobody_listens_to_is_refused(registry):
    with pytest.raises(ImproperlyConfigured, match="No app reacts to 'x.happened'"):
        registry.publish("x.happened", referral_id=7, required=True)


def test_one_row_per_event_and_a_failed_handler_is_retried_alone(registry):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    ran, broken = [], [True]

    def flaky(event):
        if broken[0]:
            raise ValueError("not today")
        ran.append(("b", event.referral_id))

    registry.subscribe("x.happened", lambda e: ran.append(("a", e.referral_id)), when=events.AFTER_COMMIT, name="a")
    registry.subscribe("x.happened", flaky, when=events.AFTER_COMMIT, name="b")
    registry.subscribe(
        "x.happened", lambda es: ran.append(("c", len(es))), when=events.AFTER_COMMIT, name="c", batch=True
    )
    registry.publish("x.happened", referral_id=7, n=1)
    registry.publish("x.happened", referral_id=8, n=2)
    assert PendingReaction.objects.count() == 2  # one a publish, not one a handler
    assert registry.pending_run() == {"done": 4, "failed": 2}
    assert ran == [("a", 7), ("a", 8), ("c", 2)]
    left = PendingReaction.objects.order_by("referral_id")
    assert [(r.handler, r.referral_id, r.attempts, r.payload) for r in left] == [
        ("b", 7, 1, {"n": 1}),
        ("b", 8, 1, {"n": 2}),
    ]
    assert all("not today" in r.last_error and r.run_after for r in left)
    broken[0] = False
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert registry.pending_run() == {"done": 2, "failed": 0}
    assert ran[3:] == [("b", 7), ("b", 8)] and not PendingReaction.objects.exists()  # only the failed one again


def test_a_worker_that_dies_mid_batch_leaves_the_event_owed(registry):
    def dies(event):
        raise SystemExit("killed")  # not an Exception: nothing in the batch catches it

    registry.subscribe("x.happened", print, when=events.AFTER_COMMIT, name="a")
    registry.subscribe("x.happened", dies, when=events.AFTER_COMMIT, name="b")
    registry.publish("x.happened", referral_id=7)
    with pytest.raises(SystemExit):
        registry.pending_run()
    row = PendingReaction.objects.get()
    assert (row.handler, row.attempts) == (events.EVERY, 0)
