"""The email that tells a referrer a message from the practice is waiting in their portal (decision 0039). It names
the practice and holds a link (LIAISON_SITE_URL and the portal page), nothing about the patient or the referral: the
message itself is read after signing in. Sent by the worker after the message commits (referrals publishes
`referral.messaged` for the worker whatever LIAISON_INTAKE_FOLLOWUP says), over the same SMTP path as letters
(delivery.smtp_send)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from liaison.comms import delivery
from liaison.comms.models import CommsSettings
from liaison.core.events import Event
from liaison.core.models import Clinic
from liaison.referrals.message_models import ReferralMessage

SUBJECT = "A new message from {practice}"
BODY = (
    "Hello,\n\n{practice} has written to you about a patient you referred. For the patient's privacy the message "
    "is not in this email; please sign in to read it:\n\n{link}\n\nWith thanks,\n{practice}\n"
)


def message_notice(event: Event) -> bool:
    """Email the referrer that a message waits for them. Safe to run twice: a message already notified is skipped
    (a crash between the server taking the email and the row being marked sends it once more, which says nothing
    the first did not). Returns whether an email went. A referrer without an email address is not told here: the
    practice's panel says they have no portal account, or they read it when they next sign in."""
    message = (
        ReferralMessage.objects.select_related("referral__referrer").filter(pk=event.payload["message_id"]).first()
    )
    referrer = message.referral.referrer if message is not None else None
    if message is None or message.notified_at is not None or referrer is None or not referrer.email:
        return False
    if not referrer.accounts.filter(is_active=True).exists():
        return False  # nothing to sign in to: the practice is told on the referral's page to call or fax
    link = settings.SITE_URL + reverse("intake:portal_detail", args=[message.referral_id])
    delivery.smtp_send(_email(referrer.email, link), before_commit=lambda: None)
    ReferralMessage.objects.filter(pk=message.pk, notified_at__isnull=True).update(notified_at=timezone.now())
    return True


def _email(address: str, link: str) -> EmailMessage:
    clinic = Clinic.objects.order_by("pk").first()
    practice = clinic.name if clinic else "The practice"
    sender = CommsSettings.current().from_email or settings.DEFAULT_FROM_EMAIL
    return EmailMessage(
        subject=SUBJECT.format(practice=practice),
        body=BODY.format(practice=practice, link=link),
        from_email=sender,
        to=[address],
    )
