"""Production posture: Django's deploy checks pass on the documented production environment, HTTPS is the
default there, and every response says which browser features the pages may use."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import liaison

PROJECT = Path(liaison.__file__).resolve().parent.parent
KEY = "Yq3v-8sNwZ1pLk0aTfR7uXc2Hm9EgB4dJ6oVi5rWzQyPn1KsAl"  # 50 characters, as an operator would make
PRODUCTION = {"LIAISON_MODE": "production", "SECRET_KEY": KEY, "ALLOWED_HOSTS": "liaison.example.org"}
SHOW = (
    "import json, liaison.settings as s; print(json.dumps({n: getattr(s, n, None) for n in ("
    "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', "
    "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SILENCED_SYSTEM_CHECKS')}))"
)


def run(tmp_path: Path, args: list[str], **env: str) -> subprocess.CompletedProcess:
    """A fresh interpreter with a clean environment plus `env`, as a server starts."""
    environment = {"PYTHONPATH": str(PROJECT), "LIAISON_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, *args], env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def deploy_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return run(tmp_path, ["-m", "liaison", "check", "--deploy", "--fail-level", "WARNING"], **env)


def production_settings(tmp_path: Path, **env: str) -> dict:
    result = run(tmp_path, ["-c", SHOW], **{**PRODUCTION, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_deploy_check_passes_with_no_warning_in_production(tmp_path):
    result = deploy_check(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout, result.stdout + result.stderr


def test_the_deploy_check_passes_behind_a_proxy_and_with_preload_asked_for(tmp_path):
    result = deploy_check(tmp_path, **PRODUCTION, LIAISON_BEHIND_PROXY="true", SECURE_HSTS_PRELOAD="true")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout, result.stdout + result.stderr


def test_turning_https_off_is_reported_by_the_deploy_check(tmp_path):
    result = deploy_check(tmp_path, **PRODUCTION, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def test_production_is_https_only_by_default(tmp_path):
    assert production_settings(tmp_path) == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SILENCED_SYSTEM_CHECKS": ["security.W021"],  # preload's reminder, only while preload is off
    }
    assert production_settings(tmp_path, SECURE_HSTS_PRELOAD="true")["SILENCED_SYSTEM_CHECKS"] == []


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SECURE_HSTS_SECONDS", "-1", "SECURE_HSTS_SECONDS must be 0 (off) or more, not -1"),
        ("SECURE_HSTS_SECONDS", "a year", "SECURE_HSTS_SECONDS must be a whole number, not 'a year'"),
        ("SECURE_HSTS_PRELOAD", "maybe", "SECURE_HSTS_PRELOAD must be true or false, not 'maybe'"),
        ("SECURE_SSL_REDIRECT", "sometimes", "SECURE_SSL_REDIRECT must be true or false, not 'sometimes'"),
    ],
)
def test_a_bad_https_setting_stops_start_up_and_names_itself(tmp_path, name, value, message):
    result = run(tmp_path, ["-c", SHOW], **PRODUCTION, **{name: value})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == f"django.core.exceptions.ImproperlyConfigured: {message}"


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/health/", "/no-such-page/", "/api/v1/docs"])
def test_every_response_turns_off_the_features_liaison_never_uses(client, db, url):
    policy = dict(
        item.strip().split("=", 1) for item in client.get(url).headers["Permissions-Policy"].split(",")
    )  # fmt: skip
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "display-capture"):
        assert policy[feature] == "()", feature
    assert policy["publickey-credentials-get"] == "(self)"  # passkeys
    assert policy["clipboard-write"] == "(self)"  # the copy buttons


PRODUCTION_HTTPS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_REDIRECT_EXEMPT": [r"^health/$"],
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": False,
}


def test_https_pages_carry_hsts_with_subdomains_and_without_preload(client, db, settings):
    for name, value in PRODUCTION_HTTPS.items():
        setattr(settings, name, value)
    response = client.get("/accounts/login/", secure=True)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_plain_http_is_redirected_except_the_health_check(client, db, settings):
    for name, value in PRODUCTION_HTTPS.items():
        setattr(settings, name, value)
    response = client.get("/accounts/login/")
    assert response.status_code == 301 and response["Location"] == "https://testserver/accounts/login/"
    assert "Strict-Transport-Security" not in response.headers  # only ever sent over HTTPS
    assert client.get("/health/").status_code == 200


def test_behind_a_proxy_that_ends_tls_the_forwarded_scheme_counts(client, db, settings):
    for name, value in PRODUCTION_HTTPS.items():
        setattr(settings, name, value)
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # LIAISON_BEHIND_PROXY=true
    response = client.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert client.get("/accounts/login/", headers={"X-Forwarded-Proto": "http"}).status_code == 301
