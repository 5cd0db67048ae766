"""How a letter reaches its referrer: the channel chosen from the referrer's preference and what the
practice has set up, and the SMTP conversation with a recorded phase (see docs/decisions)."""

import smtplib
import ssl
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings

from liaison.comms.choices import DeliveryChannel
from liaison.comms.models import CommsSettings
from liaison.directory.choices import Channel


@dataclass(frozen=True)
class Route:
    channel: str
    address: str
    problem: str = ""


def fax_address(fax: str, gateway: str) -> str:
    digits = "".join(ch for ch in fax if ch.isdigit())
    return f"{digits}@{gateway}"


def has_portal_account(referrer) -> bool:
    return referrer.accounts.filter(is_active=True).exists()


def route_for(referrer, comms: CommsSettings | None = None) -> Route:
    """The referrer's preferred channel if it can be used, else the first usable of email, fax, portal.
    No usable channel: a Route with a problem that says why, for the work queue."""
    if referrer is None:
        return Route("", "", "This is a self-referral: there is no referring clinician to write to.")
    comms = comms or CommsSettings.current()
    options = {
        Channel.EMAIL: lambda: Route(DeliveryChannel.EMAIL, referrer.email) if referrer.email else None,
        Channel.FAX: lambda: _fax(referrer, comms),
        Channel.PORTAL: lambda: Route(DeliveryChannel.PORTAL, "") if has_portal_account(referrer) else None,
    }
    for channel in (referrer.preferred_channel, Channel.EMAIL, Channel.FAX, Channel.PORTAL):
        route = options[channel]() if channel in options else None
        if route is not None:
            return route
    reasons = [
        "no email address",
        "no fax number" if not referrer.fax else "no fax gateway set up for the practice",
        "no portal account",
    ]
    return Route("", "", f"No usable channel to {referrer.display_name}: {', '.join(reasons)}.")


def _fax(referrer, comms: CommsSettings) -> Route | None:
    if referrer.fax and comms.fax_gateway_domain:
        return Route(DeliveryChannel.FAX, fax_address(referrer.fax, comms.fax_gateway_domain))
    return None


class Ambiguous(Exception):
    """The server had the whole message but no answer came back: it may have been delivered."""


def smtp_connection() -> smtplib.SMTP:
    cls = smtplib.SMTP_SSL if settings.EMAIL_USE_SSL else smtplib.SMTP
    conn = cls(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=settings.EMAIL_TIMEOUT)
    if settings.EMAIL_USE_TLS:
        conn.starttls(context=ssl.create_default_context())
    if settings.EMAIL_HOST_USER:
        conn.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
    return conn


def smtp_send(message, *, before_commit) -> None:
    """Send one email. `before_commit()` is called (and must record the phase durably) after the server
    has taken the envelope and the body, just before the final dot that asks it to accept the message.
    Failures before that point raise smtplib/OSError errors (safe to retry); after it, Ambiguous."""
    data = smtplib.quotedata(message.message().as_string())  # built before connecting: a bad header fails here
    sender = parseaddr(message.from_email)[1]
    conn = smtp_connection()
    try:
        conn.ehlo_or_helo_if_needed()
        code, reply = conn.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        for rcpt in message.recipients():
            code, reply = conn.rcpt(rcpt)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({rcpt: (code, reply)})
        code, reply = conn.docmd("DATA")
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        conn.send(data.encode("utf-8") + (b"" if data.endswith("\r\n") else b"\r\n"))
        before_commit()
        try:
            conn.send(b".\r\n")
            code, reply = conn.getreply()
        except Exception as exc:  # after the dot, whatever broke, the server may have the message: never resend
            raise Ambiguous(f"{type(exc).__name__}: {exc}") from exc
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
    finally:
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()
