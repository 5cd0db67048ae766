"""The shared cast (healthchecks style): clinic staff in every role, two referring clinicians at two
practices, and a practice administrator. Alice and Bob are the outsiders to each other: Bob should see
nothing of Alice's referrals, and Alice nothing of Bob's."""

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from liaison.accounts.tests.factories import (
    AdminFactory,
    ClinicianFactory,
    CoordinatorFactory,
    DirectorFactory,
    LiaisonFactory,
    ReferrerAdminFactory,
    ReferrerUserFactory,
)
from liaison.directory.choices import SourceType
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A SQLite test database of this process's own. test_settings names one file per user, but
    several people (one user on a shared machine) run the suite at once, and a run that deletes
    the file under another fails it with "disk I/O error" or "database is locked"."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = f"liaison-test-{os.getuid()}-{os.getpid()}.sqlite3"
        database.setdefault("TEST", {})["NAME"] = os.path.join(tempfile.gettempdir(), name)


# --------------------------------------------------------------- clinic staff


@pytest.fixture
def coordinator(db):
    return CoordinatorFactory(username="cora", first_name="Cora", last_name="Coordinator")


@pytest.fixture
def clinician(db):
    return ClinicianFactory(username="cliff", first_name="Cliff", last_name="Clinician")


@pytest.fixture
def liaison(db):
    return LiaisonFactory(username="lee", first_name="Lee", last_name="Liaison")


@pytest.fixture
def director(db):
    return DirectorFactory(username="dina", first_name="Dina", last_name="Director")


@pytest.fixture
def admin(db):
    return AdminFactory(username="ada", first_name="Ada", last_name="Admin")


# --------------------------------------------------------------- the outside


@pytest.fixture
def practice_a(db):
    return PracticeFactory(name="Riverside Psychiatry")


@pytest.fixture
def practice_b(db):
    return PracticeFactory(name="Hilltop Family Medicine")


@pytest.fixture
def alice_referrer(practice_a):
    return ReferrerFactory(first_name="Alice", last_name="Adams", practice=practice_a)


@pytest.fixture
def colleague_referrer(practice_a):
    """Alice's colleague at practice A: the practice admin sees their referrals, Alice does not."""
    return ReferrerFactory(first_name="Carla", last_name="Cole", practice=practice_a)


@pytest.fixture
def bob_referrer(practice_b):
    return ReferrerFactory(
        first_name="Bob", last_name="Baker", practice=practice_b, source_type=SourceType.PRIMARY_CARE
    )


@pytest.fixture
def alice(alice_referrer):
    """A referring clinician at practice A."""
    return ReferrerUserFactory(username="alice", first_name="Alice", last_name="Adams", referrer=alice_referrer)


@pytest.fixture
def bob(bob_referrer):
    """A referring clinician at practice B: the outsider to everything of Alice's."""
    return ReferrerUserFactory(username="bob", first_name="Bob", last_name="Baker", referrer=bob_referrer)


@pytest.fixture
def practice_admin(practice_a):
    """Practice A's administrator: sees practice A's referrals, nobody else's."""
    return ReferrerAdminFactory(username="pam", first_name="Pam", last_name="Practice", practice=practice_a)


# --------------------------------------------------------------- their referrals


@pytest.fixture
def alices_referral(alice, alice_referrer):
    return receive_referral(by=alice, referral=ReferralDataFactory(referrer=alice_referrer))


@pytest.fixture
def colleagues_referral(colleague_referrer):
    return receive_referral(referral=ReferralDataFactory(referrer=colleague_referrer))


@pytest.fixture
def bobs_referral(bob, bob_referrer):
    return receive_referral(by=bob, referral=ReferralDataFactory(referrer=bob_referrer))


# --------------------------------------------------------------- clients


@pytest.fixture
def anonymous_client():
    return Client()


@pytest.fixture
def client_for(db):
    """`client_for(user)`: a test client signed in as that user (None: signed out)."""

    def make(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def shots(tmp_path):
    """A browser test's screenshots: into LIAISON_SCREENSHOTS when set (to look at them), else the test's tmp folder."""
    folder = Path(os.environ.get("LIAISON_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return lambda page, name: page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.fixture
def browser():
    """Debian's chromium through Playwright (liaison.core.testing.browser), closed after the test."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    from liaison.core.testing.browser import launch

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
