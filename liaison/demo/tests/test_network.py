"""The made-up networks: the demo (planned without a database, then written through the services)
and the large benchmark network (written in bulk), checked against the lifecycle's own tables."""

import functools
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from liaison.accounts.choices import Role
from liaison.accounts.models import User
from liaison.care.models import Assessment, SafetyAlert, Session
from liaison.comms import letters, protocol
from liaison.comms.choices import PENDING, DueStatus, LetterStatus, OutboxStatus
from liaison.comms.models import DueCommunication, Letter, Outbox
from liaison.core.models import AuditEvent
from liaison.crm.models import Health, Interaction, Relationship, Task
from liaison.demo.network import DemoRefused, NetworkExists, build_demo_network, build_large_network, plan_demo
from liaison.demo.vocab import DEMO_PASSWORD
from liaison.directory.choices import Channel, SourceType
from liaison.directory.models import Referrer
from liaison.directory.validators import normalize_phone, validate_npi
from liaison.referrals import lifecycle
from liaison.referrals.choices import URGENCY_RANK, EventKind, Status
from liaison.referrals.models import Referral, ReferralEvent

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SEED = 2026
SMALL = (8, len(Status))  # referrers, referrals: the fewest that still end in every status


@functools.cache
def _plan(seed=SEED):
    return plan_demo(seed=seed, referrers=40, referrals=150, now=NOW)


def _outline(plan):
    return [(r.patient["first_name"], r.patient["last_name"], r.fate) for r in plan.referrals]


def _share(counter: Counter, key) -> float:
    return counter[key] / sum(counter.values())


# --------------------------------------------------------------- the plan (no database)


def test_the_same_seed_gives_the_same_network():
    first, again = _plan(), plan_demo(seed=SEED, referrers=40, referrals=150, now=NOW)
    assert _outline(first) == _outline(again)
    assert [r.npi for r in first.referrers] == [r.npi for r in again.referrers]
    assert _outline(_plan(seed=7)) != _outline(first)


def test_the_demo_has_forty_referrers_and_150_referrals_spread_over_eighteen_months():
    plan = _plan()
    assert len(plan.referrers) == 40
    assert len(plan.referrals) == 150
    received = [r.received_at for r in plan.referrals]
    assert received == sorted(received)
    assert (NOW - received[0]).days > 365
    assert (NOW - received[-1]).days < 7


def test_every_lifecycle_status_is_someones_final_status():
    assert {r.fate for r in _plan().referrals} == set(Status)


def test_referrers_come_in_the_usual_mix():
    mix = Counter(r.source_type for r in _plan().referrers)
    assert 0.4 <= _share(mix, SourceType.PSYCHIATRY) <= 0.6
    assert 0.2 <= _share(mix, SourceType.PRIMARY_CARE) <= 0.3
    assert 0.1 <= _share(mix, SourceType.THERAPY) <= 0.2
    assert {SourceType.PAIN, SourceType.NEUROLOGY, SourceType.EAP, SourceType.KETAMINE_PROVIDER} <= set(mix)


def test_referrals_come_in_the_usual_mix_with_self_referrals_on_their_own_channel():
    referrals = _plan().referrals
    mix = Counter(r.referrer.source_type if r.referrer else SourceType.SELF for r in referrals)
    assert 0.1 <= _share(mix, SourceType.SELF) <= 0.2
    assert 0.4 <= _share(mix, SourceType.PSYCHIATRY) <= 0.6
    assert 0.2 <= _share(mix, SourceType.PRIMARY_CARE) <= 0.3
    assert 0.1 <= _share(mix, SourceType.THERAPY) <= 0.2
    assert all((r.channel == "self") == (r.referrer is None) for r in referrals)


def test_referrers_have_valid_npis_numbers_and_a_channel_they_can_be_reached_on():
    referrers = _plan().referrers
    assert len({r.npi for r in referrers}) == len(referrers)
    for referrer in referrers:
        validate_npi(referrer.npi)
        assert normalize_phone(referrer.phone) == referrer.phone and "55501" in referrer.phone
        assert referrer.preferred_channel != Channel.EMAIL or referrer.email
        assert referrer.preferred_channel != Channel.FAX or referrer.fax
    assert len({r.preferred_channel for r in referrers}) > 2
    assert len({r.shared_care_model for r in referrers}) == 3


