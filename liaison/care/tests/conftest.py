"""Care fixtures on top of the shared cast (liaison/conftest.py): referrals of Alice's at the points of the
lifecycle where care happens, and a helper that records a whole acute series through the service."""

import datetime

import pytest
from django.apps import apps
from django.utils import timezone

from liaison.care import services
from liaison.care.scoring import ScoreInput
from liaison.care.services import SessionInput
from liaison.referrals.choices import Status
from liaison.referrals.tests.factories import ReferralFactory

RECEIVED = datetime.datetime(2025, 1, 6, 10, 0, tzinfo=datetime.UTC)


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in apps.get_models() if m._meta.managed}


def items_for(total: int, count: int = 9, item9: int = 0) -> list[int]:
    """Answers adding up to `total`, with item 9 as given (PHQ-9) and the rest spread over the others."""
    answers = [0] * count
    if count == 9:
        answers[8] = item9
    remaining, i = total - (item9 if count == 9 else 0), 0
    while remaining > 0:
        add = min(3, remaining)
        answers[i] = add
        remaining -= add
        i += 1
    return answers


def phq9(total: int, item9: int = 0) -> ScoreInput:
    return ScoreInput(items=items_for(total, 9, item9))


def gad7(total: int) -> ScoreInput:
    return ScoreInput(items=items_for(total, 7))


@pytest.fixture
def make_referral(alice_referrer, clinician):
    def make(status=Status.ACCEPTED, **kwargs):
        kwargs.setdefault("referrer", alice_referrer)
        kwargs.setdefault("assigned_clinician", clinician)
        kwargs.setdefault("received_at", RECEIVED)
        return ReferralFactory(status=status, **kwargs)

    return make


@pytest.fixture
def accepted(make_referral):
    return make_referral(Status.ACCEPTED)


@pytest.fixture
def record(clinician):
    """`record(referral, kind, on, phq9=..., gad7=..., **session fields)` through session_record."""

    def run(referral, kind, on, *, by=None, phq9=None, gad7=None, **fields):
        if kind != "evaluation":
            fields.setdefault("route", "iv")
        data = SessionInput(kind=kind, held_on=on, **fields)
        return services.session_record(
            referral=referral,
            by=by or clinician,
            data=data,
            phq9=phq9,
            gad7=gad7,
            at=timezone.make_aware(datetime.datetime(2025, 6, 1, 12)),
        )

    return run
