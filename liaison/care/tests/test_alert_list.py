"""Open safety alerts when many are waiting: the inbox counts them all and shows the oldest ten, the same size
however many there are; the open-alerts page lists every one, a hundred to a page, to the same people only."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from liaison.care.models import SafetyAlert
from liaison.care.templatetags.care_tags import INBOX_ALERTS
from liaison.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def raise_alerts(referral, n: int) -> list[SafetyAlert]:
    start = timezone.now() - timedelta(hours=n)
    return [
        SafetyAlert.objects.create(
            referral=referral, kind="referral", summary=f"Alert number {i:03d}.", raised_at=start + timedelta(hours=i)
        )
        for i in range(n)
    ]


def inbox_alert_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        body = client.get(reverse("referrals:inbox")).content.decode()
    return sum('"care_safetyalert"' in q["sql"] for q in captured.captured_queries), body


def test_the_inbox_counts_every_open_alert_and_shows_the_oldest(client_for, clinician, accepted):
    raise_alerts(accepted, INBOX_ALERTS + 5)
    _, body = inbox_alert_queries(client_for(clinician))
    assert f"Open safety alerts ({INBOX_ALERTS + 5})" in body
    assert "Alert number 000." in body and f"Alert number {INBOX_ALERTS - 1:03d}." in body
    assert f"Alert number {INBOX_ALERTS:03d}." not in body
    assert "5 more open alerts" in body and reverse("care:alerts") in body
    # In the inbox's own row, under their record type (decision 0034); no row of their own.
    shown = AuditEvent.objects.filter(object_type="referrals.referral", action="list").latest("pk")
    assert len(shown.detail["care.safetyalert"]["alerts"]) == INBOX_ALERTS
    assert not AuditEvent.objects.filter(object_type="care.safetyalert").exists()


def test_the_inbox_reads_alerts_in_one_query_however_many_are_open(client_for, clinician, accepted):
    client = client_for(clinician)
    raise_alerts(accepted, INBOX_ALERTS)
    fits, body = inbox_alert_queries(client)
    assert fits == 1 and "more open alert" not in body and f"Open safety alerts ({INBOX_ALERTS})" in body
    raise_alerts(accepted, 200)
    many, body = inbox_alert_queries(client)
    assert many == 1 and f"Open safety alerts ({INBOX_ALERTS + 200})" in body
    assert "200 more open alerts" in body


def test_the_open_alerts_page_lists_every_one_in_pages(client_for, clinician, accepted):
    raise_alerts(accepted, 130)
    client = client_for(clinician)
    first = client.get(reverse("care:alerts")).content.decode()
    second = client.get(reverse("care:alerts") + "?page=2").content.decode()
    assert "Open safety alerts (130)" in first and "Page 1 of 2" in first
    assert "Alert number 000." in first and "Alert number 099." in first and "Alert number 100." not in first
    assert "Alert number 100." in second and "Alert number 129." in second
    assert AuditEvent.objects.filter(object_type="care.safetyalert", action="list").count() == 2


@pytest.mark.parametrize("who", ["liaison", "alice"])
def test_the_open_alerts_page_is_refused_to_those_who_may_not_see_alerts(request, client_for, accepted, who):
    raise_alerts(accepted, 3)
    response = client_for(request.getfixturevalue(who)).get(reverse("care:alerts"))
    assert response.status_code == 403 and "Alert number" not in response.content.decode()


def test_a_clinician_sees_on_the_page_only_the_alerts_the_inbox_would_show(client_for, clinician, accepted):
    from liaison.accounts.tests.factories import UserFactory

    other = UserFactory(role="clinician")
    accepted.assigned_clinician = other
    accepted.save(update_fields=["assigned_clinician"])
    raise_alerts(accepted, 2)
    body = client_for(clinician).get(reverse("care:alerts")).content.decode()
    assert "Open safety alerts (0)" in body and "No open safety alerts." in body
    assert "Open safety alerts (2)" in client_for(other).get(reverse("care:alerts")).content.decode()


OLD_TEMPLATE = """<ul>
  {% for alert in alerts %}
  <li><a href="{% url 'referrals:detail' alert.referral_id %}#care">{{ alert.referral.reference }} {{ alert.referral.patient.first_name }} {{ alert.referral.patient.last_name }}</a>:
    <strong>{{ alert.get_kind_display }}.</strong> {{ alert.summary }}
    <span class="muted small">Raised {{ alert.raised_at|date:"M j, Y, g:i A" }}{% if alert.referral.assigned_clinician %} · {{ alert.referral.assigned_clinician }}{% else %} · no clinician assigned{% endif %}</span></li>
  {% endfor %}
</ul>"""  # noqa: E501 — the template's markup as it was, to compare with


def test_the_items_written_in_python_are_the_templates_markup_escaped(clinician, accepted):
    from django.template import Context, Template

    from liaison.care.alert_rows import alert_items
    from liaison.care.queries import open_alert_rows, open_alerts

    raise_alerts(accepted, 3)
    SafetyAlert.objects.create(
        referral=accepted, kind="referral", summary='<script>alert("x")</script> & more', raised_at=timezone.now()
    )
    for assigned in (None, clinician):
        accepted.assigned_clinician = assigned
        accepted.save(update_fields=["assigned_clinician"])
        old = Template(OLD_TEMPLATE).render(Context({"alerts": open_alerts(user=clinician)}))
        new = str(alert_items(open_alert_rows(user=clinician)))
        squash = lambda html: " ".join(html.split())  # noqa: E731 — whitespace between tags aside
        assert squash(new) == squash(old)
        assert "<script>" not in new and "&lt;script&gt;" in new