def test_clinical_summaries_read_like_referrals_for_ketamine():
    referrals = _plan().referrals
    codes = [d["code"] for r in referrals for d in r.clinical.diagnoses]
    assert codes and all(c.startswith(("F32", "F33")) for c in codes[:1])
    trials = [len(r.clinical.trials) for r in referrals]
    assert min(trials) == 0 and max(trials) >= 4
    assert any(t["daily_dose_mg"] is None for r in referrals for t in r.clinical.trials)
    assert 0.4 < sum(r.clinical.referral.get("phq9_total") is not None for r in referrals) / len(referrals) < 0.95
    assert 0 < sum(r.clinical.referral["suicidal_ideation_current"] for r in referrals) < 30


# --------------------------------------------------------------- the demo, written through the services


@pytest.fixture(scope="class")
def small_demo(django_db_setup, django_db_blocker):
    """A demo network small enough to write quickly (every status still appears), kept for the class."""
    with django_db_blocker.unblock(), transaction.atomic():
        logins = build_demo_network(seed=SEED, now=NOW, referrers=SMALL[0], referrals=SMALL[1])
        yield logins
        transaction.set_rollback(True)


def _walks(referrals):
    """Each referral's statuses in the order its events record them, checked move by move."""
    for referral in referrals:
        events = list(ReferralEvent.objects.filter(referral=referral).order_by("at", "id"))
        moves = [e for e in events if e.kind in (EventKind.RECEIVED, EventKind.TRANSITION)]
        assert moves[0].kind == EventKind.RECEIVED and moves[0].to_status == Status.RECEIVED
        for before, after in zip(moves, moves[1:], strict=False):
            assert after.from_status == before.to_status
            assert lifecycle.find_move(after.from_status, after.to_status), (referral.pk, after)
            assert after.at >= before.at
            assert after.to_status not in lifecycle.CLOSING or after.reason
        yield referral, moves


@pytest.mark.django_db
class TestTheDemoAsWritten:
    """One small demo, written once for these tests and rolled back after them."""

    def test_the_written_demo_follows_its_plan(self, small_demo):
        planned = plan_demo(seed=SEED, referrers=SMALL[0], referrals=SMALL[1], now=NOW)
        written = Referral.objects.order_by("received_at", "id").select_related("patient")
        assert [(r.patient.first_name, r.patient.last_name, r.status) for r in written] == _outline(planned)

    def test_every_status_is_present_and_every_history_is_a_walk_through_the_lifecycle(self, small_demo):
        referrals = Referral.objects.all()
        assert set(referrals.values_list("status", flat=True)) == set(Status)
        for referral, moves in _walks(referrals):
            assert moves[-1].to_status == referral.status
            assert referral.version == len(moves)
            assert referral.is_open == (referral.status not in lifecycle.TERMINAL)

    def test_there_is_one_sign_in_per_role_with_the_demo_password(self, small_demo):
        users = {u.username: u for u in User.objects.filter(username__in=[x["username"] for x in small_demo["logins"]])}
        assert {u.role for u in users.values()} == set(Role)
        assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
        assert users["admin"].is_staff and users["admin"].is_superuser
        referrer = users["referrer"].referrer
        assert referrer.referrals.count() >= 3
        assert users["practice-admin"].practice == referrer.practice

    def test_a_second_load_is_refused_and_the_command_serves_what_is_there(self, small_demo, capsys):
        with pytest.raises(NetworkExists):
            build_demo_network(seed=SEED, now=NOW)
        call_command("demo", no_serve=True)
        out = capsys.readouterr().out
        assert "already holds referrals" in out and "coordinator" in out and DEMO_PASSWORD in out


# --------------------------------------------------------------- the large network, written in bulk


