"""The lifecycle table, and a state machine that drives `services.referral_transition` with random
calls (allowed or not, with or without reasons, by every role, with stale versions) and checks the
referral and its history after every step."""

from collections import deque
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from liaison.accounts.choices import OUTSIDE_ROLES, STAFF_ROLES, Role
from liaison.care.bookings import evaluation_booked
from liaison.care.tests.factories import evaluation_slot
from liaison.core.models import AuditEvent
from liaison.referrals import lifecycle, services
from liaison.referrals.choices import EventKind, Status
from liaison.referrals.models import Referral, ReferralEvent
from liaison.referrals.tests.factories import ReferralFactory

ALL_MOVES = [(status, move) for status, moves in lifecycle.TRANSITIONS.items() for move in moves]


# ---------------------------------------------------------------- the table


def test_every_status_is_either_open_or_terminal():
    assert set(Status) == lifecycle.OPEN | lifecycle.TERMINAL
    assert not lifecycle.OPEN & lifecycle.TERMINAL
    assert set(lifecycle.TRANSITIONS) == set(Status)


def test_terminal_statuses_have_no_moves_and_no_next_action():
    for status in lifecycle.TERMINAL:
        assert lifecycle.moves_from(status) == ()
        assert status not in lifecycle.NEXT_ACTION


def test_every_open_status_has_a_next_action_with_an_owner_and_a_deadline():
    for status in lifecycle.OPEN:
        action = lifecycle.NEXT_ACTION[status]
        assert action.text
        assert action.role in (Role.COORDINATOR, Role.CLINICIAN)
        assert action.due_in.total_seconds() > 0
        assert lifecycle.moves_from(status), f"{status} is open but has no way out"


def test_every_closing_move_needs_a_reason_and_no_other_does():
    for _status, move in ALL_MOVES:
        assert move.needs_reason == (move.to in lifecycle.CLOSING)
    assert lifecycle.TERMINAL <= lifecycle.CLOSING


def test_no_move_stays_in_place_or_appears_twice():
    for status, moves in lifecycle.TRANSITIONS.items():
        targets = [m.to for m in moves]
        assert status not in targets
        assert len(targets) == len(set(targets))


def test_only_clinic_staff_who_see_patients_can_move_a_referral():
    for _status, move in ALL_MOVES:
        assert move.roles <= lifecycle.ANY_STAFF
        assert Role.LIAISON not in move.roles
        assert not move.roles & OUTSIDE_ROLES
    assert lifecycle.ANY_STAFF <= STAFF_ROLES


def _reachable(start):
    seen, queue = {start}, deque([start])
    while queue:
        for move in lifecycle.moves_from(queue.popleft()):
            if move.to not in seen:
                seen.add(move.to)
                queue.append(move.to)
    return seen


def path_to(goal):
    """The statuses of the shortest path of moves from Received to `goal`."""
    parent, queue = {Status.RECEIVED: None}, deque([Status.RECEIVED])
    while queue:
        status = queue.popleft()
        for move in lifecycle.moves_from(status):
            if move.to not in parent:
                parent[move.to] = status
                queue.append(move.to)
    path = []
    while goal != Status.RECEIVED:
        path.append(goal)
        goal = parent[goal]
    return path[::-1]


DEPTH = {status: len(_reachable(Status.RECEIVED)) - len(_reachable(status)) for status in Status}


def test_every_status_can_be_reached_from_received():
    assert _reachable(Status.RECEIVED) == set(Status)


def test_every_open_referral_can_still_be_closed():
    for status in lifecycle.OPEN:
        assert _reachable(status) & lifecycle.TERMINAL, f"{status} can never close"


def test_the_owner_of_every_next_action_has_a_move_to_make():
    for status, action in lifecycle.NEXT_ACTION.items():
        assert lifecycle.moves_for(status, action.role), f"{action.role} owns {status} but can do nothing"


def test_moves_for_is_the_roles_share_of_the_table():
    for status in Status:
        for role in Role:
            # A booked move ("Schedule evaluation") is the booking panel's form, not a bare button.
            expected = tuple(m for m in lifecycle.TRANSITIONS[status] if role in m.roles and not m.booked)
            assert lifecycle.moves_for(status, role) == expected
    assert Status.EVAL_SCHEDULED not in {m.to for m in lifecycle.moves_for(Status.ACKNOWLEDGED, Role.COORDINATOR)}
    assert lifecycle.find_move(Status.ACKNOWLEDGED, Status.EVAL_SCHEDULED).booked
    coordinator_moves = {m.to for m in lifecycle.moves_for(Status.EVALUATED, Role.COORDINATOR)}
    assert Status.ACCEPTED not in coordinator_moves
    assert Status.ACCEPTED in {m.to for m in lifecycle.moves_for(Status.EVALUATED, Role.CLINICIAN)}


