"""Playwright driving Debian's chromium, for browser tests (Playwright cannot fetch its own browser here).

Screenshots come from the `shots` fixture in liaison/conftest.py; tests are marked `browser` and skip, saying why,
where /usr/bin/chromium is missing (CI installs it: see .ci/run).
"""

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_available() -> bool:
    return shutil.which("chromium") is not None


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def signed_in_page(browser, live_server, user, **context):
    """A new page already signed in as `user` (the session cookie of a force-login, so no password or second
    step); `context` goes to browser.new_context (e.g. a viewport)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    ctx = browser.new_context(**({"viewport": {"width": 1280, "height": 900}} | context))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    ctx.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return ctx.new_page()
