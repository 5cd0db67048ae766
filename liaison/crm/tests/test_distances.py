"""Each referrer's stored distance from the clinic (crm.ReferrerDistance): filled for new referrers, measured
again when a practice moves, a referrer changes practice or the clinic's locations change, and never trusted
when it was measured from a ZIP code that is no longer the practice's."""

import pytest
from django.core.cache import cache

from liaison.crm import geo
from liaison.crm.health import health_refresh
from liaison.crm.models import ClinicLocation, ReferrerDistance
from liaison.crm.services import clinic_location_save
from liaison.directory.models import Practice
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory

pytestmark = pytest.mark.django_db

NEAR = {"source_type": "psychiatry", "within_miles": 10, "sort": "distance"}


def listed(client, **filters) -> list[str]:
    cache.clear()  # the page checks for new and moved referrers at most once a minute: let it check now
    return [r["last_name"] for r in client.get("/crm/targets/", {**NEAR, **filters}).context["rows"]]


def miles(referrer) -> float | None:
    return ReferrerDistance.objects.get(referrer=referrer).miles


@pytest.fixture
def two(manhattan):
    near = ReferrerFactory(last_name="Near", practice=PracticeFactory(zip_code="10011"))
    brook = ReferrerFactory(last_name="Brook", practice=PracticeFactory(zip_code="11201"))
    return near, brook


def test_every_referrer_gets_a_distance_row_and_one_without_a_practice_sorts_last(client_for, liaison, two):
    near, brook = two
    nowhere = ReferrerFactory(last_name="Nowhere", practice=None)
    assert geo.referrer_distances_sync() == 3
    assert 0 < miles(near) < miles(brook) < 10
    assert miles(nowhere) is None
    assert geo.referrer_distances_sync() == 0  # a quiet day: nothing to write
    client = client_for(liaison)
    assert listed(client, within_miles="") == ["Near", "Brook", "Nowhere"]


def test_a_new_referrer_is_on_the_list_at_the_next_check(client_for, liaison, two):
    client = client_for(liaison)
    assert listed(client) == ["Near", "Brook"]
    ReferrerFactory(last_name="Newcomer", practice=PracticeFactory(zip_code="10001"))
    assert listed(client) == ["Newcomer", "Near", "Brook"]


def test_a_practice_that_moves_is_measured_again_at_once(client_for, liaison, two):
    near, brook = two
    client = client_for(liaison)
    assert listed(client) == ["Near", "Brook"]
    practice = brook.practice
    practice.zip_code = "10601"  # White Plains, about 25 miles out
    practice.save()
    assert miles(brook) > 20
    assert ReferrerDistance.objects.get(referrer=brook).zip_code == "10601"
    assert listed(client) == ["Near"]


def test_a_referrer_who_changes_practice_is_measured_again(two):
    near, brook = two
    geo.referrer_distances_sync()
    brook.practice = near.practice
    brook.save()
    assert miles(brook) == miles(near)


def test_a_zip_change_that_sends_no_signal_is_caught_by_the_refresh_and_the_page(client_for, liaison, two):
    near, brook = two
    geo.referrer_distances_sync()
    Practice.objects.filter(pk=brook.practice_id).update(zip_code="10601")  # a bulk write: no signal
    stale = ReferrerDistance.objects.get(referrer=brook)
    assert stale.zip_code == "11201" and stale.miles < 10  # measured from the old ZIP: stale
    health_refresh()
    assert miles(brook) > 20
    Practice.objects.filter(pk=brook.practice_id).update(zip_code="11201")
    assert listed(client_for(liaison)) == ["Near", "Brook"]  # and the page's own check


def test_a_new_clinic_location_measures_every_referrer_again(admin, two):
    near, brook = two
    geo.referrer_distances_sync()
    before = miles(brook)
    clinic_location_save(location=ClinicLocation(name="Brooklyn Heights", zip_code="11201"), by=admin)
    assert miles(brook) == 0 and miles(near) < before + 5
    ClinicLocation.objects.filter(zip_code="11201").update(is_active=False)
    geo.distances_rebuild()
    assert miles(brook) == pytest.approx(before, abs=0.1)


def test_the_list_escapes_what_it_shows(client_for, liaison, manhattan):
    ReferrerFactory(last_name="<b>Bold</b>", practice=PracticeFactory(name="A & B <i>", zip_code="10011"))
    html = client_for(liaison).get("/crm/targets/", NEAR).content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html and "A &amp; B &lt;i&gt;" in html
    assert "<b>Bold" not in html


def test_the_list_reads_distance_and_history_in_a_fixed_number_of_queries(client_for, liaison, two):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(liaison)
    listed(client)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            client.get("/crm/targets/", NEAR)
        counts.append(len(ctx.captured_queries))
        for i in range(5):
            ReferrerFactory(last_name=f"More{i}", practice=PracticeFactory(zip_code="10011"))
        geo.referrer_distances_sync()
    assert counts[0] == counts[1]


def test_referrers_in_one_zip_code_are_ranked_by_name(client_for, liaison, manhattan):
    for name in ("Carter", "Adams", "Baker"):
        ReferrerFactory(last_name=name, practice=PracticeFactory(zip_code="10011"))
    assert listed(client_for(liaison)) == ["Adams", "Baker", "Carter"]


def test_the_admin_refuses_an_unknown_zip_by_name_and_measures_again_after_a_bulk_delete(client_for, admin, two):
    near, brook = two
    client = client_for(admin)
    response = client.post(
        "/admin/crm/cliniclocation/add/", {"name": "Nowhere", "zip_code": "00000", "is_active": "on"}
    )
    assert response.status_code == 200 and "00000 is not a US ZIP code we know." in response.content.decode()
    assert ClinicLocation.objects.count() == 1
    assert client.post("/admin/crm/cliniclocation/add/", {"name": "Brooklyn", "zip_code": "11201",
                                                          "is_active": "on"}).status_code == 302  # fmt: skip
    assert miles(brook) == 0
    brooklyn = ClinicLocation.objects.get(zip_code="11201")
    delete = {"action": "delete_selected", "_selected_action": [brooklyn.pk], "post": "yes"}
    response = client.post("/admin/crm/cliniclocation/", delete)
    assert response.status_code == 302 and not ClinicLocation.objects.filter(pk=brooklyn.pk).exists()
    assert miles(brook) > 3  # measured again from Chelsea
