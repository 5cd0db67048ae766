"""Notify's settings, loaded as a server loads them (a fresh interpreter, only the environment given): the text
backend by mode, no gateway unless configured, and a bad value stops start-up naming the variable."""

import json
import subprocess
import sys

import pytest

from liaison.core.tests.test_settings import GOOD_KEY, PROJECT, refused

SHOW = (
    "import json, liaison.settings as s; "
    "print(json.dumps({'SMS': s.SMS_BACKEND, 'SITE': s.SITE_URL, 'HOUR': s.NOTIFY_DIGEST_HOUR}))"
)


def loaded(tmp_path, **env) -> dict:
    environment = {"PYTHONPATH": str(PROJECT), "LIAISON_DATA_DIR": str(tmp_path / "data"), **env}
    result = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", SHOW], env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_sends_no_text_until_a_gateway_is_set(tmp_path):
    found = loaded(tmp_path, SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="liaison.example.org")
    assert found == {"SMS": "", "SITE": "https://liaison.example.org", "HOUR": 7}
    with_gateway = loaded(tmp_path, SECRET_KEY=GOOD_KEY, LIAISON_SMS_URL="https://sms.example.org/send")
    assert with_gateway["SMS"] == "http"


def test_the_demo_prints_text_messages(tmp_path):
    assert loaded(tmp_path, LIAISON_MODE="demo")["SMS"] == "console"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LIAISON_SMS_BACKEND": "pigeon"}, "LIAISON_SMS_BACKEND must be console, locmem, http or empty"),
        ({"LIAISON_SMS_BACKEND": "http"}, "LIAISON_SMS_BACKEND=http needs LIAISON_SMS_URL"),
        ({"LIAISON_SITE_URL": "liaison.example.org"}, "LIAISON_SITE_URL must start with https://"),
        ({"LIAISON_DIGEST_HOUR": "25"}, "LIAISON_DIGEST_HOUR must be 0 to 23, not 25"),
        ({"LIAISON_LINK_REMINDER_HOURS": "0"}, "LIAISON_LINK_REMINDER_HOURS must be 1 or more."),
    ],
)
def test_a_bad_value_stops_start_up_naming_it(tmp_path, env, message):
    assert message in refused(tmp_path, SECRET_KEY=GOOD_KEY, **env)
