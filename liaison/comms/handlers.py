"""What comms does when something happens to a referral: bring the letters it owes up to date. Subscribed in
comms/apps.py through the event registry (liaison.core.events); `liaison events` lists every reaction."""

from liaison.comms.owed import communications_recompute
from liaison.comms.protocol import Snapshot
from liaison.core.events import Event
from liaison.referrals.queries import referral_of


def letters_owed(event: Event) -> None:
    """Recompute the referral's owed letters (the acknowledgment, updates, the safety letter...). A recompute,
    keyed by (referral, letter), so running it twice owes nothing twice. A worker's batch reads the protocol
    once for all its referrals."""
    referral = referral_of(event)
    if referral is None:  # deleted since: nothing is owed
        return
    snapshot = None
    if "referral_ids" in event.shared:
        if "comms.snapshot" not in event.shared:
            event.shared["comms.snapshot"] = Snapshot.load()
        snapshot = event.shared["comms.snapshot"]
    # In the publisher's transaction, as of its step; in the worker, as of now (the referral may have moved on).
    at = event.at if event.context else None
    communications_recompute(referral=referral, at=at, snapshot=snapshot)


def referrer_contact_changed(event: Event) -> None:
    """A referrer's email, fax or preferred channel was corrected (directory.services.referrer_contact_update): the
    letters held up for want of a way to reach them are looked at again, in the same transaction, so a letter that
    can now go leaves the work queue's problems at once instead of waiting for the referral's next step. Only the
    referrer's referrals with such a letter still to send are recomputed: a handful, however long their history."""
    from liaison.comms.choices import PENDING
    from liaison.comms.models import DueCommunication
    from liaison.referrals.models import Referral

    held = DueCommunication.objects.filter(
        referral__referrer_id=event.payload["referrer_id"], status__in=PENDING
    ).exclude(problem="")
    for referral in Referral.objects.filter(pk__in=held.values("referral_id")).order_by("id"):
        communications_recompute(referral=referral)
