"""Reading the demo's caught mail for the Sent mail page: the newest messages, and one message's parts."""

from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from liaison.demo.models import CaughtMail

SHOWN = 200  # the newest; the demo sends a few letters an hour at most


@dataclass
class Part:
    number: int  # its place in the message's walk, for the download address
    filename: str
    content_type: str
    size: int


@dataclass
class Shown:
    mail: CaughtMail
    text: str = ""
    has_html: bool = False
    attachments: list[Part] = field(default_factory=list)


def newest(limit: int = SHOWN) -> list[CaughtMail]:
    return list(CaughtMail.objects.defer("raw").order_by("-received_at", "-id")[:limit])


def parsed(mail: CaughtMail) -> EmailMessage:
    return message_from_bytes(bytes(mail.raw), policy=policy.default)


def show(mail: CaughtMail) -> Shown:
    """The plain-text body, whether there is an HTML one, and the attachments (PDF letters) by number."""
    message = parsed(mail)
    text = message.get_body(preferencelist=("plain",))
    shown = Shown(mail, text=text.get_content() if text else "", has_html=message.get_body(("html",)) is not None)
    for number, part in enumerate(message.walk()):
        if part.is_attachment():
            shown.attachments.append(_part(number, part)[0])
    return shown


def _part(number: int, part) -> tuple[Part, bytes]:
    payload = part.get_payload(decode=True) or b""
    return Part(number, part.get_filename() or f"part-{number}", part.get_content_type(), len(payload)), payload


def html_body(mail: CaughtMail) -> str | None:
    body = parsed(mail).get_body(preferencelist=("html",))
    return body.get_content() if body else None


def attachment(mail: CaughtMail, number: int) -> tuple[Part, bytes] | None:
    """(The part's description, its bytes) for an attachment's number; None if that number is not one."""
    for n, part in enumerate(parsed(mail).walk()):
        if n == number and part.is_attachment():
            return _part(n, part)
    return None
