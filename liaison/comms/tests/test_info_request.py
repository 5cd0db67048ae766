"""When screening finds something missing for the assessment, the request to the referrer is owed at once,
drafted from screening's own list; nobody has to click 'Request information' first."""

from liaison.comms import services
from liaison.comms.tests.helpers import keys, staff
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.services import referral_transition
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral


def _incomplete(coordinator=None):
    referrer = ReferrerFactory(preferred_channel="email", email="doc@practice.example")
    referral = receive_referral(referral=ReferralDataFactory(referrer=referrer, episode_months=None), diagnoses=[])
    if coordinator is not None:
        from liaison.referrals.services import referral_assign

        referral_assign(referral=referral, by=coordinator, coordinator=coordinator)
    return referral


def test_the_request_is_owed_on_receipt_without_a_click(protocol, clinic):
    coordinator, _ = staff()
    referral = _incomplete(coordinator)
    assert referral.status == "received"  # nobody moved it
    request = keys(referral)["info:screening"]
    assert request.letter_type == "info_request" and request.due_at == referral.received_at
    assert request.owner == coordinator
    assert request.reason == "request for missing information: at once, when information is found missing"


def test_the_request_is_drafted_from_screenings_list(protocol, clinic):
    coordinator, _ = staff()
    referral = _incomplete(coordinator)
    letter = services.letter_draft(due=keys(referral)["info:screening"], by=coordinator)
    assert "- The working diagnosis, with its ICD-10 code." in letter.body
    assert "- How long the current depressive episode has lasted." in letter.body
    assert "[[" not in letter.body  # nothing left for a person to name


def test_the_first_request_information_step_owes_no_second_letter_but_a_later_one_does(protocol, clinic):
    coordinator, _ = staff()
    referral = _incomplete(coordinator)
    referral = referral_transition(referral=referral, to="info_requested", by=coordinator)
    assert [k for k in keys(referral) if k.startswith("info:")] == ["info:screening"]
    referral = referral_transition(referral=referral, to="acknowledged", by=coordinator, reason="Some came back.")
    referral = referral_transition(referral=referral, to="info_requested", by=coordinator)
    assert len([k for k in keys(referral) if k.startswith("info:")]) == 2


def test_a_complete_referral_owes_no_request(protocol, clinic):
    referrer = ReferrerFactory(preferred_channel="email", email="doc@practice.example")
    referral = receive_referral(referral=ReferralDataFactory(referrer=referrer))
    assert not [k for k in keys(referral) if k.startswith("info:")]
