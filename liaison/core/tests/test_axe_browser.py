"""axe-core, the accessibility checker, on every main page as each role that opens it, and on the public pages
signed out: no violations. axe-core comes from the npm registry at test time (.ci/run installs the pinned version
into var/axe, never into the repository); without it these tests are skipped, saying so. Its script is injected
into each page (the context bypasses our Content-Security-Policy for that script only: the pages' own scripts are
unchanged)."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from liaison.core.testing.browser import chromium_available, signed_in_page

INSTALLED = Path(settings.BASE_DIR).parent / "var/axe/node_modules/axe-core/axe.min.js"  # where .ci/run puts it
AXE_JS = Path(os.environ.get("LIAISON_AXE_JS") or INSTALLED)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (.ci/run installs it)"),
    pytest.mark.skipif(
        not AXE_JS.is_file(),
        reason=f"axe-core is not installed at {AXE_JS} (.ci/run installs it: npm install --prefix var/axe axe-core)",
    ),
]
STAFF_ROLES = ["coordinator", "clinician", "liaison", "director", "admin"]
OUTSIDE_ROLES = ["alice", "practice_admin"]
# The main pages; each is checked as every role that may open it (a role it refuses is skipped, not counted).
MAIN_PAGES = [
    ("inbox", "referrals:inbox", ()),
    ("referral page", "referrals:detail", ("referral",)),
    ("new referral", "referrals:new", ()),
    ("safety alerts", "care:alerts", ()),
    ("outcomes", "care:outcomes", ()),
    ("work queue", "comms:queue", ()),
    ("letters on time", "comms:sla", ()),
    ("outbox", "comms:outbox", ()),
    ("tasks", "crm:tasks", ()),
    ("targets", "crm:targets", ()),
    ("network", "crm:network", ()),
    ("directory", "directory:referrers", ()),
    ("audit trail", "core:audit", ()),
    ("portal", "intake:portal", ()),
    ("portal referral", "intake:portal_detail", ("referral",)),
    ("account", "accounts:account", ()),
    ("schedule", "care:schedule", ()),
    ("referrer's contact details", "crm:referrer_contact", ("referrer",)),
    ("a list address it does not know (400)", "referrals:inbox", (), "?sort=colour"),
]
PUBLIC_PAGES = ["intake:refer", "intake:self_refer", "accounts:login"]
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ` +
    v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
}"""


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("role", STAFF_ROLES + OUTSIDE_ROLES)
def test_every_main_page_has_no_accessibility_violations(request, browser, live_server, alices_referral, role):
    user = request.getfixturevalue(role)
    page = signed_in_page(browser, live_server, user, bypass_csp=True)
    found, checked = {}, []
    for name, url_name, args, *query in MAIN_PAGES:
        pk = alices_referral.referrer_id if args == ("referrer",) else alices_referral.pk
        url = reverse(url_name, args=[pk] if args else []) + "".join(query)
        response = page.goto(live_server.url + url)
        if response.status in (403, 404):  # not this role's page
            continue
        assert response.status == (400 if query else 200), f"{name}: {response.status}"
        checked.append(name)
        if problems := violations(page):
            found[name] = problems
    assert checked, f"no main page for {role}"
    assert not found, f"as {role}: {found}"


@pytest.mark.parametrize("url_name", PUBLIC_PAGES)
def test_the_public_pages_have_no_accessibility_violations(browser, live_server, url_name):
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(live_server.url + reverse(url_name))
    assert violations(page) == []


def test_the_public_form_with_its_errors_has_no_accessibility_violations(browser, live_server):
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(live_server.url + reverse("intake:refer"))
    page.fill("#id_diagnoses-0-code", "major depression")
    page.fill("#id_trials-0-drug", "sertraline")
    page.fill("#id_trials-0-daily_dose_mg", "400")
    page.click("text=Send referral")
    page.wait_for_selector("text=The referral was not sent yet")
    assert violations(page) == []


def test_the_checker_finds_a_violation_when_there_is_one(browser):
    page = browser.new_context().new_page()
    page.set_content('<html lang="en"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>')
    assert any(v.startswith("image-alt") for v in violations(page))
