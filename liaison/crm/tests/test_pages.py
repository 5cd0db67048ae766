"""The pages as a new liaison would use them, and the import, export, invitation and demo."""

import csv
import io
import random
from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from liaison.crm import geo, importer
from liaison.crm.choices import Stage, TaskKind
from liaison.crm.demo import build_demo_crm
from liaison.crm.models import Interaction, Meeting, Relationship, SavedList, Task
from liaison.directory.choices import SourceType
from liaison.directory.models import Referrer
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory, npi_from
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

pytestmark = pytest.mark.django_db


def test_haversine_on_known_distances():
    nyc, la = geo.centroid("10001"), geo.centroid("90012")
    assert 2400 < geo.haversine_miles(nyc, la) < 2500
    assert geo.haversine_miles(nyc, nyc) == 0
    assert geo.centroid("00000") is None and geo.centroid("abc") is None


@pytest.fixture
def nearby(manhattan):
    """Three psychiatrists (about 1, 4 and 25 miles away) and a primary-care doctor next door."""
    near = ReferrerFactory(last_name="Near", practice=PracticeFactory(zip_code="10011"))
    brooklyn = ReferrerFactory(last_name="Brook", practice=PracticeFactory(zip_code="11201"))
    far = ReferrerFactory(last_name="Far", practice=PracticeFactory(zip_code="10601"))
    gp = ReferrerFactory(
        last_name="Gp", source_type=SourceType.PRIMARY_CARE, practice=PracticeFactory(zip_code="10011")
    )
    return near, brooklyn, far, gp


