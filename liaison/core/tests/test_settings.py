"""The settings module, loaded the way a server loads it: in a fresh Python with only the
environment we give it. A bad value must stop start-up with a message that says what to fix."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import liaison

PROJECT = Path(liaison.__file__).resolve().parent.parent
SHOW = (
    "import json, liaison.settings as s; "
    "print(json.dumps({'MODE': s.MODE, 'DEBUG': s.DEBUG, 'SECRET_KEY': s.SECRET_KEY, 'TIME_ZONE': s.TIME_ZONE, "
    "'ENGINE': s.DATABASES['default']['ENGINE'], 'DB': str(s.DATABASES['default']['NAME']), "
    "'SESSION_COOKIE_AGE': s.SESSION_COOKIE_AGE, 'SESSION_COOKIE_SECURE': getattr(s, 'SESSION_COOKIE_SECURE', None), "
    "'OPTIONS': s.DATABASES['default'].get('OPTIONS', {}), 'INTAKE_FOLLOWUP': s.INTAKE_FOLLOWUP}))"
)
GOOD_KEY = "k" * 50


def load(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Import liaison.settings in a new interpreter with a clean environment plus `env`."""
    environment = {"PYTHONPATH": str(PROJECT), "LIAISON_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", SHOW], env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


def loaded(tmp_path: Path, **env: str) -> dict:
    result = load(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refused(tmp_path: Path, **env: str) -> str:
    """The ImproperlyConfigured message start-up stopped with."""
    result = load(tmp_path, **env)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    return last.removeprefix("django.core.exceptions.ImproperlyConfigured: ")


def test_production_is_the_default_and_needs_a_secret_key(tmp_path):
    assert refused(tmp_path) == "SECRET_KEY is required in production (or SECRET_KEY_FILE)."


def test_production_refuses_a_short_secret_key(tmp_path):
    assert refused(tmp_path, SECRET_KEY="short") == "SECRET_KEY must be at least 40 characters long."


def test_production_refuses_debug(tmp_path):
    message = refused(tmp_path, SECRET_KEY=GOOD_KEY, DEBUG="true")
    assert message == "DEBUG must be off in production (unset DEBUG or set LIAISON_MODE=demo)."


def test_production_starts_with_a_key_and_safe_defaults(tmp_path):
    settings = loaded(tmp_path, SECRET_KEY=GOOD_KEY)
    assert (settings["MODE"], settings["DEBUG"], settings["SECRET_KEY"]) == ("production", False, GOOD_KEY)
    assert settings["TIME_ZONE"] == "America/New_York"
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_AGE"] == 15 * 60
    assert (settings["ENGINE"], settings["DB"]) == (
        "django.db.backends.sqlite3",
        str(tmp_path / "data" / "liaison.sqlite3"),
    )


def test_the_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(GOOD_KEY + "\n")
    assert loaded(tmp_path, SECRET_KEY_FILE=str(secret))["SECRET_KEY"] == GOOD_KEY


def test_a_missing_secret_key_file_is_named(tmp_path):
    message = refused(tmp_path, SECRET_KEY_FILE=str(tmp_path / "nowhere"))
    assert message.startswith(f"SECRET_KEY_FILE: cannot read {tmp_path / 'nowhere'}")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TIME_ZONE": "Mars/Olympus_Mons"}, "TIME_ZONE 'Mars/Olympus_Mons' is not a known time zone"),
        ({"TIME_ZONE": "../../etc/passwd"}, "is not a known time zone"),
        ({"DEBUG": "maybe"}, "DEBUG must be true or false, not 'maybe'"),
        ({"LIAISON_MODE": "staging"}, "LIAISON_MODE must be one of production, demo, test, not 'staging'"),
        ({"DATABASE_URL": "mysql://liaison@db/liaison"}, "DATABASE_URL must point at SQLite or PostgreSQL."),
        ({"DATABASE_URL": "not a database"}, "DATABASE_URL is not a database address Liaison understands"),
        ({"SESSION_IDLE_MINUTES": "fifteen"}, "SESSION_IDLE_MINUTES must be a whole number, not 'fifteen'"),
        ({"LIAISON_INTAKE_FOLLOWUP": "later"}, "LIAISON_INTAKE_FOLLOWUP must be worker or inline, not 'later'"),
        ({"LIAISON_WORKER": "Celery!"}, "LIAISON_WORKER must be builtin or celery, not 'Celery!'"),
        ({"SESSION_IDLE_MINUTES": "0"}, "SESSION_IDLE_MINUTES must be at least 1, not 0"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not 'LOUD'"),
        (
            {"DATABASE_URL": "postgres://liaison@db/liaison", "DATABASE_RANDOM_PAGE_COST": "cheap"},
            "DATABASE_RANDOM_PAGE_COST must be a number, not 'cheap'",
        ),
        ({"EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"}, "Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both."),
        ({"CLINIC_STATE": "ZZ"}, "CLINIC_STATE 'ZZ' is not a US state or territory code (e.g. NY)."),
        ({"CLINIC_STATE": "New York"}, "CLINIC_STATE 'NEW YORK' is not a US state or territory code"),
    ],
)
def test_a_bad_value_stops_start_up_with_a_clear_message(env, message, tmp_path):
    assert message in refused(tmp_path, SECRET_KEY=GOOD_KEY, **env)


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("YES", True), (" on ", True), ("off", False), ("", False)]
)
def test_booleans_read_the_usual_words(value, expected, tmp_path):
    assert loaded(tmp_path, LIAISON_MODE="demo", DEBUG=value)["DEBUG"] is expected


