"""The search box's page: what it finds, how it forgives typing, who sees what, and the audit trail."""

import datetime

import pytest
from django.urls import reverse

from liaison.core.models import AuditEvent
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory
from liaison.referrals.tests.factories import PatientDataFactory, receive_referral
from liaison.search.models import Kind, SearchWord
from liaison.search.parse import parse
from liaison.search.words import rebuild_words

URL = reverse("search:results")


@pytest.fixture
def olivia(db, alice_referrer):
    patient = PatientDataFactory(
        first_name="Olivia", last_name="Brennan", date_of_birth=datetime.date(1962, 3, 14), phone="(212) 555-0147"
    )
    return receive_referral(patient=patient, referral={"referrer": alice_referrer})


@pytest.fixture
def others(db, alice_referrer):
    names = [("Oliver", "Bennett"), ("Maria", "Brenner"), ("Kim", "Ng"), ("Sean", "O'Brien")]
    return [
        receive_referral(patient=PatientDataFactory(first_name=f, last_name=n), referral={"referrer": alice_referrer})
        for f, n in names
    ]


def found(client, q: str):
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    return response.context["results"]


def patient_names(results) -> list[str]:
    return [f"{p['first_name']} {p['last_name']}" for p in results.patients]


@pytest.mark.parametrize(
    "typed",
    ["Brennan", "brennan", "Brenan", "Brennen", "Bernnan", "Bren", "Olivia Brennan", "Brennan Olivia",
     "Brennan, Olivia", "olivai brenan", "BRENNAN"],
)  # fmt: skip
def test_it_finds_a_patient_by_name_typos_partial_and_any_order(typed, olivia, others, coordinator, client_for):
    assert "Olivia Brennan" in patient_names(found(client_for(coordinator), typed))


def test_a_name_typed_in_full_finds_that_name_not_its_near_spellings(olivia, others, coordinator, client_for):
    assert patient_names(found(client_for(coordinator), "Brennan")) == ["Olivia Brennan"]
    assert patient_names(found(client_for(coordinator), "Olivia Brennan")) == ["Olivia Brennan"]


def test_a_short_name_forgives_one_slip(others, coordinator, client_for):
    assert patient_names(found(client_for(coordinator), "Nf")) == ["Kim Ng"]
    assert patient_names(found(client_for(coordinator), "obrien")) == ["Sean O'Brien"]


@pytest.mark.parametrize("typed", ["03/14/1962", "3/14/1962", "1962-03-14", "03-14-1962"])
def test_it_finds_a_patient_by_date_of_birth_as_the_practice_types_it(typed, olivia, others, coordinator, client_for):
    assert patient_names(found(client_for(coordinator), typed)) == ["Olivia Brennan"]


def test_a_name_and_a_date_of_birth_narrow_each_other(olivia, coordinator, client_for):
    assert patient_names(found(client_for(coordinator), "Brenan 03/14/1962")) == ["Olivia Brennan"]
    assert patient_names(found(client_for(coordinator), "Brenan 03/15/1962")) == []


@pytest.mark.parametrize("typed", ["R-{:06d}", "r{:06d}", "R-{}", "{}", "#{}"])
def test_it_finds_a_referral_by_its_reference(typed, olivia, others, coordinator, client_for):
    results = found(client_for(coordinator), typed.format(olivia.pk))
    assert patient_names(results) == ["Olivia Brennan"]
    assert [r["id"] for r in results.patients[0]["referrals"]] == [olivia.pk]


@pytest.mark.parametrize("typed", ["(212) 555-0147", "212-555-0147", "2125550147", "+1 212 555 0147", "1.212.555.0147"])
def test_it_finds_a_patient_by_phone_in_any_format(typed, olivia, others, coordinator, client_for):
    assert patient_names(found(client_for(coordinator), typed)) == ["Olivia Brennan"]


