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