def test_find_move_finds_only_moves_in_the_table():
    assert lifecycle.find_move(Status.RECEIVED, Status.ACKNOWLEDGED).label == "Acknowledge"
    assert lifecycle.find_move(Status.RECEIVED, Status.MAINTENANCE) is None
    assert lifecycle.find_move(Status.CANCELLED, Status.RECEIVED) is None


# ---------------------------------------------------------------- the state machine

ACTORS = ["coordinator", "clinician", "director", "admin", "liaison", "referrer", "practice_admin", "anonymous", None]
REASONS = ["", "   ", "The patient moved out of state."]


def _snapshot(pk):
    referral = Referral.objects.get(pk=pk)
    return (
        referral.status,
        referral.version,
        referral.next_action_due_at,
        ReferralEvent.objects.filter(referral_id=pk).count(),
        AuditEvent.objects.filter(object_type="referrals.referral", object_id=str(pk)).count(),
    )


def _allowed(status, to, by, reason, stale):
    """What the table says about this call, independently of the service."""
    move = lifecycle.find_move(status, to)
    if move is None or stale:
        return False
    if by is not None and getattr(by, "role", None) not in move.roles:
        return False
    return not move.needs_reason or bool(reason.strip())


def check_history(referral, events):
    """The events are a path through the table from Received to the current status."""
    assert events[0].kind == EventKind.RECEIVED and events[0].to_status == Status.RECEIVED
    moves = [e for e in events if e.kind == EventKind.TRANSITION]
    at = Status.RECEIVED
    for event in moves:
        assert event.from_status == at
        assert lifecycle.find_move(event.from_status, event.to_status) is not None
        at = event.to_status
    assert at == referral.status
    assert referral.version == 1 + len(moves)


def check_next_action(referral, events):
    """Open: the table's next action, owned by whoever is assigned to that role, due from the last move.
    Terminal: nothing next."""
    action = lifecycle.NEXT_ACTION.get(Status(referral.status))
    if action is None:
        assert referral.status in lifecycle.TERMINAL and not referral.is_open
        assert (referral.next_action, referral.next_action_role) == ("", "")
        assert referral.next_action_owner_id is None and referral.next_action_due_at is None
        return
    assert referral.is_open
    assert (referral.next_action, referral.next_action_role) == (action.text, action.role)
    clinician = action.role == Role.CLINICIAN
    assert referral.next_action_owner_id == (
        referral.assigned_clinician_id if clinician else referral.assigned_coordinator_id
    )
    last = [e for e in events if e.kind in (EventKind.RECEIVED, EventKind.TRANSITION)][-1]
    if referral.status == Status.MAINTENANCE:  # due when its monthly letter is, where one is owed (comms.next_action)
        from liaison.comms.models import DueCommunication

        month = DueCommunication.objects.filter(referral_id=referral.pk, key="month:1").exclude(status="cancelled")
        if month.exists():
            assert referral.next_action_due_at == month.get().due_at
            return
    assert referral.next_action_due_at == last.at + action.due_in


def check_closing(referral, events):
    """A closing status says when and why (the last move's time and reason); any other says neither."""
    if referral.status in lifecycle.CLOSING:
        last = [e for e in events if e.kind == EventKind.TRANSITION][-1]
        assert referral.closed_reason.strip()
        assert (referral.closed_at, referral.closed_reason) == (last.at, last.reason)
    else:
        assert referral.closed_at is None and referral.closed_reason == ""


