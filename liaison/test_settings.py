"""Test-only overrides, in one place. The suite runs on SQLite by default and on PostgreSQL
when DATABASE_URL points at one (see .ci/run)."""

import os
import tempfile

os.environ.setdefault("LIAISON_MODE", "test")
# A task queued by a test that did not mean to reach a broker stays in this process's memory, never in the machine's
# Redis, where it would wait for whichever worker comes next. The Celery fault test names its own broker.
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

from liaison.settings import *  # noqa: E402,F403
from liaison.settings import DATABASES  # noqa: E402

# Each test sees a referral's follow-up at once; the worker path has its own tests (test_followup.py).
INTAKE_FOLLOWUP = "inline"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Two checkouts testing on one machine at once each set their own suffix, so their test databases differ.
_SUFFIX = os.environ.get("LIAISON_TEST_DB_SUFFIX", "")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that threads in the concurrency tests each get a real connection.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"liaison-test-{os.getuid()}{_SUFFIX}.sqlite3")
    }
else:
    DATABASES["default"]["TEST"] = {"NAME": f"liaison_test{_SUFFIX}"}

# The suite signs people in with force_login; the MFA tests switch the second step on with the settings fixture.
LIAISON_MFA_REQUIRED = False
