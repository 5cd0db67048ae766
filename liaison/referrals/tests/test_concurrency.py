"""Two people move the same referral at the same moment: one wins, the other is told, and the
history shows one move. Each thread has its own database connection, so the race is real."""

from functools import partial

import pytest

from liaison.care.tests.factories import evaluation_slot
from liaison.core.models import AuditEvent
from liaison.core.testing.threads import together
from liaison.referrals import services
from liaison.referrals.choices import EventKind, Status
from liaison.referrals.models import Referral, ReferralEvent
from liaison.referrals.tests.factories import receive_referral

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5


def race(pk: int, attempts: list[tuple[str, object]]) -> list:
    """Each attempt (to, by) in its own thread, from its own copy of the referral, released together.
    Returns what each got: the moved referral or the exception."""
    copies = [Referral.objects.get(pk=pk) for _ in attempts]
    return together(
        *(
            partial(services.referral_transition, referral=copy, to=to, by=by, reason="Racing.")
            for copy, (to, by) in zip(copies, attempts, strict=True)
        ),
        timeout=60,
    )


def moves_of(pk: int) -> list[ReferralEvent]:
    return list(ReferralEvent.objects.filter(referral_id=pk, kind=EventKind.TRANSITION))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Status.ACKNOWLEDGED, Status.ACKNOWLEDGED),  # both click the same button
        (Status.ACKNOWLEDGED, Status.INFO_REQUESTED),  # each picks a different next step
        (Status.EVAL_SCHEDULED, Status.CANCELLED),  # one moves on while the other closes it
    ],
)
def test_only_one_of_two_simultaneous_moves_wins(first, second, coordinator, director):
    for _ in range(ROUNDS):
        pk = receive_referral(by=coordinator).pk
        evaluation_slot(Referral.objects.get(pk=pk))  # "Evaluation scheduled" needs a booked slot (decision 0044)
        audits_before = AuditEvent.objects.filter(action="transition").count()

        results = race(pk, [(first, coordinator), (second, director)])

        winners = [r for r in results if isinstance(r, Referral)]
        losers = [r for r in results if isinstance(r, services.TransitionConflict)]
        assert (len(winners), len(losers)) == (1, 1), results
        won = winners[0].status
        assert f"it is now “{Status(won).label}”" in str(losers[0])
        assert str(losers[0]).startswith("Someone else changed this referral while you were looking at it")
        assert losers[0].current_status == won

        referral = Referral.objects.get(pk=pk)
        assert (referral.status, referral.version) == (won, 2)
        (event,) = moves_of(pk)
        assert (event.from_status, event.to_status) == (Status.RECEIVED, won)
        assert AuditEvent.objects.filter(action="transition").count() == audits_before + 1


def test_three_people_at_once_still_make_one_move(coordinator, clinician, director):
    for _ in range(ROUNDS):
        pk = receive_referral(by=coordinator).pk
        results = race(
            pk, [(Status.ACKNOWLEDGED, coordinator), (Status.INFO_REQUESTED, clinician), (Status.CANCELLED, director)]
        )
        assert sum(isinstance(r, Referral) for r in results) == 1, results
        assert sum(isinstance(r, services.TransitionConflict) for r in results) == 2, results
        assert Referral.objects.get(pk=pk).version == 2
        assert len(moves_of(pk)) == 1


def test_the_loser_can_try_again_from_what_it_sees_now(coordinator, director):
    pk = receive_referral(by=coordinator).pk
    results = race(pk, [(Status.ACKNOWLEDGED, coordinator), (Status.ACKNOWLEDGED, director)])
    assert sum(isinstance(r, services.TransitionConflict) for r in results) == 1

    evaluation_slot(Referral.objects.get(pk=pk))  # "Evaluation scheduled" needs a booked slot (decision 0044)
    services.referral_transition(referral=Referral.objects.get(pk=pk), to=Status.EVAL_SCHEDULED, by=director)
    referral = Referral.objects.get(pk=pk)
    assert (referral.status, referral.version) == (Status.EVAL_SCHEDULED, 3)
    assert [e.to_status for e in moves_of(pk)] == [Status.ACKNOWLEDGED, Status.EVAL_SCHEDULED]
