"""The outbox as a list: each channel's letters sorted by where they stand (the default), how long they have waited
or their referrer, narrowed to failed or in-flight letters, a page size, all in the address and kept by its links;
an unknown value is a 400 naming the parameter; the same queries whatever the size or sort."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison.comms import services
from liaison.comms.models import Outbox
from liaison.comms.tests.helpers import keys, referral_for


def _signed(coordinator, last_name):
    referral = referral_for(coordinator=coordinator, last_name=last_name)
    letter = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
    return services.letter_approve(letter=letter, by=coordinator)


@pytest.fixture
def letters(protocol, clinic, coordinator):
    """Five email letters, signed in this order, their referrers' names not in that order; two failed, one sending."""
    made = [_signed(coordinator, name) for name in ("Moss", "Adams", "Young", "Baker", "Cole")]
    Outbox.objects.filter(pk__in=[made[2].pk, made[4].pk]).update(status="failed", last_error="550", attempts=1)
    Outbox.objects.filter(pk=made[3].pk).update(status="sending")
    return made


def _ids(client, query=""):
    response = client.get(f"/comms/outbox/?channel=email{query}")
    assert response.status_code == 200, response.content
    return response, [row["id"] for row in response.context["outbox"].channels[0].rows]


@pytest.mark.django_db
def test_failed_first_then_sending_then_waiting_by_default(letters, client_for, coordinator):
    _, ids = _ids(client_for(coordinator))
    assert ids[:2] == sorted([letters[2].pk, letters[4].pk]) and ids[2] == letters[3].pk
    _, reverse = _ids(client_for(coordinator), "&sort=-status")
    assert reverse[-1] in (letters[2].pk, letters[4].pk) and reverse[0] not in (letters[2].pk, letters[4].pk)


@pytest.mark.django_db
def test_sorted_by_how_long_they_have_waited_or_their_referrer(letters, client_for, coordinator):
    client = client_for(coordinator)
    by_wait = list(Outbox.objects.order_by("created_at", "id").values_list("id", flat=True))
    assert _ids(client, "&sort=waited")[1] == by_wait
    assert _ids(client, "&sort=-waited")[1] == by_wait[::-1]
    response, ids = _ids(client, "&sort=referrer")
    names = [Outbox.objects.get(pk=pk).letter.referral.referrer.last_name for pk in ids]
    assert names == ["Adams", "Baker", "Cole", "Moss", "Young"]
    assert 'aria-sort="ascending"' in response.content.decode()


@pytest.mark.django_db
def test_narrowed_to_failed_or_in_flight(letters, client_for, coordinator):
    client = client_for(coordinator)
    assert set(_ids(client, "&status=failed")[1]) == {letters[2].pk, letters[4].pk}
    assert set(_ids(client, "&status=in_flight")[1]) == {letters[0].pk, letters[1].pk, letters[3].pk}
    every = client.get("/comms/outbox/?status=failed")
    assert [len(rows) for _, rows, _ in every.context["channels"]] == [2, 0, 0]


@pytest.mark.django_db
def test_a_page_size_and_the_pages_keep_the_view(letters, client_for, coordinator):
    client = client_for(coordinator)
    extra = [_signed(coordinator, f"More{i}") for i in range(21)]  # 26 letters by email: two pages of 25
    response, ids = _ids(client, "&size=25&sort=waited&status=in_flight")
    assert len(ids) == 24 and response.context["outbox"].channels[0].later is False  # 24 in flight: one page
    response, ids = _ids(client, "&size=25&sort=waited")
    body = response.content.decode()
    assert len(ids) == 25 and 'href="?size=25&amp;sort=waited&amp;channel=email&amp;page=2"' in body
    _, rest = _ids(client, "&size=25&sort=waited&page=2")
    assert rest == [extra[-1].pk]
    assert '<strong aria-current="true">25</strong>' in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, field",
    [("sort=channel", "sort"), ("size=7", "size"), ("status=lost", "status"), ("channel=pigeon", "channel")],
)
def test_a_value_the_outbox_does_not_have_is_refused_by_name(letters, client_for, coordinator, query, field):
    response = client_for(coordinator).get(f"/comms/outbox/?{query}")
    assert response.status_code == 400 and f"<code>{field}</code>" in response.content.decode()


@pytest.mark.django_db
def test_the_same_queries_whatever_the_size_sort_or_status(letters, client_for, coordinator):
    client = client_for(coordinator)
    counts = {}
    for view in ("", "?size=200", "?sort=referrer&size=25", "?sort=-waited&status=failed", "?channel=email&size=100"):
        client.get(f"/comms/outbox/{view}")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/comms/outbox/{view}").status_code == 200
        counts[view] = len(captured)
    every = counts.pop("?channel=email&size=100") + 2  # one channel: one read of rows, not three
    assert set(counts.values()) == {every}, counts