@pytest.fixture(scope="class")
def large(django_db_setup, django_db_blocker):
    """A small "large" network, written once for the class and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_large_network(referrals=200, referrers=20, open_referrals=30, now=NOW)
        transaction.set_rollback(True)


@pytest.mark.django_db
class TestTheLargeNetwork:
    """Rows written in bulk must look as if the services had written them."""

    def test_the_large_network_has_the_sizes_asked_for(self, large):
        assert Referral.objects.count() == 200
        assert Referral.objects.filter(is_open=True).count() == 30
        assert large["rows"]["referrals.referralevent"] == ReferralEvent.objects.count()

    def test_large_network_rows_agree_with_the_lifecycle(self, large):
        for referral, moves in _walks(Referral.objects.all()):
            assert moves[-1].to_status == referral.status
            assert referral.version == len(moves)
            assert referral.is_open == (referral.status not in lifecycle.TERMINAL)
            closing = referral.status in lifecycle.CLOSING
            assert bool(referral.closed_reason) == closing and (referral.closed_at is not None) == closing
            action = lifecycle.NEXT_ACTION.get(referral.status)
            assert referral.next_action == (action.text if action else "")
            if action:
                assert referral.next_action_due_at == moves[-1].at + action.due_in
            assert referral.urgency_rank == URGENCY_RANK[referral.urgency]

    def test_large_network_rows_pass_the_models_own_checks(self, large):
        for referral in Referral.objects.order_by("id")[:20]:
            referral.full_clean()
            items = referral.phq9_items
            assert items is None or (isinstance(items, list) and len(items) == 9)  # JSON, not a string of it
        for is_open in (False, True):  # the closed come first, then the open: each in date order
            group = Referral.objects.filter(is_open=is_open).order_by("id")
            received = list(group.values_list("received_at", flat=True))
            assert received == sorted(received)

    def test_build_network_refuses_a_database_with_referrals_and_production(self, large, settings):
        with pytest.raises(CommandError, match="already holds referrals"):
            call_command("build_network", referrals=10, no_migrate=True)
        settings.MODE = "production"
        with pytest.raises(DemoRefused, match="production"):
            build_large_network(referrals=10, referrers=2, reset=True)


def test_a_full_clean_catches_what_the_generators_must_never_make():
    """The check the tests above rely on: an NPI with a wrong check digit is refused."""
    with pytest.raises(ValidationError):
        validate_npi("1234567890")


# --------------------------------------------------------------- the large network's practice records


def _history(referral):
    return list(ReferralEvent.objects.filter(referral=referral, kind=EventKind.TRANSITION).order_by("at", "id"))


@pytest.mark.django_db
class TestTheLargeNetworksPracticeRecords:
    """Letters, care, relationships and the audit trail, as the services would have left them."""

    def test_the_letters_owed_are_what_the_protocol_derives_from_each_history(self, large):
        snapshot = protocol.Snapshot.load()
        checked = 0
        for referral in Referral.objects.exclude(referrer=None).select_related("referrer"):
            wanted = {
                e.key: (e.rule.pk, e.due_at, e.owner_id) for e in protocol.expected(referral, at=NOW, snapshot=snapshot)
            }
            made = {
                d.key: (d.rule_id, d.due_at, d.owner_id) for d in DueCommunication.objects.filter(referral=referral)
            }
            assert made == wanted, referral.pk
            checked += len(made)
        assert checked > 200
        keys = Counter(key.split(":")[0] for key in DueCommunication.objects.values_list("key", flat=True))
        assert keys["ack"] == Referral.objects.exclude(referrer=None).count()
        assert keys["first"] == Referral.objects.exclude(referrer=None).values("referrer").distinct().count()
        assert {"eval", "update", "outcome", "month"} <= set(keys)
        assert not DueCommunication.objects.filter(referral__referrer=None).exists()

    def test_letters_are_in_every_state_and_only_open_referrals_have_letters_pending(self, large):
        states = Counter(DueCommunication.objects.values_list("status", flat=True))
        assert {DueStatus.OWED, DueStatus.DRAFTED, DueStatus.DELIVERED} <= set(states)
        assert not DueCommunication.objects.filter(status__in=PENDING, referral__is_open=False, problem="").exists()
        delivered = DueCommunication.objects.filter(status=DueStatus.DELIVERED).select_related("letter__outbox")
        for due in delivered:
            letter, outbox = due.letter, due.letter.outbox
            assert letter.status == LetterStatus.SIGNED and letter.signed_at <= outbox.sent_at == due.delivered_at
            assert outbox.status == OutboxStatus.SENT and f"<letter-{letter.pk}.{due.referral_id}@" in outbox.message_id
            assert not letters.placeholders(letter.body) and letter.letter_type == due.letter_type
            assert (
                ReferralEvent.objects.filter(
                    referral_id=due.referral_id, kind=EventKind.NOTE, detail__letter=letter.pk
                ).count()
                == 1
            )
        for due in DueCommunication.objects.filter(status=DueStatus.DRAFTED).select_related("letter"):
            assert due.letter.status == LetterStatus.DRAFT and not hasattr(due.letter, "outbox")
        assert not Letter.objects.filter(due__status=DueStatus.OWED).exists()
        late = sum(d.delivered_at > d.due_at for d in delivered if d.due_at > d.triggered_at)
        timed = sum(1 for d in delivered if d.due_at > d.triggered_at)
        assert 0 < late < timed * 0.25
        overdue = DueCommunication.objects.filter(status__in=PENDING, due_at__lt=NOW)
        assert all(d.escalated_at is not None for d in overdue)

    def test_sessions_and_scores_follow_each_history(self, large):
        for referral in Referral.objects.all():
            moves = _history(referral)
            reached = {e.to_status: e.at for e in moves}
            sessions = list(Session.objects.filter(referral=referral).order_by("created_at", "id"))
            kinds = Counter(s.kind for s in sessions)
            assert kinds["evaluation"] == (Status.EVALUATED in reached)
            acute = [s for s in sessions if s.kind == "acute"]
            assert [s.number for s in acute] == list(range(1, len(acute) + 1))
            assert bool(acute) == (Status.ACUTE in reached)
            if acute:
                assert acute[0].created_at == reached[Status.ACUTE] and acute[0].planned == 6
                assert (len(acute) == 6) >= (Status.ACUTE_COMPLETE in reached)
            assert bool(kinds["maintenance"]) == (Status.MAINTENANCE in reached)
            assert all(s.held_on >= referral.received_at.date() - timedelta(days=1) for s in sessions)
        assert Session.objects.filter(kind="acute").exists()

    def test_scores_add_up_and_every_positive_item_9_raised_its_alert(self, large):
        scores = list(Assessment.objects.all())
        assert {a.instrument for a in scores} == {"phq9", "gad7"}
        for score in scores:
            assert sum(score.items) == score.total and score.session_id
            if score.instrument == "phq9":
                assert len(score.items) == 9 and score.items[8] == score.item9
                alerts = SafetyAlert.objects.filter(assessment=score)
                assert alerts.count() == (1 if score.item9 > 0 else 0)
            else:
                assert len(score.items) == 7 and score.item9 is None
        assert SafetyAlert.objects.exists()
        for alert in SafetyAlert.objects.all():
            alert.full_clean()
            assert DueCommunication.objects.filter(key=f"alert:{alert.pk}").exists() == (
                alert.referral.referrer_id is not None
            )

    def test_every_referrer_has_a_relationship_and_a_health_row(self, large):
        assert Relationship.objects.count() == Referrer.objects.count() == Health.objects.count()
        for relationship in Relationship.objects.exclude(first_referral_at=None).select_related("referrer"):
            first = relationship.referrer.referrals.order_by("received_at", "id").first()
            assert relationship.first_referral_at == first.received_at
        assert Interaction.objects.exists() and Task.objects.filter(status="done").exists()

    def test_the_audit_trail_is_one_intact_chain(self, large, capsys):
        call_command("audit_verify")
        assert "intact" in capsys.readouterr().out
        assert AuditEvent.objects.filter(action="view", object_type="referrals.referral").count() >= 2 * 200
        assert AuditEvent.objects.filter(action="letter_delivered").count() == Outbox.objects.count()
