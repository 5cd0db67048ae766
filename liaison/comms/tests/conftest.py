"""Fixtures for comms: the seeded protocol, a clinic, and a real SMTP server on 127.0.0.1 that counts
what it receives (aiosmtpd)."""

import asyncio
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from liaison.comms.seed import seed_protocol
from liaison.core.models import Clinic


@pytest.fixture
def protocol(db):
    seed_protocol()


@pytest.fixture
def clinic(db):
    return Clinic.objects.create(
        name="Harbor Ketamine Clinic",
        address="12 Pier Street, Brooklyn NY 11201",
        phone="(718) 555-0100",
        email="care@harbor.example",
    )


class Inbox:
    """Counts what arrives; can refuse for a while, or hold the reply to DATA to let a test kill the sender."""

    def __init__(self):
        self.messages: list = []
        self.refuse_with: str | None = None
        self.hold_data_seconds = 0.0
        self.hold_rcpt_seconds = 0.0
        self.data_started = threading.Event()
        self.rcpt_started = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_started.set()
        if self.hold_rcpt_seconds:
            await asyncio.sleep(self.hold_rcpt_seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        self.messages.append(envelope.content)
        self.data_started.set()
        if self.hold_data_seconds:
            await asyncio.sleep(self.hold_data_seconds)
        return "250 Message accepted"

    def message_ids(self) -> list[str]:
        import email

        return [email.message_from_bytes(m)["Message-ID"] for m in self.messages]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_inbox():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    with override_settings(EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_USE_TLS=False, EMAIL_HOST_USER=""):
        yield inbox
    controller.stop()