def make_machine(cast):
    class LifecycleMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            # A received referral as intake leaves it (the row and its first event), without the cost of
            # screening at intake, which this machine does not exercise.
            referral = ReferralFactory(patient__last_name="Walker")
            ReferralEvent.objects.create(
                referral=referral,
                at=referral.received_at,
                actor=cast["coordinator"],
                actor_label="cora",
                kind=EventKind.RECEIVED,
                to_status=Status.RECEIVED,
            )
            self.pk = referral.pk
            self.copies = []  # referrals loaded earlier, to be used stale

        @initialize(start=st.sampled_from(sorted(lifecycle.OPEN)))
        def walk_to_a_starting_status(self, start):
            """Start anywhere open, reached by the shortest path, so every run covers the whole table."""
            for to in path_to(start):
                self._attempt(self._fresh(), to, "director", "On the way to the starting status.")

        def _fresh(self):
            return Referral.objects.get(pk=self.pk)

        def _attempt(self, referral, to, actor, reason, expected_version=None):
            by = cast[actor]
            current = self._fresh()
            seen_version = referral.version if expected_version is None else expected_version
            stale = seen_version != current.version or referral.status != current.status
            predicted = _allowed(referral.status, to, by, reason, stale)
            if to == Status.EVAL_SCHEDULED and not evaluation_booked(current):
                # "Evaluation scheduled" needs a booked slot (decision 0044); one whose time has come, so the walk
                # may record the patient as missing it
                evaluation_slot(current, starts_at=timezone.now() - timedelta(hours=1))
            before = _snapshot(self.pk)
            try:
                services.referral_transition(
                    referral=referral, to=to, by=by, reason=reason, expected_version=expected_version
                )
            except services.TransitionConflict as exc:
                assert stale, "a conflict without anyone else having moved the referral"
                assert "Someone else changed this referral" in str(exc)
                accepted = False
            except ValidationError:
                accepted = False
            else:
                accepted = True
            assert accepted == predicted, (current.status, to, actor, repr(reason), stale)
            if not accepted:
                assert _snapshot(self.pk) == before, "a refused call changed something"
                return
            status, version, _due, events, audits = _snapshot(self.pk)
            assert (status, version, events, audits) == (to, before[1] + 1, before[3] + 1, before[4] + 1)
            event = ReferralEvent.objects.filter(referral_id=self.pk).latest("at", "id")
            assert event.kind == EventKind.TRANSITION
            assert (event.from_status, event.to_status) == (current.status, to)
            assert event.reason == reason.strip()
            assert event.actor_id == (by.pk if by is not None and by.is_authenticated else None)
            assert event.actor_label == (by.get_username() if by is not None else "system")
            assert referral.status == to and referral.version == version, "the caller's object is brought up to date"

        @rule(
            to=st.sampled_from(list(Status)),
            actor=st.sampled_from(ACTORS),
            reason=st.sampled_from(REASONS),
            drift=st.sampled_from([0, 0, 0, 0, -1, 1]),
        )
        def transition(self, to, actor, reason, drift):
            referral = self._fresh()
            expected = referral.version + drift if drift else None
            self._attempt(referral, to, actor, reason, expected_version=expected)

        @rule(
            actor=st.sampled_from(["coordinator", "clinician", "director"]),
            pick=st.integers(min_value=0, max_value=99),
            close=st.integers(min_value=0, max_value=5),
        )
        def allowed_move(self, actor, pick, close):
            """Mostly forward moves the table allows, so that walks get deep into the lifecycle."""
            referral = self._fresh()
            moves = lifecycle.moves_for(referral.status, cast[actor].role)
            forward = sorted((m for m in moves if not m.needs_reason), key=lambda m: -DEPTH[m.to])
            choices = (forward[:1] if pick % 2 else forward) if forward and close else moves
            if choices:
                self._attempt(referral, choices[pick % len(choices)].to, actor, "Because.")

        @rule()
        def remember_a_copy(self):
            self.copies.append(self._fresh())

        @rule(data=st.data(), to=st.sampled_from(list(Status)), actor=st.sampled_from(ACTORS))
        def transition_from_an_old_copy(self, data, to, actor):
            if self.copies:
                copy = data.draw(st.sampled_from(self.copies))
                self._attempt(copy, to, actor, "Seen a while ago.")

        @rule(
            coordinator=st.sampled_from([None, "coordinator", "director"]),
            clinician=st.sampled_from([None, "clinician", "director"]),
        )
        def assign(self, coordinator, clinician):
            services.referral_assign(
                referral=self._fresh(), by=cast["admin"], coordinator=cast[coordinator], clinician=cast[clinician]
            )
            # An assignment does not change the version; older copies are dropped so every move here
            # starts from a fresh one (test_services checks a move from an older copy keeps the new owner).
            self.copies.clear()

        @invariant()
        def the_referral_keeps_every_rule(self):
            referral = self._fresh()
            events = list(ReferralEvent.objects.filter(referral_id=self.pk).order_by("at", "id"))
            assert referral.status in Status.values
            check_history(referral, events)
            check_next_action(referral, events)
            check_closing(referral, events)

    return LifecycleMachine


@pytest.mark.django_db
def test_random_walks_through_the_lifecycle_keep_every_rule(
    coordinator, clinician, director, admin, liaison, alice, practice_admin
):
    cast = {
        "coordinator": coordinator,
        "clinician": clinician,
        "director": director,
        "admin": admin,
        "liaison": liaison,
        "referrer": alice,
        "practice_admin": practice_admin,
        "anonymous": AnonymousUser(),
        None: None,  # the system itself (a job), which the table does not restrict
    }
    run_state_machine_as_test(
        make_machine(cast),
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
