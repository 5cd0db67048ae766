"""The text gateway backend against a real HTTP server on 127.0.0.1: what it sends, and how each answer is read."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from liaison.notify import sms
from liaison.notify.tests.conftest import free_port

TEXT = sms.Text(to="+19175550187", body="Harbor Ketamine Clinic: hello", key="notice-7@liaison")


@pytest.fixture
def gateway(settings):
    seen, answer = [], {"code": 202}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((dict(self.headers), json.loads(body)))
            self.send_response(answer["code"])
            self.end_headers()
            self.wfile.write(b'{"id": "g-1"}' if answer["code"] < 300 else b"bad number")

        def log_message(self, *args):
            pass

    port = free_port()
    server = HTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SMS_BACKEND, settings.SMS_URL = "http", f"http://127.0.0.1:{port}/messages"
    settings.SMS_TOKEN, settings.SMS_FROM = "s3cret", "+12125550100"
    yield seen, answer
    server.shutdown()


def test_it_posts_the_message_with_its_credentials_and_idempotency_key(gateway):
    seen, _ = gateway
    marks = []
    sms.backend().send(TEXT, before_commit=lambda: marks.append(1))
    ((headers, body),) = seen
    assert body == {"to": "+19175550187", "from": "+12125550100", "body": "Harbor Ketamine Clinic: hello"}
    assert headers["Authorization"] == "Bearer s3cret" and headers["Idempotency-Key"] == "notice-7@liaison"
    assert marks == [1]


@pytest.mark.parametrize(
    ("code", "error"), [(400, sms.Refused), (401, sms.Refused), (503, sms.Unavailable), (429, sms.Unavailable)]
)
def test_each_answer_is_read(gateway, code, error):
    gateway[1]["code"] = code
    with pytest.raises(error, match=str(code)):
        sms.backend().send(TEXT, before_commit=lambda: None)


def test_a_gateway_that_cannot_be_reached_is_tried_again(settings):
    settings.SMS_BACKEND, settings.SMS_URL = "http", f"http://127.0.0.1:{free_port()}/messages"
    with pytest.raises(sms.Unavailable):
        sms.backend().send(TEXT, before_commit=lambda: None)


def test_with_no_backend_nothing_is_sent(settings):
    settings.SMS_BACKEND = ""
    assert not sms.configured()
    with pytest.raises(sms.Refused, match="No text message service"):
        sms.backend()


def test_the_console_backend_prints(capsys, settings):
    settings.SMS_BACKEND = "console"
    sms.backend().send(TEXT, before_commit=lambda: None)
    assert "Text message to +19175550187" in capsys.readouterr().out
