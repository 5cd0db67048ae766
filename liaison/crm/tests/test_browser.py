"""The four main pages in headless chromium, as a liaison sees them (screenshots kept in CRM_SHOTS if set)."""

import os
import random
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from liaison.core.testing.browser import chromium_available, launch
from liaison.crm.demo import build_demo_crm
from liaison.crm.models import Meeting
from liaison.directory.choices import SourceType
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory
from liaison.referrals.tests.factories import ReferralFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]

ZIPS = ["10011", "10003", "11201", "10025", "07302", "10601", "11101", "10463"]


@pytest.fixture
def page(live_server, liaison):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(liaison)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        yield context.new_page()
        browser.close()


def _network(liaison):
    rng = random.Random(5)
    now = timezone.now()
    referrers = []
    for i, zip_code in enumerate(ZIPS * 3):
        source = [SourceType.PSYCHIATRY, SourceType.PRIMARY_CARE, SourceType.THERAPY][i % 3]
        practice = PracticeFactory(zip_code=zip_code, clinician_count=rng.randint(1, 20))
        referrers.append(ReferrerFactory(first_name=f"Dana{i}", source_type=source, practice=practice))
    for r in referrers[:12]:
        gap, stop = rng.choice([14, 30, 45]), rng.choice([0, 0, 80, 200])
        for k in range(rng.randint(3, 12)):
            ReferralFactory(referrer=r, received_at=now - timedelta(days=stop + gap * k + 1))
    build_demo_crm(rng=rng, referrers=referrers, liaison_user=liaison, now=now)
    return referrers


def test_screenshots_of_the_main_pages(page, live_server, liaison):
    referrers = _network(liaison)
    shots = Path(os.environ.get("CRM_SHOTS", "/tmp/crm-shots"))  # noqa: S108 - a test's output folder
    shots.mkdir(parents=True, exist_ok=True)
    pages = {
        "targets": "/crm/targets/?source_type=psychiatry&within_miles=10&sort=distance",
        "referrer": f"/crm/referrers/{referrers[0].pk}/",
        "tasks": "/crm/",
        "network": "/crm/network/",
        "meeting": f"/crm/meetings/{Meeting.objects.first().pk}/",
    }
    for name, path in pages.items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert page.locator("h1").count() == 1
        page.screenshot(path=str(shots / f"crm-{name}.png"), full_page=True)
