"""The referrers page as its address says: sorted by name, practice, referrals or health, filtered by source,
specialty and stage, a page of 25 to 200, in the same statements whatever the size and the sort; a value it does
not know is a 400 naming the parameter."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from liaison.crm import services
from liaison.crm.choices import Stage
from liaison.crm.models import Health, Relationship
from liaison.directory.choices import SourceType
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory, TaxonomyFactory
from liaison.referrals.tests.test_query_counts import DIRECTORY_QUERIES, queries_of

pytestmark = pytest.mark.django_db
URL = reverse("directory:referrers")
AT = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def four():
    shrink = TaxonomyFactory(code="2084Z0000X", display_name="Shrinks")
    people = {
        "Adams": ReferrerFactory(last_name="Adams", practice=PracticeFactory(name="Zenith"), taxonomy=shrink),
        "Baker": ReferrerFactory(last_name="Baker", practice=PracticeFactory(name="Alpine"),
                                 source_type=SourceType.PRIMARY_CARE),
        "Cole": ReferrerFactory(last_name="Cole", practice=PracticeFactory(name="Meadow"), taxonomy=shrink),
        "Dunn": ReferrerFactory(last_name="Dunn", practice=None, source_type=SourceType.PRIMARY_CARE),
    }  # fmt: skip
    for name, total, score in (("Adams", 3, 40), ("Baker", 10, 90), ("Cole", 1, 70)):
        Health.objects.create(referrer=people[name], computed_at=AT, total_referrals=total, score=score)
    services.relationship_ensure(referrer=people["Cole"])
    Relationship.objects.filter(referrer=people["Cole"]).update(stage=Stage.ACTIVE)
    return people


def names(response) -> list[str]:
    return [r["last_name"] for r in response.context["referrers"]]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ["Adams", "Baker", "Cole", "Dunn"]),
        ("?sort=-name", ["Dunn", "Cole", "Baker", "Adams"]),
        ("?sort=practice", ["Baker", "Cole", "Adams", "Dunn"]),  # no practice: last
        ("?sort=-referrals", ["Baker", "Adams", "Cole", "Dunn"]),  # no health row yet: last
        ("?sort=referrals", ["Cole", "Adams", "Baker", "Dunn"]),
        ("?sort=-health", ["Baker", "Cole", "Adams", "Dunn"]),
    ],
)
def test_each_column_sorts_the_directory(query, expected, four, client_for, liaison):
    assert names(client_for(liaison).get(URL + query)) == expected


def test_the_filters_are_in_the_address(four, client_for, liaison):
    client = client_for(liaison)
    assert names(client.get(URL + "?source=primary_care")) == ["Baker", "Dunn"]
    code = four["Adams"].taxonomy_id
    only = client.get(URL + f"?taxonomy={code}&sort=-referrals")
    assert names(only) == ["Adams", "Cole"] and "Only Shrinks" in only.content.decode()
    assert names(client.get(URL + f"?stage={Stage.ACTIVE}")) == ["Cole"]
    assert names(client.get(URL + "?source=primary_care&stage=active")) == []


def test_a_page_size_and_the_links_keep_the_view(four, client_for, liaison):
    response = client_for(liaison).get(URL + "?source=primary_care&size=25&sort=practice")
    page = response.content.decode()
    assert response.context["page"].paginator.per_page == 25
    assert 'href="?source=primary_care&amp;size=25&amp;sort=-practice"' in page  # the sort's reverse, filters kept
    assert 'href="?source=primary_care&amp;sort=practice&amp;size=50"' in page
    code = four["Baker"].taxonomy_id
    assert f'href="?source=primary_care&amp;size=25&amp;sort=practice&amp;taxonomy={code}"' in page


@pytest.mark.parametrize(
    "query, field",
    [("?sort=age", "sort"), ("?size=1000", "size"), ("?source=self", "source"), ("?stage=x", "stage"),
     ("?taxonomy=nope", "taxonomy")],
)  # fmt: skip
def test_a_value_the_directory_does_not_know_is_a_400_naming_it(query, field, client_for, liaison):
    response = client_for(liaison).get(URL + query)
    assert response.status_code == 400 and response.context["field"] == field


@pytest.mark.parametrize("size", [25, 200])
@pytest.mark.parametrize("sort", ["name", "-name", "practice", "-referrals", "-health"])
def test_every_size_and_sort_costs_the_same_statements(size, sort, client_for, liaison):
    ReferrerFactory.create_batch(210)
    assert queries_of(client_for(liaison), f"{URL}?size={size}&sort={sort}&source=psychiatry") == DIRECTORY_QUERIES


@pytest.mark.parametrize("who", ["coordinator", "clinician", "liaison", "director", "admin"])
def test_the_clinic_staff_see_it(who, request, client_for, four):
    assert client_for(request.getfixturevalue(who)).get(URL + "?sort=-health&size=25").status_code == 200


@pytest.mark.parametrize("who", ["alice", "bob", "practice_admin"])
def test_outside_roles_are_refused(who, request, client_for, four):
    assert client_for(request.getfixturevalue(who)).get(URL + "?sort=-health").status_code == 403
