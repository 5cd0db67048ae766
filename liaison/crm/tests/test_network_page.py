"""The network page reads stored monthly counts: the source mix and a month table with silent months shown, in
the same queries for 3 referrers as for 30."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison.crm.choices import Flag, Stage
from liaison.crm.models import Health, MonthlyReferralCount, Relationship
from liaison.crm.network_queries import key_relationships
from liaison.directory.choices import SourceType
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 15, 16, 0, tzinfo=UTC)
TABLE = re.compile(r'^(?:SELECT .*? FROM|INSERT INTO|UPDATE|DELETE FROM) "(\w+)"', re.S)
NETWORK_QUERIES = [
    "django_session", "accounts_user",  # signed in
    "crm_relationship",  # relationships by stage, the key ones among them counted in the same pass
    "crm_monthlyreferralcount",  # the 12 months' stored counts by source: the mix and the month table
    "crm_health",  # how many at risk, when health was last worked out, the first referral ever: one statement
    "crm_health",  # the 15 key relationships, best first (crm_health_score)
    "crm_health",  # the 25 most urgent at risk (crm_health_at_risk)
    "core_clinic",  # the header
    "SAVEPOINT", "django_session", "RELEASE",  # the session's idle timer
]  # fmt: skip


def network(n: int) -> None:
    """n referrers, a third of them cooling, the rest active, each with their health row and two referrals."""
    for i in range(n):
        referrer = ReferrerFactory(source_type=SourceType.PSYCHIATRY if i % 2 else SourceType.THERAPY)
        for days in (20, 200):
            ReferralFactory(referrer=referrer, received_at=NOW - timedelta(days=days))
        cooling = i % 3 == 0
        Relationship.objects.create(referrer=referrer, stage=Stage.COOLING if cooling else Stage.ACTIVE)
        Health.objects.create(
            referrer=referrer, computed_at=NOW, total_referrals=2, prior_90=1, score=40 + i,
            flag=Flag.COOLING if cooling else Flag.HEALTHY, reasons=["Fewer referrals than usual."],
        )  # fmt: skip


@pytest.mark.parametrize("referrers", [3, 30])
def test_the_network_page_costs_the_same_for_3_or_30_referrers(referrers, client_for, liaison):
    network(referrers)
    client = client_for(liaison)
    with CaptureQueriesContext(connection) as captured, time_machine.travel(NOW, tick=False):
        response = client.get("/crm/network/")
    assert response.status_code == 200
    tables = [(m.group(1) if (m := TABLE.match(q["sql"])) else q["sql"].split()[0]) for q in captured]
    assert tables == NETWORK_QUERIES  # on failure, the diff names the query that came or went
    assert response.context["phase"]["key"] == referrers - len(range(0, referrers, 3))


def test_the_mix_and_the_months_come_from_the_stored_counts_with_silent_months_as_zero(client_for, liaison):
    MonthlyReferralCount.objects.bulk_create(
        [
            MonthlyReferralCount(month=date(2026, 7, 1), source_type=SourceType.PSYCHIATRY, count=6),
            MonthlyReferralCount(month=date(2026, 5, 1), source_type=SourceType.PSYCHIATRY, count=2),
            MonthlyReferralCount(month=date(2026, 5, 1), source_type=SourceType.NEUROLOGY, count=2),
            MonthlyReferralCount(month=date(2025, 8, 1), source_type=SourceType.SELF, count=10),
            MonthlyReferralCount(month=date(2025, 7, 1), source_type=SourceType.SELF, count=99),  # 13 months ago
        ]
    )
    with time_machine.travel(NOW, tick=False):
        response = client_for(liaison).get("/crm/network/")
    months = [(m.month, m.count) for m in response.context["months"]]
    assert len(months) == 12 and months[0] == (date(2026, 7, 1), 6) and months[-1] == (date(2025, 8, 1), 10)
    assert months[1] == (date(2026, 6, 1), 0) and months[2] == (date(2026, 5, 1), 4)  # June: a silence, shown
    mix = {row.label: (row.count, row.percent) for row in response.context["mix"]}
    assert mix["Psychiatrist"] == (8, 40) and mix["Self-referral"] == (10, 50) and mix["Secondary sources"] == (2, 10)
    page = response.content.decode()
    assert "June 2026" in page and "none" in page[page.index("June 2026") :][:80]


def test_the_rows_say_who_why_and_whose_with_every_value_escaped(client_for, liaison):
    cooling = ReferrerFactory(first_name="<i>Ona</i>", last_name="Neil", practice__name="Bay & Co")
    Relationship.objects.create(referrer=cooling, stage=Stage.COOLING, owner=liaison)
    Health.objects.create(
        referrer=cooling, computed_at=NOW, total_referrals=3, prior_90=3, score=12, flag=Flag.COOLING,
        reasons=["<b>No referral</b> for 70 days.", "Usually every 20 days.", "A third reason."],
    )  # fmt: skip
    key = ReferrerFactory(last_name="Keyes", source_type=SourceType.PSYCHIATRY)
    Relationship.objects.create(referrer=key, stage=Stage.CHAMPION)
    Health.objects.create(referrer=key, computed_at=NOW, total_referrals=1234, last_90=9, score=88, flag=Flag.HEALTHY)
    page = client_for(liaison).get("/crm/network/").content.decode()
    risk = page[page.index('id="risk-h"') : page.index('id="key-h"')]
    assert f'<a href="/crm/referrers/{cooling.pk}/">&lt;i&gt;Ona&lt;/i&gt; Neil, MD</a>' in risk
    assert "Bay &amp; Co" in risk and "<li>&lt;b&gt;No referral&lt;/b&gt; for 70 days.</li>" in risk
    assert "A third reason" not in risk and "<td>Lee Liaison</td></tr>" in risk
    assert '<span class="crm-score crm-flag-cooling" title="Cooling">12</span>' in risk
    keys = page[page.index('id="key-h"') :]
    assert f'<a href="/crm/referrers/{key.pk}/">' in keys and '<span class="status crm-stage-champion">' in keys
    assert '<td class="num">9</td><td class="num">1,234</td>' in keys


def test_the_key_relationships_are_found_below_many_healthier_referrers_that_are_not_key():
    for _ in range(70):  # healthier than any key one, but cooling: the first slice holds none of the key ones
        referrer = ReferrerFactory()
        Relationship.objects.create(referrer=referrer, stage=Stage.COOLING)
        Health.objects.create(referrer=referrer, computed_at=NOW, score=90, flag=Flag.COOLING, reasons=[])
    key = []
    for score, stage in ((10, Stage.ACTIVE), (20, Stage.CHAMPION), (30, Stage.ACTIVE)):
        referrer = ReferrerFactory()
        Relationship.objects.create(referrer=referrer, stage=stage)
        key.append(
            Health.objects.create(referrer=referrer, computed_at=NOW, score=score, flag=Flag.HEALTHY, reasons=[])
        )
    referrer = ReferrerFactory()  # health but no relationship: not key
    Health.objects.create(referrer=referrer, computed_at=NOW, score=50, flag=Flag.HEALTHY, reasons=[])
    assert [h["score"] for h in key_relationships(2)] == [30, 20]
    assert [h["score"] for h in key_relationships(15)] == [30, 20, 10]
