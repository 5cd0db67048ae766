"""The sign-in pages as a person meets them: the messages block is a well-formed list (what axe-core checks:
every list item in a list, no role that takes the list's away), the "set up a second step" notice appears once
and as a warning, the recovery codes' message speaks of old codes only when there were some, the lockout page
leads back to sign-in, and signing out says so."""

from html.parser import HTMLParser

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from liaison.accounts.middleware import NOTICE
from liaison.accounts.tests.signin import ACTIVATE_TOTP, LOGIN, MFA, enrol_totp, sign_in

pytestmark = pytest.mark.django_db

RECOVERY_CODES = MFA + "recovery-codes/"
OLD_CODES = "Any codes you had before no longer work."


@pytest.fixture(autouse=True)
def mfa_required(settings):
    settings.LIAISON_MFA_REQUIRED = True
    cache.clear()


class ListCheck(HTMLParser):
    """Collects list items whose parent is not a list, and lists given a role (which hides that they are lists)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "col", "area", "base", "wbr", "track", "embed"}

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "li" and (not self.open or self.open[-1] not in ("ul", "ol", "menu")):
            self.problems.append(f"<li> inside <{self.open[-1] if self.open else 'nothing'}>")
        if tag in ("ul", "ol") and attrs.get("role"):
            self.problems.append(f"<{tag} role={attrs['role']}>")
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open:
            while self.open.pop() != tag:
                pass


def list_problems(html: str) -> list[str]:
    checker = ListCheck()
    checker.feed(html)
    return checker.problems


# allauth adds its messages once the transaction commits: these two run outside the test's own transaction.
@pytest.mark.django_db(transaction=True)
def test_the_two_step_pages_have_well_formed_messages_and_the_notice_once_as_a_warning(client, coordinator):
    sign_in(client, coordinator.username)
    for page in (reverse("core:home"), reverse("referrals:inbox"), reverse("accounts:account")):
        client.get(page)  # each one sends the person to set a second step up
    for url in (MFA, ACTIVATE_TOTP):
        html = client.get(url).content.decode()
        assert list_problems(html) == [], url
        assert html.count(NOTICE) == 1, url
        assert f'<p class="msg msg-warning">{NOTICE}</p>' in html
    enrol_totp(client)
    html = client.get(RECOVERY_CODES).content.decode()
    assert list_problems(html) == [] and NOTICE not in html  # set up now: no notice
    assert '<div class="messages" role="status">' in html and '<li class="msg msg-' in html


@pytest.mark.django_db(transaction=True)
def test_the_recovery_codes_message_speaks_of_old_codes_only_when_there_were_some(client, coordinator):
    sign_in(client, coordinator.username)
    enrol_totp(client)  # the first codes come with the first second step
    first = client.get(RECOVERY_CODES).content.decode()
    assert "Your recovery codes are ready below" in first and OLD_CODES not in first
    assert client.post(RECOVERY_CODES + "generate/").status_code == 302
    again = client.get(RECOVERY_CODES).content.decode()
    assert "Your recovery codes are ready below" in again and OLD_CODES in again


def test_the_lockout_page_leads_back_to_sign_in(coordinator):
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        response = sign_in(Client(), coordinator.username, "a wrong guess")
    assert response.status_code == 429
    assert f'href="{LOGIN}"' in response.content.decode() and "Back to sign-in" in response.content.decode()


def test_signing_out_says_so_on_the_sign_in_page(client, coordinator, django_capture_on_commit_callbacks):
    sign_in(client, coordinator.username)
    enrol_totp(client)
    response = client.post(reverse("accounts:logout"), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse(django_settings.LOGOUT_REDIRECT_URL)
    assert "You are signed out." in page and list_problems(page) == []
    assert "_auth_user_id" not in client.session