def test_it_finds_referrers_and_practices_by_name_npi_and_phone(db, coordinator, client_for):
    practice = PracticeFactory(name="Riverside Psychiatry Associates", npi="1234567893", phone="+17185550111")
    referrer = ReferrerFactory(first_name="Hannah", last_name="Goldberg", practice=practice, phone="+12125550188")
    client = client_for(coordinator)
    assert [r["id"] for r in found(client, "Goldberg").referrers] == [referrer.pk]
    assert [r["id"] for r in found(client, "hanah goldburg").referrers] == [referrer.pk]
    assert [r["id"] for r in found(client, referrer.npi).referrers] == [referrer.pk]
    assert [r["id"] for r in found(client, "(212) 555-0188").referrers] == [referrer.pk]
    assert [p["id"] for p in found(client, "riverside psych").practices] == [practice.pk]
    assert [p["id"] for p in found(client, "Riversde").practices] == [practice.pk]
    assert [p["id"] for p in found(client, "1234567893").practices] == [practice.pk]
    assert [p["id"] for p in found(client, "718 555 0111").practices] == [practice.pk]


def test_each_result_links_to_its_page(olivia, coordinator, client_for):
    html = client_for(coordinator).get(URL, {"q": "Brenan"}).content.decode()
    assert reverse("referrals:detail", args=[olivia.pk]) in html
    assert f"R-{olivia.pk:06d}" in html
    html = client_for(coordinator).get(URL, {"q": olivia.referrer.last_name}).content.decode()
    assert reverse("crm:referrer", args=[olivia.referrer_id]) in html
    html = client_for(coordinator).get(URL, {"q": olivia.referrer.practice.name}).content.decode()
    assert reverse("crm:practice", args=[olivia.referrer.practice_id]) in html


def test_each_group_is_bounded_and_says_there_is_more(db, alice_referrer, coordinator, client_for):
    for n in range(12):
        receive_referral(patient=PatientDataFactory(first_name=f"P{chr(97 + n)}", last_name="Walsh"))
    results = found(client_for(coordinator), "Walsh")
    assert len(results.patients) == 10 and "patients" in results.more
    html = client_for(coordinator).get(URL, {"q": "Walsh"}).content.decode()
    assert "More patients match" in html


# ------------------------------------------------------------------------------------------- who sees what


@pytest.mark.parametrize("role", ["coordinator", "clinician", "director"])
def test_the_clinical_team_finds_patients_and_the_directory(role, olivia, request, client_for):
    results = found(client_for(request.getfixturevalue(role)), "Brenan")
    assert patient_names(results) == ["Olivia Brennan"]
    assert results.sees_patients and results.sees_directory


@pytest.mark.parametrize("role", ["liaison", "admin"])
def test_the_liaison_and_the_administrator_find_referrers_and_practices_never_patients(
    role, olivia, request, client_for
):
    client = client_for(request.getfixturevalue(role))
    for typed in ["Brenan", "Olivia Brennan", "03/14/1962", f"R-{olivia.pk:06d}", "(212) 555-0147"]:
        results = found(client, typed)
        assert results.patients == [] and not results.sees_patients
    html = client.get(URL, {"q": "Brennan"}).content.decode()
    assert "Olivia" not in html and "Patients" not in html
    assert [r["id"] for r in found(client, "Adams").referrers] == [olivia.referrer_id]


@pytest.mark.parametrize("role", ["alice", "practice_admin"])
def test_people_outside_the_practice_may_not_search(role, olivia, request, client_for):
    response = client_for(request.getfixturevalue(role)).get(URL, {"q": "Brennan"})
    assert response.status_code == 403
    assert "Brennan" not in response.content.decode()


def test_someone_signed_out_is_sent_to_sign_in(olivia, anonymous_client):
    response = anonymous_client.get(URL, {"q": "Brennan"})
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_header_has_the_box_for_staff_only(olivia, coordinator, liaison, alice, client_for):
    home = reverse("accounts:account")
    for user in (coordinator, liaison):
        html = client_for(user).get(home).content.decode()
        assert 'role="search"' in html and 'id="site-search"' in html and 'aria-keyshortcuts="/"' in html
    assert 'id="site-search"' not in client_for(alice).get(home).content.decode()


# ------------------------------------------------------------------------------------------- audit and bad input


