"""The words of each notice. To staff: what kind of thing needs them and a link to it, never a patient's name,
date of birth or anything else of theirs; to a patient: their questionnaire link and who sends it."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from liaison.comms.models import CommsSettings
from liaison.core.models import Clinic
from liaison.core.validators import control_characters
from liaison.notify import appointments, links, sms
from liaison.notify.choices import PATIENT_KINDS, Channel, NoticeKind
from liaison.notify.models import Notice

SUBJECTS = {
    NoticeKind.SAFETY_ALERT: "Liaison: a safety alert needs you",
    NoticeKind.URGENT_REFERRAL: "Liaison: an urgent referral needs you",
    NoticeKind.REFERRER_MESSAGE: "Liaison: a referrer has answered",
    NoticeKind.LETTER_DUE_SOON: "Liaison: a letter is due soon",
    NoticeKind.DIGEST: "Liaison: your day",
}


class Undeliverable(Exception):
    """Why this notice cannot be sent, whatever a retry does."""


def clinic_name() -> str:
    clinic = Clinic.objects.order_by("pk").first()
    return clinic.name if clinic else "Your care team"


def url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def build(notice: Notice) -> EmailMessage | sms.Text:
    """The email or the text message for this notice, checked before any connection is made."""
    if notice.kind == NoticeKind.APPOINTMENT:
        return appointments.build(notice, make_email=_email)
    if notice.kind in PATIENT_KINDS:
        return _to_patient(notice)
    if not notice.address:
        raise Undeliverable("Your account has no email address, so notices cannot reach you; ask the administrator")
    return _email(notice.address, SUBJECTS[notice.kind], _staff_body(notice))


def _staff_body(notice: Notice) -> str:
    context = {
        "notice": notice,
        "url": url(notice.path),
        "account_url": url(reverse("accounts:account")),
        "clinic": clinic_name(),
        "due_at": notice.payload.get("due_at"),
        "counts": notice.payload.get("counts", {}),
        "links": {name: url(path) for name, path in notice.payload.get("links", {}).items()},
    }
    return render_to_string(f"notify/email/{notice.kind}.txt", context)


def _to_patient(notice: Notice) -> EmailMessage | sms.Text:
    link = notice.link
    token = links.unseal(notice.secret)
    context = {
        "clinic": clinic_name(),
        "url": url(reverse("care:questionnaire", args=[token])),
        "expires_at": timezone.localtime(link.expires_at),
        "reminder": notice.kind == NoticeKind.QUESTIONNAIRE_REMINDER,
    }
    if notice.channel == Channel.SMS:
        body = render_to_string("notify/email/questionnaire.sms.txt", context).strip()
        return sms.Text(to=notice.address, body=body, key=notice.message_id.strip("<>"))
    subject = f"{'Reminder: y' if context['reminder'] else 'Y'}our questionnaire from {context['clinic']}"
    return _email(notice.address, subject, render_to_string("notify/email/questionnaire.txt", context))


def _email(address: str, subject: str, body: str) -> EmailMessage:
    sender = CommsSettings.current().from_email or settings.DEFAULT_FROM_EMAIL
    if control_characters(address) or not _valid(address):
        raise Undeliverable(f"{address!r} is not a valid email address")
    if control_characters(subject) or control_characters(sender):
        raise Undeliverable("The subject or the sender holds a control character, which no email may carry")
    message = EmailMessage(subject=subject, body=body, from_email=sender, to=[address])
    message.message()  # a header Django cannot write safely fails here, not mid-conversation
    return message


def _valid(address: str) -> bool:
    try:
        validate_email(address)
    except Exception:  # noqa: BLE001 - any refusal means "not an address"
        return False
    return True
