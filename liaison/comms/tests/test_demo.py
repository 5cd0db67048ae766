from liaison.comms import demo
from liaison.comms.models import DueCommunication, Outbox
from liaison.comms.tests.helpers import referral_for, staff
from liaison.referrals.models import ReferralEvent


def test_demo_populates_owed_and_delivered_letters(clinic, db):
    staff()
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() - timedelta(days=5)):
        referrals = [referral_for(email=f"d{i}@x.example") for i in range(4)]
    result = demo.populate(seed=1, delivered_share=1.0)
    assert result["referrals"] == 4 and result["delivered"] >= 4
    assert Outbox.objects.filter(status="sent").count() == result["delivered"]
    assert (
        ReferralEvent.objects.filter(referral__in=referrals, detail__comms="delivered").count() == result["delivered"]
    )
    assert demo.populate(seed=1)["delivered"] == 0  # nothing owed and due is left undelivered
    assert DueCommunication.objects.filter(status="delivered").count() == result["delivered"]
