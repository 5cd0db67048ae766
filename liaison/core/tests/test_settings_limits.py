"""The shared store, the trusted proxies and the limits come from the environment; a bad value stops start-up
with a message that names the variable (the loader: test_settings.py)."""

import json
import subprocess
import sys

from liaison.core.tests.test_settings import PROJECT, refused

SHOW = (
    "import json, liaison.settings as s; print(json.dumps({'cache': s.CACHES['shared']['BACKEND'], "
    "'default': s.CACHES['default']['BACKEND'], 'proxies': [str(n) for n in s.TRUSTED_PROXIES], "
    "'api': s.API_RATE_LIMIT, 'body': s.DATA_UPLOAD_MAX_MEMORY_SIZE}))"
)


def shown(tmp_path, **env) -> dict:
    environment = {"PYTHONPATH": str(PROJECT), "LIAISON_DATA_DIR": str(tmp_path), "LIAISON_MODE": "test", **env}
    result = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", SHOW], env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_redis_the_store_is_a_database_table_and_no_proxy_is_trusted(tmp_path):
    assert shown(tmp_path) == {
        "cache": "django.core.cache.backends.db.DatabaseCache",
        "default": "django.core.cache.backends.db.DatabaseCache",
        "proxies": [],
        "api": 120,
        "body": 16 * 1024 * 1024,
    }


def test_redis_when_named_and_the_listed_proxies(tmp_path):
    got = shown(
        tmp_path, REDIS_URL="redis://127.0.0.1:6379/3", TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.7", API_RATE_LIMIT="5"
    )
    assert got["cache"] == got["default"] == "django.core.cache.backends.redis.RedisCache"
    assert got["proxies"] == ["10.0.0.0/8", "192.0.2.7/32"] and got["api"] == 5


def test_behind_a_proxy_the_default_is_the_proxy_on_this_machine(tmp_path):
    assert shown(tmp_path, LIAISON_BEHIND_PROXY="true")["proxies"] == ["127.0.0.1/32", "::1/128"]


def test_bad_values_are_refused_by_name(tmp_path):
    base = {"LIAISON_MODE": "test"}
    assert refused(tmp_path, **base, TRUSTED_PROXIES="proxy.example.org").startswith("TRUSTED_PROXIES must list")
    assert refused(tmp_path, **base, CACHE_URL="memcached://x").startswith("CACHE_URL must be a redis://")
    assert refused(tmp_path, **base, FORM_RATE_LIMIT="0") == "FORM_RATE_LIMIT must be at least 1, not 0"
    assert refused(tmp_path, **base, API_RATE_LIMIT="many") == "API_RATE_LIMIT must be a whole number, not 'many'"


def test_the_address_lockout_limit_is_not_below_the_account_limit(tmp_path):
    base = {"LIAISON_MODE": "test"}
    message = refused(tmp_path, **base, AXES_FAILURE_LIMIT="10", AXES_ADDRESS_FAILURE_LIMIT="5")
    assert message.startswith("AXES_ADDRESS_FAILURE_LIMIT (5) must be at least AXES_FAILURE_LIMIT (10)")
    assert refused(tmp_path, **base, AXES_ADDRESS_FAILURE_LIMIT="lots").startswith("AXES_ADDRESS_FAILURE_LIMIT must be")
