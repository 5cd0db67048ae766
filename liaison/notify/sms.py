"""Text messages, through a backend chosen like Django's EMAIL_BACKEND (settings.SMS_BACKEND, from
LIAISON_SMS_BACKEND): "console" prints them (the demo), "locmem" keeps them in `outbox` (the tests), "http" posts
them to the operator's gateway (LIAISON_SMS_URL, LIAISON_SMS_TOKEN, LIAISON_SMS_FROM; docs/operator-guide.md).
None is set in production until the operator sets one: no network call is made unless configured."""

import json
import logging
import socket
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class Refused(Exception):
    """The gateway refused this message for good (a bad number, a bad request, bad credentials)."""


class Unavailable(Exception):
    """The gateway could not take it now (down, busy, unreachable): try again later."""


class Ambiguous(Exception):
    """The request went out but no answer came back: it may have been delivered, so it is never sent again."""


@dataclass(frozen=True)
class Text:
    to: str
    body: str
    key: str  # the idempotency key the gateway is given


outbox: list[Text] = []  # the locmem backend's messages


def configured() -> bool:
    return bool(settings.SMS_BACKEND)


def backend():
    if not configured():
        raise Refused("No text message service is set up (LIAISON_SMS_BACKEND)")
    return import_string(settings.SMS_BACKENDS[settings.SMS_BACKEND])()


class ConsoleBackend:
    def send(self, text: Text, *, before_commit) -> None:
        before_commit()
        sys.stdout.write(f"Text message to {text.to} ({text.key}):\n{text.body}\n{'-' * 40}\n")
        sys.stdout.flush()


class LocmemBackend:
    def send(self, text: Text, *, before_commit) -> None:
        before_commit()
        outbox.append(text)


class HttpBackend:
    """POST {"to", "from", "body"} as JSON, with `Authorization: Bearer <LIAISON_SMS_TOKEN>` and an
    `Idempotency-Key`. A 2xx answer is delivered; 408, 429 and 5xx are tried again later; any other answer is a
    refusal. A connection that cannot be made is tried again; one that breaks once the request is out is
    ambiguous (never resent)."""

    def send(self, text: Text, *, before_commit) -> None:
        body = json.dumps({"to": text.to, "from": settings.SMS_FROM, "body": text.body}).encode()
        request = urllib.request.Request(settings.SMS_URL, data=body, method="POST")  # noqa: S310 - the operator's URL
        request.add_header("Content-Type", "application/json")
        request.add_header("Idempotency-Key", text.key)
        if settings.SMS_TOKEN:
            request.add_header("Authorization", f"Bearer {settings.SMS_TOKEN}")
        before_commit()
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_TIMEOUT) as response:  # noqa: S310
                response.read(2000)
        except urllib.error.HTTPError as exc:
            answer = f"The text gateway answered {exc.code}: {exc.read(300).decode('utf-8', 'replace').strip()}"
            if exc.code in (408, 429) or exc.code >= 500:
                raise Unavailable(answer) from exc
            raise Refused(answer) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ConnectionRefusedError | socket.gaierror):
                raise Unavailable(f"The text gateway could not be reached: {exc.reason}") from exc
            raise Ambiguous(f"The text gateway did not answer: {exc.reason}") from exc
        except (TimeoutError, OSError) as exc:
            raise Ambiguous(f"The text gateway did not answer: {exc}") from exc
