"""Small builders shared by the comms tests."""

from liaison.accounts.tests.factories import ClinicianFactory, CoordinatorFactory
from liaison.comms.models import DueCommunication
from liaison.directory.choices import Channel
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.tests.factories import PatientDataFactory, ReferralDataFactory, receive_referral


def referral_for(
    *,
    model="collaborative",
    channel=Channel.EMAIL,
    email="doc@practice.example",
    at=None,
    patient=None,
    coordinator=None,
    clinician=None,
    **referrer,
):
    referrer_obj = ReferrerFactory(shared_care_model=model, preferred_channel=channel, email=email, **referrer)
    referral = receive_referral(
        referral=ReferralDataFactory(referrer=referrer_obj),
        at=at,
        patient=PatientDataFactory(**(patient or {})),
    )
    if coordinator is not None or clinician is not None:
        from liaison.referrals.services import referral_assign

        referral_assign(referral=referral, by=coordinator, coordinator=coordinator, clinician=clinician)
    return referral


def staff():
    return CoordinatorFactory(), ClinicianFactory()


def keys(referral) -> dict[str, object]:
    return {d.key: d for d in DueCommunication.objects.filter(referral=referral).exclude(status="cancelled")}
