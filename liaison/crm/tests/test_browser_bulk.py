"""The task list's bulk bar in headless chromium: the heading's box ticks the page, the bar counts them, and
"Mark done…" shows the confirmation, whose button finishes them and says so."""

from datetime import timedelta

import pytest
from django.utils import timezone

from liaison.core.testing.browser import chromium_available
from liaison.crm import services
from liaison.crm.choices import TaskKind, TaskStatus
from liaison.crm.models import Task
from liaison.crm.tests.test_browser import page  # noqa: F401  (the signed-in liaison's browser page)
from liaison.directory.tests.factories import ReferrerFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]


def test_select_the_page_confirm_once_and_read_what_changed(page, live_server, liaison):  # noqa: F811
    rel = services.relationship_ensure(referrer=ReferrerFactory(first_name="Rita", last_name="Reyes", credential=""))
    now = timezone.now()
    for i in range(3):
        Task.objects.create(relationship=rel, kind=TaskKind.OTHER, title=f"Call {i}", owner=liaison, created_at=now,
                            due_at=now + timedelta(days=i + 1))  # fmt: skip
    page.goto(f"{live_server.url}/crm/?window=week&sort=due")
    page.check("th.pick input.select-all")
    assert page.inner_text('[data-selected-count="task-bulk"]') == "3 rows selected"
    page.click("button[value=done]")
    assert "Mark done: 3 tasks" in page.inner_text("h1")
    assert Task.objects.filter(status=TaskStatus.OPEN).count() == 3
    page.click("button.primary")
    assert "Marked done 3 tasks" in page.inner_text("main")
    assert page.url.endswith("/crm/?window=week&sort=due")
    assert Task.objects.filter(status=TaskStatus.DONE).count() == 3
