"""The demo's care data: consistent with the rules the services enforce."""

import datetime
import random

import pytest
from django.utils import timezone

from liaison.care import queries
from liaison.care.demo import build_demo_care
from liaison.care.models import Assessment, Booking, SafetyAlert, Session
from liaison.referrals.choices import Status

pytestmark = pytest.mark.django_db
AT = datetime.datetime(2025, 6, 1, 12, tzinfo=datetime.UTC)


def test_treated_referrals_get_sessions_scores_and_two_item9_alerts(make_referral, clinician, director):
    statuses = [Status.ACUTE, Status.ACUTE_COMPLETE, Status.MAINTENANCE, Status.RETURNED, Status.RECEIVED] * 3
    referrals = [
        make_referral(s, received_at=AT - datetime.timedelta(days=20 + 15 * i)) for i, s in enumerate(statuses)
    ]
    counts = build_demo_care(rng=random.Random(5), referrals=referrals, clinicians=[clinician], at=AT)
    assert counts["sessions"] == Session.objects.count() > 12 * 2 and counts["alerts"] == 2
    assert not Session.objects.filter(referral__status=Status.RECEIVED).exists()
    for session in Session.objects.select_related("referral"):
        assert timezone.localdate(session.referral.received_at) <= session.held_on <= AT.date()
    for referral in referrals[:4]:
        acute = list(Session.objects.filter(referral=referral, kind="acute").values_list("number", flat=True))
        assert acute == list(range(1, len(acute) + 1))
    flagged = Assessment.objects.filter(instrument="phq9", item9__gt=0)
    assert set(flagged.values_list("pk", flat=True)) == set(SafetyAlert.objects.values_list("assessment_id", flat=True))
    assert SafetyAlert.objects.filter(acknowledged_at__isnull=True).count() == 1
    practice = queries.outcome_aggregates(user=director, by="practice")[0]
    assert practice.treated == 12 and practice.measured == 12
    for by in ("source_type", "referrer"):  # the outcomes page sums its rows for the practice line
        whole = queries.Aggregate.whole(queries.outcome_aggregates(user=director, by=by))
        assert (whole.treated, whole.measured, whole.responders, whole.remitted) == (
            practice.treated, practice.measured, practice.responders, practice.remitted,
        )  # fmt: skip
    every = queries.outcome_aggregates(user=director, by="referrer")
    one = every[0].key
    (mine,) = queries.outcome_aggregates(user=director, by="referrer", referrer_ids=[int(one)])
    assert (mine.key, mine.treated, mine.measured) == (one, every[0].treated, every[0].measured)


def test_the_coming_days_are_booked_without_a_clinician_booked_twice_at_once(make_referral, clinician, director):
    statuses = [Status.EVAL_SCHEDULED] * 8 + [Status.ACUTE] * 3 + [Status.RECEIVED, Status.EVALUATED]
    referrals = [make_referral(s, received_at=AT - datetime.timedelta(days=10)) for s in statuses]
    counts = build_demo_care(rng=random.Random(7), referrals=referrals, clinicians=[clinician, director], at=AT)
    bookings = list(Booking.objects.order_by("starts_at"))
    assert counts["bookings"] == len(bookings) == 11
    assert {b.referral.status for b in bookings} == {Status.EVAL_SCHEDULED, Status.ACUTE}
    for b in bookings:
        assert AT < b.starts_at < AT + datetime.timedelta(days=14) and b.status == "booked"
        assert timezone.localtime(b.starts_at).weekday() < 5
        clash = Booking.objects.filter(clinician=b.clinician, starts_at__lt=b.ends_at, ends_at__gt=b.starts_at)
        assert list(clash) == [b]
