"""The other notices: an urgent referral, a referrer's answer in the portal, a letter about to go overdue, and
each person's daily digest; each once, each as the person chose."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from liaison.accounts.tests.factories import ClinicianFactory
from liaison.comms.models import DueCommunication
from liaison.core.events import Event
from liaison.notify import handlers, notices, send, sweeps
from liaison.notify.choices import NoticeKind, NoticeStatus
from liaison.notify.models import Notice
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

NY = ZoneInfo("America/New_York")
TUESDAY_10 = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=NY)


def kinds() -> list[tuple[str, str]]:
    return sorted(Notice.objects.values_list("kind", "recipient__username"))


# ---------------------------------------------------------------- an urgent referral


def test_an_urgent_referral_goes_to_every_clinician_when_none_is_assigned(clinician, coordinator):
    other = ClinicianFactory(username="cleo")
    referral = receive_referral(referral=ReferralDataFactory(urgency="urgent"))
    assert kinds() == [(NoticeKind.URGENT_REFERRAL, "cleo"), (NoticeKind.URGENT_REFERRAL, "cliff")]
    assert set(Notice.objects.values_list("path", flat=True)) == {f"/referrals/{referral.pk}/"}
    assert other.pk in Notice.objects.values_list("recipient_id", flat=True)


def test_a_routine_referral_tells_nobody(clinician):
    receive_referral()
    assert not Notice.objects.exists()


def test_one_who_switched_urgent_referrals_off_is_not_told(clinician):
    notices.preferences_update(user=clinician, by=clinician, choices={"urgent_referral": False})
    receive_referral(referral=ReferralDataFactory(urgency="urgent"))
    assert not Notice.objects.exists()


def test_a_referral_with_suicidality_sends_the_safety_alert_not_a_second_email(clinician):
    receive_referral(referral=ReferralDataFactory(urgency="urgent", suicidal_ideation_current=True))
    assert kinds() == [(NoticeKind.SAFETY_ALERT, "cliff")]


def test_the_urgent_handler_run_twice_writes_one_notice(clinician):
    referral = receive_referral(referral=ReferralDataFactory(urgency="urgent"))
    event = Event("referral.received", referral.pk, payload={"at": timezone.now().isoformat()})
    assert handlers.urgent_referral(event) == 0
    assert Notice.objects.count() == 1


def test_an_old_referral_loaded_from_history_tells_nobody(clinician):
    receive_referral(referral=ReferralDataFactory(urgency="urgent"), at=timezone.now() - datetime.timedelta(days=3))
    assert not Notice.objects.exists()


# ---------------------------------------------------------------- the referrer's answer


def test_a_referrers_reply_in_the_portal_emails_the_coordinator_a_link(treated, alice, coordinator, smtp_inbox):
    from liaison.referrals import messages

    messages.reply_receive(referral=treated, by=alice, body="The patient also tried bupropion in 2019.")
    notice = Notice.objects.get()
    assert (notice.kind, notice.recipient, notice.path) == (
        NoticeKind.REFERRER_MESSAGE, coordinator, f"/referrals/{treated.pk}/#messages",
    )  # fmt: skip
    send.deliver_due()
    (raw,) = smtp_inbox.messages
    assert b"Liaison: a referrer has answered" in raw and b"bupropion" not in raw


def test_a_referrers_answer_goes_to_the_referrals_coordinator_once(treated, coordinator):
    event = Event("referral.replied", treated.pk, event_id=41, payload={"at": timezone.now().isoformat()})
    assert handlers.referrer_replied(event) == 1
    assert handlers.referrer_replied(event) == 0
    assert kinds() == [(NoticeKind.REFERRER_MESSAGE, coordinator.username)]


# ---------------------------------------------------------------- a letter about to go overdue


def owed(referral, *, due_at, owner=None, owner_role="coordinator"):
    return DueCommunication.objects.create(
        referral=referral, key=f"k{due_at:%H%M}", letter_type="acknowledgment", triggered_at=due_at, due_at=due_at,
        owner=owner, owner_role=owner_role,
    )  # fmt: skip


def test_a_letter_due_within_two_business_hours_tells_its_owner_once(treated, coordinator, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    soon = owed(treated, due_at=TUESDAY_10 + datetime.timedelta(hours=1, minutes=30), owner=coordinator)
    owed(treated, due_at=TUESDAY_10 + datetime.timedelta(hours=5), owner=coordinator)  # later: not yet
    assert sweeps.letters_due_soon() == 1
    assert sweeps.letters_due_soon() == 0
    notice = Notice.objects.get()
    assert (notice.kind, notice.recipient, notice.path) == (
        NoticeKind.LETTER_DUE_SOON, coordinator, f"/comms/due/{soon.pk}/letter/",
    )  # fmt: skip
    assert notice.payload["due_at"] == "11:30 AM on Tue Dec 1"


def test_an_unowned_letter_goes_to_the_referrals_coordinator(treated, coordinator, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    owed(treated, due_at=TUESDAY_10 + datetime.timedelta(hours=1))
    sweeps.letters_due_soon()
    assert kinds() == [(NoticeKind.LETTER_DUE_SOON, coordinator.username)]


def test_a_letter_overdue_already_or_switched_off_sends_nothing(treated, coordinator, time_machine):
    time_machine.move_to(TUESDAY_10, tick=False)
    owed(treated, due_at=TUESDAY_10 - datetime.timedelta(minutes=5), owner=coordinator)
    notices.preferences_update(user=coordinator, by=coordinator, choices={"letter_due_soon": False})
    owed(treated, due_at=TUESDAY_10 + datetime.timedelta(hours=1), owner=coordinator)
    assert sweeps.letters_due_soon() == 0


# ---------------------------------------------------------------- the daily digest


def test_the_digest_counts_and_links_once_a_day(treated, coordinator, clinician, time_machine, smtp_inbox):
    time_machine.move_to(TUESDAY_10.replace(hour=7, minute=30), tick=False)
    owed(treated, due_at=TUESDAY_10 + datetime.timedelta(hours=3), owner=coordinator)
    owed(treated, due_at=TUESDAY_10 - datetime.timedelta(days=1), owner=coordinator)
    assert sweeps.digests_send() == 2  # Cora's, and Cliff's (nothing to tell him: no email)
    assert sweeps.digests_send() == 0
    digest = Notice.objects.get(recipient=coordinator)
    assert digest.key == "digest:2026-12-01" and digest.status == NoticeStatus.QUEUED
    assert digest.payload["counts"] == {
        "letters_today": 1, "letters_overdue": 1, "steps_today": 0, "steps_overdue": 0, "alerts": 0,
    }  # fmt: skip
    send.deliver_due()
    body = [m.decode() for m in smtp_inbox.messages if coordinator.email.encode() in m][0]
    assert "Letters due today: 1" in body and "Letters overdue: 1" in body and "/comms/?mine=1" in body
    assert treated.patient.last_name not in body


def test_a_day_with_nothing_to_tell_sends_no_email(director, time_machine, smtp_inbox):
    time_machine.move_to(TUESDAY_10.replace(hour=8), tick=False)
    assert sweeps.digests_send() == 1
    assert Notice.objects.get().status == NoticeStatus.CANCELLED
    send.deliver_due()
    assert not smtp_inbox.messages


@pytest.mark.parametrize(
    "moment",
    [TUESDAY_10.replace(hour=6, minute=59), datetime.datetime(2026, 12, 5, 9, tzinfo=NY)],
    ids=["early", "saturday"],
)
def test_no_digest_before_the_hour_or_on_a_day_off(coordinator, time_machine, moment):
    time_machine.move_to(moment, tick=False)
    assert sweeps.digests_send() == 0


def test_one_who_switched_the_digest_off_gets_none(coordinator, time_machine):
    notices.preferences_update(user=coordinator, by=coordinator, choices={"digest": False})
    time_machine.move_to(TUESDAY_10, tick=False)
    assert sweeps.digests_send() == 0


def test_the_built_in_worker_runs_the_sweeps():
    from liaison.comms import worker

    assert worker._periodic["notify.letters_due_soon"] == (300, sweeps.letters_due_soon)
    assert worker._periodic["notify.digests"] == (600, sweeps.digests_send)
