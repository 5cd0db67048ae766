"""The demo's mail catcher: an SMTP server on 127.0.0.1 (aiosmtpd, in a thread of `liaison demo`) that keeps every
message it is given as a CaughtMail row instead of sending it on, so the letters the demo sends by email or by the
fax gateway are delivered, and can be read on the Sent mail page (decision 0038).

    catcher = start()            # a free port on 127.0.0.1, chosen now
    use(catcher)                 # Django's email settings point at it, for this process
    ...
    catcher.stop()
"""

import asyncio
import logging
import socket
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.utils import parseaddr

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from liaison.demo.models import CaughtMail

HOST = "127.0.0.1"  # never another: the catcher is for the person at this computer


class Keeper:
    """The aiosmtpd handler: each message becomes one CaughtMail row (written in a worker thread, as the ORM is
    not for the server's event loop), then the server answers 250."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.get_running_loop().run_in_executor(
            None, _keep_in_thread, envelope.mail_from or "", list(envelope.rcpt_tos), envelope.content
        )
        return "250 Message accepted for delivery"


def _keep_in_thread(sender: str, recipients: list[str], raw: bytes) -> None:
    try:
        keep(sender, recipients, raw)
    finally:
        close_old_connections()


def keep(sender: str, recipients: list[str], raw: bytes) -> CaughtMail:
    """Store one message as received (the catcher's whole job; tests call it directly)."""
    message = message_from_bytes(raw, policy=policy.default)
    return CaughtMail.objects.create(
        received_at=timezone.now(),
        sender=parseaddr(sender)[1][:300],
        recipients=", ".join(recipients)[:1000],
        subject=str(message.get("Subject", ""))[:300],
        message_id=str(message.get("Message-ID", ""))[:300],
        raw=raw,
    )


@dataclass
class Catcher:
    controller: Controller
    port: int

    def stop(self) -> None:
        self.controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start(port: int = 0) -> Catcher:
    """Listen on 127.0.0.1:`port` (a free one if 0) until stopped."""
    port = port or free_port()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's every SMTP command, on the console
    controller = Controller(Keeper(), hostname=HOST, port=port)
    controller.start()
    return Catcher(controller, port)


def use(catcher: Catcher) -> None:
    """Point this process's outgoing mail at the catcher: plain SMTP on 127.0.0.1, no sign-in."""
    settings.EMAIL_HOST, settings.EMAIL_PORT = HOST, catcher.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
