"""In Debian's chromium with a virtual authenticator (Chrome DevTools' WebAuthn domain): a referring clinician
signs in for the first time, is sent to set up a second step, adds a passkey, signs out, and signs in again with
password and passkey. allauth's own scripts do the WebAuthn calls under our strict CSP (no inline script); any
CSP refusal in the console fails the test. Screenshots go to $LIAISON_SCREENSHOTS (default: the test's tmp_path)."""

import os

import pytest
from allauth.mfa.models import Authenticator

from liaison.accounts.tests.factories import PASSWORD, CoordinatorFactory, ReferrerUserFactory
from liaison.accounts.tests.signin import totp_code
from liaison.core.models import AuditEvent
from liaison.core.testing.browser import chromium_available, launch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


@pytest.fixture
def browser_page(live_server):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.console_messages = []
        page.on("console", lambda message: page.console_messages.append(message.text))
        yield page
        browser.close()


@pytest.fixture
def authenticator(browser_page):
    """A platform passkey authenticator (like a laptop's fingerprint reader) that always says yes."""
    cdp = browser_page.context.new_cdp_session(browser_page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    found = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp, found["authenticatorId"]


def sign_in_with_password(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.django_db(transaction=True)
def test_a_referrer_enrols_a_passkey_and_signs_in_with_it(browser_page, authenticator, live_server, settings, shots):
    settings.LIAISON_MFA_REQUIRED = True
    page, base = browser_page, live_server.url.replace("127.0.0.1", "localhost")
    alice = ReferrerUserFactory(username="alice")

    sign_in_with_password(page, base, alice.username)
    page.wait_for_url(f"{base}/accounts/2fa/")
    assert "Before you go on, set up a second sign-in step" in page.content()
    shots(page, "mfa-enrol")
    page.click("text=Add a passkey or security key")
    page.fill("input[name=name]", "Alice's laptop")
    shots(page, "mfa-add-passkey")
    page.click("#mfa_webauthn_add")
    page.wait_for_url(f"{base}/accounts/2fa/recovery-codes/")
    shots(page, "mfa-recovery-codes")
    key = Authenticator.objects.get(user=alice, type="webauthn")
    assert str(key) == "Alice's laptop"
    cdp, authenticator_id = authenticator
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]) == 1

    page.click("header >> text=Sign out")
    page.wait_for_url(f"{base}/accounts/login/")
    sign_in_with_password(page, base, alice.username)
    page.wait_for_url(f"{base}/accounts/2fa/authenticate/")
    shots(page, "mfa-authenticate")
    page.click("#mfa_webauthn_authenticate")
    page.wait_for_url(lambda url: "/accounts/" not in url)
    assert page.locator("header").get_by_text("Sign out").is_visible()
    page.goto(f"{base}/portal/")
    assert "/portal/" in page.url

    actions = list(AuditEvent.objects.filter(actor=alice).order_by("id").values_list("action", flat=True))
    sign_ins = [a for a in actions if a.startswith(("sign_", "mfa_"))]
    assert sign_ins == ["sign_in", "mfa_added", "mfa_added", "sign_out", "mfa_used", "sign_in"]
    refused = [m for m in page.console_messages if "Content Security Policy" in m or "Refused" in m]
    assert refused == []


@pytest.mark.django_db(transaction=True)
def test_a_coordinator_sets_up_an_authenticator_app_from_the_page(browser_page, live_server, settings, shots):
    settings.LIAISON_MFA_REQUIRED = True
    page, base = browser_page, live_server.url
    cora = CoordinatorFactory(username="cora")
    sign_in_with_password(page, base, cora.username)
    page.wait_for_url(f"{base}/accounts/2fa/")
    page.click("text=Set up an authenticator app")
    assert page.locator("img[alt^='A QR code']").evaluate("img => img.naturalWidth") > 0  # the data: image shows
    shots(page, "mfa-totp-setup")
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", totp_code(secret))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/accounts/2fa/recovery-codes/")
    assert Authenticator.objects.filter(user=cora, type="totp").exists()
    page.click("text=Done")
    page.wait_for_url(f"{base}/referrals/")  # the coordinator's home page
    assert [m for m in page.console_messages if "Content Security Policy" in m] == []
