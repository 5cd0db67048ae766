"""The patient's questionnaire link by email or text message, with one reminder before the session (decision 0041).

Care makes the link and publishes `care.questionnaire_link_sent` with the token in the live context; this module
writes, in care's transaction, the message and its reminder. The worker needs the token to put it in the message,
so each row keeps it encrypted (Fernet, with a key derived from SECRET_KEY: the database alone cannot open a
link), and the copy is wiped when its message is sent, fails or is no longer needed."""

import base64
import hashlib
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError

from liaison.care.choices import BookingStatus
from liaison.care.models import Booking
from liaison.notify import sms
from liaison.notify.choices import Channel, NoticeKind, NoticeStatus
from liaison.notify.models import Notice
from liaison.notify.notices import wake_after_commit

GAP = timedelta(hours=1)  # a reminder comes at least this long after the link, and before the link expires


class Unreadable(Exception):
    """The kept token cannot be decrypted (SECRET_KEY changed since): a new link must be made."""


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"liaison.notify.link:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(token: str) -> str:
    return _fernet().encrypt(token.encode()).decode()


def unseal(secret: str) -> str:
    try:
        return _fernet().decrypt(secret.encode()).decode()
    except InvalidToken:
        raise Unreadable("The link kept for this message cannot be read any more; make a new link.") from None


def reminder_at(*, link, at: datetime, session_at: datetime | None = None) -> datetime | None:
    """When the one reminder goes: LIAISON_LINK_REMINDER_HOURS after the link, or a day before the booked session
    when that comes sooner; never sooner than an hour after the link, and none at all when that is not at least an
    hour before the link expires (or the session starts)."""
    when = at + timedelta(hours=settings.NOTIFY_LINK_REMINDER_HOURS)
    if session_at is not None:
        when = min(when, session_at - timedelta(hours=24))
    when = max(when, at + GAP)
    ends = min(link.expires_at, session_at) if session_at else link.expires_at
    return when if when <= ends - GAP else None


def next_session(referral_id: int, *, at: datetime) -> datetime | None:
    """The start of the referral's next booked evaluation or session, if any."""
    booked = Booking.objects.filter(referral_id=referral_id, status=BookingStatus.BOOKED, starts_at__gt=at)
    return booked.order_by("starts_at").values_list("starts_at", flat=True).first()


def link_notices_create(*, referral, link, token: str, channel: str, to: str, at: datetime) -> list[Notice]:
    """The link's message now and its reminder later. A reminder still waiting for an earlier link of the same
    referral is not needed any more (the new link replaces it). No text gateway: refused, naming the field."""
    if channel == Channel.SMS and not sms.configured():
        raise ValidationError(
            {"channel": ["No text message service is set up for the practice: send the link by email."]}
        )
    secret = seal(token)
    Notice.objects.filter(
        referral_id=referral.pk, kind=NoticeKind.QUESTIONNAIRE_REMINDER, status=NoticeStatus.QUEUED
    ).update(status=NoticeStatus.CANCELLED, secret="", last_error="A newer link was sent.")
    common = {"referral_id": referral.pk, "link": link, "channel": channel, "address": to, "secret": secret}
    rows = [
        Notice(kind=NoticeKind.QUESTIONNAIRE_LINK, key=f"link:{link.pk}", next_attempt_at=at, created_at=at, **common)
    ]
    when = reminder_at(link=link, at=at, session_at=next_session(referral.pk, at=at))
    if when is not None:
        rows.append(
            Notice(
                kind=NoticeKind.QUESTIONNAIRE_REMINDER,
                key=f"reminder:{link.pk}",
                next_attempt_at=when,
                created_at=at,
                **common,
            )  # fmt: skip
        )
    Notice.objects.bulk_create(rows)
    wake_after_commit()
    return rows
