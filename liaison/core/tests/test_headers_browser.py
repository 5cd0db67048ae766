"""Chromium reads our Permissions-Policy without complaint: a feature name it does not know would be a console
warning on every page (and would mean that line of the policy does nothing)."""

import os

import pytest

from liaison.core.middleware import FEATURES_OFF
from liaison.core.testing.browser import chromium_available, launch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


def test_chromium_knows_every_feature_the_policy_names(live_server):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        messages = []
        page.on("console", lambda m: messages.append(m.text))
        response = page.goto(f"{live_server.url}/accounts/login/")
        assert "camera=()" in response.headers["permissions-policy"]
        allowed = page.evaluate("document.featurePolicy ? document.featurePolicy.allowedFeatures() : null")
        browser.close()
    assert not [m for m in messages if "Permissions-Policy" in m], messages
    assert allowed is not None  # chromium tells which features this page may use
    assert not set(FEATURES_OFF) & set(allowed)
    assert {"publickey-credentials-get", "clipboard-write"} <= set(allowed)  # passkeys, the copy buttons
