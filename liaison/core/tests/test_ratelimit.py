"""Rate limits are counted in the store every web process shares, never in one process's memory; the public form
and the questionnaire link answer 429 with Retry-After when over (the API's own limit: liaison/api/tests)."""

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.urls import reverse

from liaison.core import ratelimit

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
REDIS = "redis://127.0.0.1:6379/15"
WINDOW = 10**9  # one window for the whole test, whenever the other process runs


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_the_default_shared_store_is_a_database_table():
    assert isinstance(caches["shared"], DatabaseCache)
    assert "liaison_cache" in connection.introspection.table_names()  # made by `liaison migrate`


def test_a_count_is_in_the_table_not_in_memory():
    """A second cache client, with nothing in common with the first but the database, sees the same count."""
    scope = f"test-{uuid.uuid4().hex}"
    with time_machine.travel(1_800_000_000, tick=False):
        for _ in range(3):
            ratelimit.hit(scope, "203.0.113.9", limit=5, window=60)
        other_process = DatabaseCache("liaison_cache", {})
        keys = [k for k in _rows() if scope in k]
        assert len(keys) == 1 and "203.0.113.9" not in keys[0]  # the address is hashed
        assert other_process.get(keys[0].split(":", 2)[2]) == 3
        assert ratelimit.hit(scope, "203.0.113.9", limit=5, window=60).count == 4


def _rows() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM liaison_cache")
        return [row[0] for row in cursor.fetchall()]


def test_the_limit_refuses_past_n_and_says_how_long_to_wait():
    scope = f"test-{uuid.uuid4().hex}"
    with time_machine.travel(1_800_000_015, tick=False):  # 15 s into a 60 s window
        verdicts = [ratelimit.hit(scope, "198.51.100.7", limit=2, window=60) for _ in range(3)]
        assert [v.allowed for v in verdicts] == [True, True, False]
        assert verdicts[-1].retry_after == 45
        assert ratelimit.hit(scope, "198.51.100.8", limit=2, window=60).allowed  # another address: its own count
    with time_machine.travel(1_800_000_061, tick=False):  # the next window starts afresh
        assert ratelimit.hit(scope, "198.51.100.7", limit=2, window=60).count == 1


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
def test_two_processes_share_one_redis_count(settings):
    """Another Python process counts twice; this one then sees the third and fourth hit, through Redis."""
    redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS, "KEY_PREFIX": "liaison"}
    settings.CACHES = {**settings.CACHES, "shared": redis}
    scope = f"test-{uuid.uuid4().hex}"
    code = (
        "import django; django.setup(); from liaison.core import ratelimit; "
        f"[ratelimit.hit({scope!r}, '192.0.2.1', limit=3, window={WINDOW}) for _ in range(2)]"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "liaison.test_settings", "CACHE_URL": REDIS}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)  # noqa: S603 - our code
    assert ratelimit.hit(scope, "192.0.2.1", limit=3, window=WINDOW).count == 3
    assert not ratelimit.hit(scope, "192.0.2.1", limit=3, window=WINDOW).allowed


def test_guessing_questionnaire_links_is_limited_per_address(client, settings):
    settings.QUESTIONNAIRE_RATE_LIMIT = 2
    responses = [client.get(reverse("care:questionnaire", args=[f"guess-{n}"])) for n in range(3)]
    assert [r.status_code for r in responses] == [404, 404, 429]
    assert 1 <= int(responses[-1]["Retry-After"]) <= settings.QUESTIONNAIRE_RATE_WINDOW
    assert "too many times" in responses[-1].content.decode()


def test_a_spoofed_forwarded_for_does_not_escape_the_form_limit(client, settings):
    """From an address that is not a trusted proxy, a new X-Forwarded-For each time is still the same sender."""
    settings.FORM_RATE_LIMIT = 2
    statuses = [
        client.post(reverse("intake:self_refer"), {"x": "1"}, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}").status_code
        for n in range(3)
    ]
    assert statuses == [400, 400, 429]