def test_the_done_when_walkthrough(client_for, liaison, nearby):
    near, brooklyn, far, gp = nearby
    client = client_for(liaison)
    # 1. a target list of psychiatrists within 10 miles, nearest first, saved and exported
    page = client.get("/crm/targets/", {"source_type": "psychiatry", "within_miles": 10, "sort": "distance"})
    names = [r["last_name"] for r in page.context["rows"]]
    assert names == ["Near", "Brook"]
    query = "source_type=psychiatry&within_miles=10&sort=distance"
    assert client.post(f"/crm/targets/save/?{query}", {"name": "Psychiatrists within 10 miles"}).status_code == 302
    assert SavedList.objects.get(owner=liaison).filters["within_miles"] == "10"
    export = client.get(f"/crm/targets/export.csv?{query}")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [r[0] for r in rows[1:]] == [near.npi, brooklyn.npi]
    # 2. an educational outreach, then a meeting, which brings the 48-hour thank-you
    url = f"/crm/referrers/{near.pk}/"
    at = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    log = {"action": "log", "kind": "lunch_and_learn", "strategy": "educational", "outcome": "meeting_accepted"}
    response = client.post(url, {**log, "at": at, "summary": "Lunch talk for the team"})
    assert response.status_code == 302
    starts = timezone.localtime() + timedelta(days=3)
    response = client.post(url, {"action": "meeting", "kind": "introduction", "place": "Their office",
                                 "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
                                 "ends_at": (starts + timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M")})  # fmt: skip
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    thanks = Task.objects.get(kind=TaskKind.THANK_YOU)
    assert thanks.due_at == meeting.ends_at + timedelta(hours=48)
    assert thanks.title in client.get("/crm/").content.decode()
    # 3. a first referral starts its protocol, visible on the task list
    receive_referral(referral=ReferralDataFactory(referrer=near))
    tasks = client.get("/crm/").content.decode()
    assert "Thank them for their first referral" in tasks
    assert Relationship.objects.get(referrer=near).stage == Stage.FIRST_REFERRAL
    # 4. the network view shows what is cooling and why
    network = client.get("/crm/network/")
    assert network.status_code == 200
    assert "Relationships at risk" in network.content.decode()


def test_bad_filters_and_bad_forms_say_what_is_wrong(client_for, liaison, nearby):
    client = client_for(liaison)
    page = client.get("/crm/targets/", {"min_size": 9, "max_size": 2})
    assert "smaller than the smallest" in page.content.decode()
    before = Meeting.objects.count()
    response = client.post(f"/crm/referrers/{nearby[0].pk}/", {"action": "meeting", "kind": "introduction",
                           "starts_at": "2030-01-01T10:00", "ends_at": "2030-01-01T09:00"})  # fmt: skip
    assert response.status_code == 400
    assert "must end after it starts" in response.content.decode()
    assert Meeting.objects.count() == before


def test_the_invitation_is_a_valid_calendar(client_for, liaison, nearby):
    near = nearby[0]
    near.email = "near@example.test"
    near.save()
    client = client_for(liaison)
    client.post(f"/crm/referrers/{near.pk}/", {"action": "meeting", "kind": "introduction",
                "starts_at": "2030-03-04T12:30", "ends_at": "2030-03-04T13:15"})  # fmt: skip
    response = client.get(f"/crm/meetings/{Meeting.objects.get().pk}/invite.ics")
    assert response["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(minutes=45)
    assert "near@example.test" in str(event["ATTENDEE"])


def test_a_draft_email_fills_in_the_referrer_and_the_liaison(client_for, liaison, nearby):
    page = client_for(liaison).get(f"/crm/referrers/{nearby[0].pk}/draft/")
    body = page.context["body"]
    assert "Dr. Near" in body and "Lee Liaison" in body and "$" not in body


def test_recording_a_meeting_through_the_page(client_for, liaison, nearby):
    client = client_for(liaison)
    client.post(f"/crm/referrers/{nearby[0].pk}/", {"action": "meeting", "kind": "introduction",
                "starts_at": "2024-03-04T12:30", "ends_at": "2024-03-04T13:15"})  # fmt: skip
    meeting = Meeting.objects.get()
    notes = {"listening_notes": "Many TRD patients", "held": "on", "concerns": ["cost", "safety"]}
    response = client.post(f"/crm/meetings/{meeting.pk}/", {**notes, "concern_note": "Asked about coverage"})
    assert response.status_code == 302
    assert Relationship.objects.get(referrer=nearby[0]).concerns.count() == 2
    assert Task.objects.filter(kind=TaskKind.MONTHLY_TOUCH).count() == 3


# ---------------------------------------------------------------- import

GOOD = """npi,first_name,last_name,credential,taxonomy_code,source_type,practice_name,zip_code,clinician_count
{a},Ana,Ortiz,MD,2084P0800X,psychiatry,Ortiz Psychiatry,10011,3
{b},Ben,Cho,LCSW,1041C0700X,,Cho Counseling,11201,1
"""


def test_a_good_file_imports_every_row_as_a_target(liaison):
    text = GOOD.format(a=npi_from("155500001"), b=npi_from("155500002"))
    preview = importer.read(text)
    assert preview.ok, [r.errors for r in preview.rows]
    assert importer.targets_import(by=liaison, text=text) == 2
    cho = Referrer.objects.get(last_name="Cho")
    assert cho.source_type == "therapy"  # from the taxonomy code
    assert Relationship.objects.get(referrer=cho).owner == liaison


def test_a_file_with_broken_rows_writes_nothing_and_names_every_problem(client_for, liaison):
    text = GOOD.format(a="1234567890", b=npi_from("155500002")) + "{},Cy,,MD,9999X,martian,,99999,many\n".format(
        npi_from("155500002")
    )
    counts = (Referrer.objects.count(), Relationship.objects.count())
    preview = importer.read(text)
    bad = {r.line: r.errors for r in preview.bad_rows}
    assert set(bad) == {2, 4}
    assert any("check digit" in e for e in bad[2])
    line4 = " ".join(bad[4])
    for words in ("last_name", "9999X", "martian", "99999", "many", "also on line 3"):
        assert words in line4
    with pytest.raises(Exception):  # noqa: B017 - ValidationError naming each line
        importer.targets_import(by=liaison, text=text)
    response = client_for(liaison).post("/crm/targets/import/", {"file": io.BytesIO(text.encode())})
    assert response.status_code == 200 and "2 rows need fixing" in response.content.decode()
    response = client_for(liaison).post("/crm/targets/import/", {"confirm": "1", "text": text})
    assert (Referrer.objects.count(), Relationship.objects.count()) == counts


def test_nppes_rows_are_understood():
    with open("/work/shared/data/external/nppes/nppes_sample.csv", encoding="latin-1") as f:
        header = f.readline()
    cols = next(csv.reader([header]))
    row = dict.fromkeys(cols, "")
    row.update({"NPI": "1679576722", "Entity Type Code": "1.0", "Provider Last Name (Legal Name)": "WIEBE",
                "Provider First Name": "DAVID", "Provider Credential Text": "M.D.",
                "Provider Business Practice Location Address Postal Code": "688472944.0",
                "Provider Business Practice Location Address State Name": "NE",
                "Provider Business Practice Location Address Telephone Number": "3088652512.0",
                "Healthcare Provider Taxonomy Code_1": "2084P0800X",
                "Healthcare Provider Primary Taxonomy Switch_1": "Y"})  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=cols)
    writer.writeheader()
    writer.writerow(row)
    preview = importer.read(out.getvalue())
    assert preview.ok, [r.errors for r in preview.rows]
    data = preview.rows[0].data
    assert (data["last_name"], data["zip_code"], data["source_type"], data["phone"]) == (
        "Wiebe", "68847", "psychiatry", "+13088652512",
    )  # fmt: skip


# ---------------------------------------------------------------- demo


def test_the_demo_seeds_every_stage(liaison):
    referrers = [ReferrerFactory() for _ in range(40)]
    for r in referrers[:12]:
        receive_referral(referral=ReferralDataFactory(referrer=r), at=timezone.now() - timedelta(days=200))
    counts = build_demo_crm(rng=random.Random(3), referrers=referrers, liaison_user=liaison, now=timezone.now())
    assert counts["relationships"] == 40
    stages = set(Relationship.objects.values_list("stage", flat=True))
    assert {Stage.TARGET, Stage.CONTACTED, Stage.MET} <= stages
    assert Stage.COOLING in stages or Stage.DORMANT in stages
    assert Interaction.objects.exists() and Meeting.objects.exists() and Task.objects.exists()


def test_a_second_open_quarterly_meeting_task_is_refused_by_name(client_for, liaison, nearby):
    client = client_for(liaison)
    url = f"/crm/referrers/{nearby[0].pk}/"
    task = {"action": "task", "kind": "quarterly_meeting", "title": "Book the quarter's meeting",
            "due_at": "2031-01-10T10:00"}  # fmt: skip
    assert client.post(url, task).status_code == 302
    before = Task.objects.count()
    response = client.post(url, task)
    assert response.status_code == 400
    assert "already an open “Quarterly meeting” task" in response.content.decode()
    assert Task.objects.count() == before


def test_the_first_referral_protocol_cannot_be_added_by_hand(client_for, liaison, nearby):
    before = Task.objects.count()
    task = {"action": "task", "kind": "first_referral_thanks", "title": "Thanks", "due_at": "2031-01-10T10:00"}
    response = client_for(liaison).post(f"/crm/referrers/{nearby[0].pk}/", task)
    assert response.status_code == 400
    assert Task.objects.count() == before


def test_saving_a_list_with_bad_filters_or_a_name_in_use_says_which_and_saves_nothing(client_for, liaison):
    client = client_for(liaison)
    response = client.post("/crm/targets/save/?min_size=9&max_size=2", {"name": "Big practices"}, follow=True)
    assert "fix the filters first" in response.content.decode() and "At most (clinicians)" in response.content.decode()
    assert not SavedList.objects.exists()
    client.post("/crm/targets/save/?source_type=psychiatry", {"name": "Psychiatrists"})
    response = client.post("/crm/targets/save/?source_type=primary_care", {"name": "Psychiatrists"}, follow=True)
    assert "already have a list called “Psychiatrists”" in response.content.decode()
    assert list(SavedList.objects.values_list("filters", flat=True)) == [{"source_type": "psychiatry"}]


def test_the_fifteenth_nppes_taxonomy_slot_is_read_too():
    raw = {"Healthcare Provider Taxonomy Code_15": "2084P0800X", "Healthcare Provider Primary Taxonomy Switch_15": "Y",
           "Healthcare Provider Taxonomy Code_1": "207Q00000X"}  # fmt: skip
    assert importer._from_nppes(raw)["taxonomy_code"] == "2084P0800X"


def test_a_concern_shows_its_kind_of_barrier(client_for, liaison, nearby):
    from liaison.crm.models import Concern

    relationship = Relationship.objects.get_or_create(referrer=nearby[0])[0]
    Concern.objects.create(relationship=relationship, tag="losing_patient", raised_at=timezone.now())
    page = client_for(liaison).get(f"/crm/referrers/{nearby[0].pk}/").content.decode()
    assert 'Fear of losing the patient</strong> <span class="muted small">(trust)</span>' in page