def test_a_time_zone_can_be_chosen(tmp_path):
    assert loaded(tmp_path, SECRET_KEY=GOOD_KEY, TIME_ZONE="America/Chicago")["TIME_ZONE"] == "America/Chicago"


def test_postgresql_is_understood(tmp_path):
    settings = loaded(tmp_path, SECRET_KEY=GOOD_KEY, DATABASE_URL="postgres://liaison@db.internal:5432/liaison")
    assert (settings["ENGINE"], settings["DB"]) == ("django.db.backends.postgresql", "liaison")


def test_postgresql_connections_prepare_statements_and_plan_for_ssd_keeping_the_urls_options(tmp_path):
    url = "postgres://liaison@db.internal:5432/liaison?sslmode=require&options=-c%20statement_timeout%3D5000"
    options = loaded(tmp_path, SECRET_KEY=GOOD_KEY, DATABASE_URL=url)["OPTIONS"]
    assert options == {
        "sslmode": "require",
        "options": "-c statement_timeout=5000 -c random_page_cost=1.1",
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    plain = loaded(
        tmp_path, SECRET_KEY=GOOD_KEY, DATABASE_URL=url, DATABASE_RANDOM_PAGE_COST="", DATABASE_PREPARED_STATEMENTS="no"
    )["OPTIONS"]
    assert plain == {"sslmode": "require", "options": "-c statement_timeout=5000"}


def test_intake_follow_up_runs_in_the_worker_unless_told(tmp_path):
    assert loaded(tmp_path, SECRET_KEY=GOOD_KEY)["INTAKE_FOLLOWUP"] == "worker"
    assert loaded(tmp_path, SECRET_KEY=GOOD_KEY, LIAISON_INTAKE_FOLLOWUP="inline")["INTAKE_FOLLOWUP"] == "inline"


def test_the_demo_makes_its_secret_key_once_and_keeps_it(tmp_path):
    key_file = tmp_path / "data" / "secret_key"
    assert not key_file.exists()

    first = loaded(tmp_path, LIAISON_MODE="demo")["SECRET_KEY"]
    assert key_file.read_text().strip() == first
    assert len(first) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    assert loaded(tmp_path, LIAISON_MODE="demo")["SECRET_KEY"] == first


def test_the_demo_may_debug(tmp_path):
    assert loaded(tmp_path, LIAISON_MODE="demo", DEBUG="true")["DEBUG"] is True


def test_the_suite_runs_under_the_test_settings():
    from django.conf import settings

    assert settings.MODE == "test"
    assert os.environ["LIAISON_MODE"] == "test"
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
