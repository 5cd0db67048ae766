"""The referrer's and the practice's relationship pages: lists bounded and written in Python, form fields kept per
process yet never stale, the referral counts the same as counted one by one (decision 0031)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from liaison.accounts.models import User
from liaison.crm import relationship_rows, services
from liaison.crm.choices import InteractionKind, Stage
from liaison.crm.models import Interaction
from liaison.crm.referrer_counts import rebuild_referrer_counts
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory
from liaison.referrals.choices import Status
from liaison.referrals.tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def _contacts(relationship, n, summary="Called the office"):
    now = timezone.now()
    Interaction.objects.bulk_create(
        Interaction(relationship=relationship, kind=InteractionKind.CALL, at=now - timedelta(days=i), summary=summary)
        for i in range(n)
    )


def test_the_history_shows_the_newest_twenty_and_links_to_more(client_for, liaison):
    referrer = ReferrerFactory()
    _contacts(services.relationship_ensure(referrer=referrer), 25)
    client = client_for(liaison)
    page = client.get(f"/crm/referrers/{referrer.pk}/")
    assert page.content.decode().count("<strong>Phone call</strong>") == 20
    assert 'href="?history=more#hist-h"' in page.content.decode()
    more = client.get(f"/crm/referrers/{referrer.pk}/", {"history": "more"}).content.decode()
    assert more.count("<strong>Phone call</strong>") == 25 and "?history=more" not in more


def test_a_contact_summary_and_a_name_are_escaped(client_for, liaison):
    referrer = ReferrerFactory(last_name="<b>Bold</b>", practice=PracticeFactory())
    _contacts(services.relationship_ensure(referrer=referrer), 1, summary="<script>alert(1)</script>")
    body = client_for(liaison).get(f"/crm/referrers/{referrer.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    practice_page = client_for(liaison).get(f"/crm/practices/{referrer.practice_id}/").content.decode()
    assert "<b>Bold</b>" not in practice_page and "&lt;b&gt;Bold&lt;/b&gt;" in practice_page


def test_a_new_liaison_is_offered_as_owner_at_once(client_for, liaison):
    """The owner lists are kept per process by their contents: a new liaison is a new list, so a new copy."""
    referrer = ReferrerFactory()
    client = client_for(liaison)
    assert "Newcomer Liaison" not in client.get(f"/crm/referrers/{referrer.pk}/").content.decode()
    User.objects.create_user(username="newcomer", first_name="Newcomer", last_name="Liaison", role=liaison.role)
    body = client.get(f"/crm/referrers/{referrer.pk}/").content.decode()
    assert body.count("Newcomer Liaison") == 2  # the record's owner and the task's owner
    assert "Newcomer Liaison" in client.get(f"/crm/practices/{referrer.practice_id}/").content.decode()


def test_the_record_form_shows_what_was_saved(client_for, liaison):
    referrer = ReferrerFactory()
    client = client_for(liaison)
    client.get(f"/crm/referrers/{referrer.pk}/")  # kept once, as it was
    relationship = services.relationship_ensure(referrer=referrer)
    services.relationship_update(relationship=relationship, by=liaison, data={"contact_name": "Pat Front"})
    body = client.get(f"/crm/referrers/{referrer.pk}/").content.decode()
    assert 'value="Pat Front"' in body


def test_the_referral_counts_match_one_by_one(client_for, liaison):
    referrer = ReferrerFactory()
    now = timezone.now()
    statuses = [Status.RECEIVED, Status.RETURNED, Status.RETURNED, Status.NOT_RECOMMENDED]
    for i, status in enumerate(statuses):
        ReferralFactory(referrer=referrer, status=status, received_at=now - timedelta(days=40 * i))
    ReferralFactory(
        referrer=referrer, status=Status.RETURNED, received_at=now - timedelta(days=500)
    )  # not in 12 months
    rebuild_referrer_counts()  # written around the services, as a bulk load is: the nightly rebuild counts them
    summary = client_for(liaison).get(f"/crm/referrers/{referrer.pk}/").context["summary"]
    assert summary["outcomes"]["total"] == 5 and summary["outcomes"]["returned"] == 3
    assert sum(m["n"] for m in summary["months"]) == 4


@pytest.mark.parametrize(("n", "said"), [(1, "1 referral, 1 still open"), (2, "2 referrals, 2 still open")])
def test_the_all_time_count_says_referral_or_referrals(n, said, client_for, liaison):
    referrer = ReferrerFactory()
    for _ in range(n):
        ReferralFactory(referrer=referrer, status=Status.RECEIVED)
    rebuild_referrer_counts()
    assert said in client_for(liaison).get(f"/crm/referrers/{referrer.pk}/").content.decode()


def test_the_practice_lists_its_clinicians_with_stage_and_health(client_for, liaison):
    practice = PracticeFactory()
    known, other = ReferrerFactory(practice=practice, last_name="Aaron"), ReferrerFactory(practice=practice)
    relationship = services.relationship_ensure(referrer=known)
    services.relationship_update(relationship=relationship, by=liaison, data={}, stage=Stage.TARGET)
    body = client_for(liaison).get(f"/crm/practices/{practice.pk}/").content.decode()
    assert f'href="/crm/referrers/{known.pk}/"' in body and f'href="/crm/referrers/{other.pk}/"' in body
    assert body.index(known.display_name) < body.index(other.display_name)
    assert 'class="status crm-stage-target"' in body
    assert relationship_rows.health_html(None, None) in body  # not worked out yet