def test_every_search_is_audited_with_what_it_showed_but_not_what_was_typed(olivia, coordinator, client_for):
    client_for(coordinator).get(URL, {"q": "Olivia Brenan"})
    row = AuditEvent.objects.get(action="search")
    assert row.actor == coordinator and row.path == URL
    assert row.detail["looked_for"] == ["name"]
    assert row.detail["patients"] == [olivia.patient_id] and row.detail["referrals"] == [olivia.pk]
    assert "olivia" not in str(row.detail).lower() and "bren" not in str(row.detail).lower()
    client_for(coordinator).get(URL, {"q": "olivia   BRENAN"})
    again = AuditEvent.objects.filter(action="search").order_by("-id").first()
    assert again.detail["fingerprint"] == row.detail["fingerprint"]  # the same search, recognisable


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Type a name, a date of birth"),
        ("   ", "Type a name, a date of birth"),
        ("x" * 101, "at most 100 characters"),
        ("Bren\nnan", "line break, tab or other invisible character"),
        ("Bren\x00nan", "line break, tab or other invisible character"),
        ("a", "at least two letters"),
        ("555 555 5555 5", "neither a phone number nor an NPI"),
    ],
)
def test_bad_input_gives_a_clear_message_and_searches_nothing(typed, message, olivia, coordinator, client_for):
    response = client_for(coordinator).get(URL, {"q": typed})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "results" not in response.context
    assert not AuditEvent.objects.filter(action="search").exists()


def test_the_page_without_a_query_is_the_box(coordinator, client_for):
    response = client_for(coordinator).get(URL)
    assert response.status_code == 200 and 'id="search-page-q"' in response.content.decode()


def test_parse_reads_what_was_typed():
    assert parse("Olivia  Brennan 03/14/1962").query.words == ("olivia", "brennan")
    assert parse("Olivia  Brennan 03/14/1962").query.birth_date == datetime.date(1962, 3, 14)
    assert parse("R-000123").query.reference == 123
    assert parse("(212) 555-0147").query.phone == "+12125550147"
    assert parse("1234567893").query.npi == "1234567893"


# ------------------------------------------------------------------------------------------- the vocabulary


def test_saving_a_record_adds_its_words_and_a_rebuild_gives_the_same(olivia, db):
    PracticeFactory(name="Núñez & O'Hara Family-Medicine")
    assert SearchWord.objects.filter(kind=Kind.PATIENT_LAST, word="brennan", name="brennan").exists()
    practice = SearchWord.objects.filter(kind=Kind.PRACTICE, name__startswith="núñez")
    practice_words = set(practice.values_list("word", flat=True))
    assert practice_words == {"nunez", "ohara", "family", "medicine"}
    before = set(SearchWord.objects.values_list("word", "kind", "name"))
    SearchWord.objects.all().delete()
    rebuild_words()
    assert set(SearchWord.objects.values_list("word", "kind", "name")) == before


def test_on_sqlite_the_reads_go_through_indexes_not_the_tables(olivia, others, coordinator):
    """The vocabulary by its unique index and the patients by their name index, in its order: no read that grows
    with the network (PostgreSQL's plans are checked at a million referrals, docs/benchmarks.md)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from liaison.search.parse import parse
    from liaison.search.queries import search

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plans")
    with CaptureQueriesContext(connection) as captured:
        search(user=coordinator, query=parse("Brenan").query)
    plans = {}
    with connection.cursor() as cursor:
        for q in captured.captured_queries:
            table = q["sql"].split('FROM "')[1].split('"')[0]
            cursor.execute("EXPLAIN QUERY PLAN " + q["sql"].replace("%", "%%"))
            plans.setdefault(table, []).append(" | ".join(str(row[-1]) for row in cursor.fetchall()))
    (vocabulary,) = plans["search_searchword"]
    assert "SEARCH search_searchword USING COVERING INDEX" in vocabulary, vocabulary
    assert "SCAN search_searchword" not in vocabulary, vocabulary  # every alternative an index look-up
    (by_last,) = plans["referrals_patient"]  # no first name is like "brenan": one read
    assert "SEARCH referrals_patient USING INDEX search_patient_last" in by_last, by_last
    assert "SCAN referrals_patient" not in by_last and "TEMP B-TREE" not in by_last.split("EXISTS")[0], by_last


def test_two_slips_in_a_long_name_are_forgiven_on_postgresql_only(db, alice_referrer, coordinator, client_for):
    """Two slips are beyond the spellings' look-up (one slip); pg_trgm's word similarity finds them (decision 0036)."""
    from django.db import connection

    receive_referral(patient=PatientDataFactory(first_name="Grace", last_name="Washington"))
    names = patient_names(found(client_for(coordinator), "Washingtour"))
    assert names == (["Grace Washington"] if connection.vendor == "postgresql" else [])
