"""The booking pages as every role meets them: the referral page's booking panel ("Schedule evaluation" opens the
booking form), the form's field errors, a booking's page with its history, came and did not come, the patient's
calendar invitation, and the schedule by day and by week, per clinician and for the practice. All audited."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from liaison.care import bookings
from liaison.care.choices import BookingStatus
from liaison.care.models import Booking
from liaison.care.tests.conftest import row_counts
from liaison.core.models import AuditEvent, Clinic
from liaison.referrals.choices import Status
from liaison.referrals.models import Referral
from liaison.referrals.tests.factories import ReferralFactory
from liaison.referrals.views import BOOK_FIRST

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 14, 0, tzinfo=datetime.UTC)  # Monday March 2, 9 AM in New York
CLINICAL = ["coordinator", "clinician", "director"]
REFUSED = ["liaison", "admin", "alice", "bob", "practice_admin"]


def local(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, 3, day, hour, minute))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def referral(alice_referrer):
    return ReferralFactory(status=Status.ACKNOWLEDGED, referrer=alice_referrer)


@pytest.fixture
def booked(referral, coordinator, clinician):
    return bookings.booking_evaluation_book(
        referral=referral, by=coordinator, clinician=clinician, starts_at=local(4, 10), ends_at=local(4, 11),
        place="Room 2",
    )  # fmt: skip


def form(person, **change) -> dict:
    data = {"day": "2026-03-04", "starts_at": "10:00", "ends_at": "11:00", "clinician": person.pk, "place": "Room 2"}
    return data | change


# ------------------------------------------------------------------ who may


def urls(booking: Booking) -> list[tuple[str, str]]:
    return [
        ("get", reverse("care:schedule")),
        ("get", reverse("care:schedule") + "?week=2026-03-04"),
        ("get", reverse("care:booking_new", args=[booking.referral_id])),
        ("get", reverse("care:booking", args=[booking.pk])),
        ("get", reverse("care:booking_reschedule", args=[booking.pk])),
        ("get", reverse("care:booking_invitation", args=[booking.pk])),
        ("post", reverse("care:booking_outcome", args=[booking.pk])),
    ]


@pytest.mark.parametrize("role", REFUSED)
def test_roles_outside_the_clinical_team_get_nothing(role, request, client_for, booked):
    client = client_for(request.getfixturevalue(role))
    for method, url in urls(booked):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (role, url)
        assert b"Room 2" not in response.content
    assert Booking.objects.get().status == BookingStatus.BOOKED


def test_anonymous_people_are_sent_to_sign_in(anonymous_client, booked):
    for method, url in urls(booked):
        response = getattr(anonymous_client, method)(url)
        assert response.status_code == 302 and "/accounts/" in response["Location"], url


@pytest.mark.parametrize("role", CLINICAL)
def test_the_clinical_team_sees_the_schedule_a_booking_and_its_invitation(role, request, client_for, booked):
    client = client_for(request.getfixturevalue(role))
    for url in (reverse("care:schedule") + "?day=2026-03-04", reverse("care:booking", args=[booked.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert "Room 2" in response.content.decode()
    assert client.get(reverse("care:booking_invitation", args=[booked.pk])).status_code == 200


def test_an_unknown_booking_is_a_404(client_for, coordinator):
    assert client_for(coordinator).get(reverse("care:booking", args=[999])).status_code == 404


# ------------------------------------------------------------------ the referral page and the form


def test_schedule_evaluation_on_the_referral_page_opens_the_booking_form(client_for, coordinator, referral):
    page = client_for(coordinator).get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    book_url = reverse("care:booking_new", args=[referral.pk])
    assert f'href="{book_url}">Schedule evaluation</a>' in page
    assert 'name="to" value="eval_scheduled"' not in page  # no bare button moves it without a date


def test_the_bare_transition_is_refused_and_points_to_the_form(client_for, coordinator, referral):
    data = {"to": Status.EVAL_SCHEDULED, "version": referral.version, "reason": ""}
    response = client_for(coordinator).post(reverse("referrals:transition", args=[referral.pk]), data)
    assert response.status_code == 400 and BOOK_FIRST in response.content.decode()
    assert Referral.objects.get(pk=referral.pk).status == Status.ACKNOWLEDGED


@pytest.mark.parametrize("role", CLINICAL)
def test_booking_through_the_form_moves_the_referral(role, request, client_for, referral, clinician):
    client = client_for(request.getfixturevalue(role))
    url = reverse("care:booking_new", args=[referral.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, form(clinician, version=referral.version))
    assert response.status_code == 302 and response.url == reverse("referrals:detail", args=[referral.pk])
    assert Referral.objects.get(pk=referral.pk).status == Status.EVAL_SCHEDULED
    booking = Booking.objects.get()
    assert booking.starts_at == datetime.datetime(2026, 3, 4, 15, 0, tzinfo=datetime.UTC)  # 10 AM New York, in UTC
    page = client.get(response.url).content.decode()
    assert "Evaluation booked: Wednesday, March 4, 2026, 10:00 AM to 11:00 AM with Cliff Clinician, Room 2." in page
    assert "Wednesday, March 4, 2026, 10:00 AM to 11:00 AM</strong>, with Cliff Clinician, Room 2" in page


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"day": "2026-03-01"}, "day", "This date has passed"),
        ({"day": "2026-03-02", "starts_at": "08:00", "ends_at": "08:30"}, "starts_at", "This time has passed"),
        ({"ends_at": "09:00"}, "ends_at", "It must end after it starts."),
        ({"clinician": "99999"}, "clinician", "Choose a clinician from the list."),
        ({"place": ""}, "place", "This field is required."),
        ({"day": "soon"}, "day", "Give the date as a calendar date."),
        ({"starts_at": "ten"}, "starts_at", "Give the time as hours and minutes"),
    ],
)
def test_bad_input_on_the_form_names_the_field_and_writes_nothing(
    client_for, coordinator, clinician, referral, change, field, words
):
    client = client_for(coordinator)
    client.get(reverse("care:schedule"))  # signed in: the session and sign-in rows exist before counting
    before = row_counts()
    response = client.post(reverse("care:booking_new", args=[referral.pk]), form(clinician, **change))
    assert response.status_code == 400
    assert words in " ".join(response.context["form"].errors[field])
    assert "Nothing was booked" in response.content.decode()
    assert {k: v for k, v in row_counts().items() if k != "core.AuditEvent"} == {
        k: v for k, v in before.items() if k != "core.AuditEvent"
    }


def test_a_clash_on_the_form_is_a_field_error(client_for, coordinator, clinician, booked, alice_referrer):
    other = ReferralFactory(status=Status.RECEIVED, referrer=alice_referrer)
    response = client_for(coordinator).post(
        reverse("care:booking_new", args=[other.pk]), form(clinician, starts_at="10:30", ends_at="11:15")
    )
    assert response.status_code == 400
    assert "Cliff Clinician is already booked" in response.context["form"].errors["starts_at"][0]
    assert Booking.objects.count() == 1 and Referral.objects.get(pk=other.pk).status == Status.RECEIVED


def test_a_referral_with_nothing_to_book_sends_the_person_back(client_for, coordinator, alice_referrer):
    evaluated = ReferralFactory(status=Status.EVALUATED, referrer=alice_referrer)
    response = client_for(coordinator).get(reverse("care:booking_new", args=[evaluated.pk]))
    assert response.status_code == 302 and response.url == reverse("referrals:detail", args=[evaluated.pk])


# ------------------------------------------------------------------ a booking's page


def test_moving_a_booking_through_its_page_keeps_the_history(client_for, coordinator, director, booked):
    client = client_for(coordinator)
    response = client.post(
        reverse("care:booking_reschedule", args=[booked.pk]), form(director, day="2026-03-06", starts_at="14:00",
                                                                   ends_at="15:00", place="Room 1"),
    )  # fmt: skip
    new = Booking.objects.get(replaces=booked)
    assert response.status_code == 302 and response.url == reverse("care:booking", args=[new.pk])
    page = client.get(response.url).content.decode()
    assert "Friday, March 6, 2026, 2:00 PM to 3:00 PM" in page
    assert reverse("care:booking", args=[booked.pk]) in page and "Moved to another time" in page
    old = client.get(reverse("care:booking", args=[booked.pk])).content.decode()
    assert "Move to another time</a>" not in old  # only an open booking moves


def test_the_outcome_buttons_appear_once_the_time_has_come(client_for, coordinator, booked):
    client = client_for(coordinator)
    assert "The patient did not come" not in client.get(reverse("care:booking", args=[booked.pk])).content.decode()
    with time_machine.travel(local(4, 10, 30), tick=False):
        client = client_for(coordinator)  # signed in again: two days idle signs a person out
        assert "The patient did not come" in client.get(reverse("care:booking", args=[booked.pk])).content.decode()
        response = client.post(reverse("care:booking_outcome", args=[booked.pk]), {"outcome": "no_show"})
    assert response.status_code == 302
    assert Booking.objects.get().status == BookingStatus.NO_SHOW
    assert Referral.objects.get(pk=booked.referral_id).status == Status.NO_SHOW


def test_an_outcome_before_the_time_or_unknown_changes_nothing(client_for, coordinator, booked):
    client = client_for(coordinator)
    for outcome in ("no_show", "attended", "maybe"):
        client.post(reverse("care:booking_outcome", args=[booked.pk]), {"outcome": outcome})
    assert Booking.objects.get().status == BookingStatus.BOOKED


# ------------------------------------------------------------------ the invitation


def test_the_invitation_says_what_when_where_and_who_and_not_who_the_patient_is(client_for, coordinator, booked):
    Clinic.objects.create(name="Hudson Ketamine Clinic", address="12 River St, Albany NY", phone="+15185550100")
    response = client_for(coordinator).get(reverse("care:booking_invitation", args=[booked.pk]))
    assert response["Content-Type"] == "text/calendar"
    assert 'filename="evaluation-' in response["Content-Disposition"]
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime.datetime(2026, 3, 4, 15, 0, tzinfo=datetime.UTC)
    assert event.decoded("dtend") == datetime.datetime(2026, 3, 4, 16, 0, tzinfo=datetime.UTC)
    assert str(event["summary"]) == "Evaluation at Hudson Ketamine Clinic"
    assert str(event["location"]) == "Room 2, 12 River St, Albany NY"
    assert "With Cliff Clinician." in str(event["description"]) and "(518) 555-0100" in str(event["description"])
    patient = booked.referral.patient
    text = response.content.decode()
    assert patient.last_name not in text and booked.referral.reference not in text
    assert AuditEvent.objects.filter(action="download", object_type="care.booking", object_id=str(booked.pk)).exists()


def test_a_moved_booking_keeps_the_invitations_uid_with_a_higher_sequence(client_for, coordinator, clinician, booked):
    moved = bookings.booking_reschedule(
        booking=booked, by=coordinator, clinician=clinician, starts_at=local(5, 9), ends_at=local(5, 10), place="Room 2"
    )
    client = client_for(coordinator)
    first, second = (
        Calendar.from_ical(client.get(reverse("care:booking_invitation", args=[b.pk])).content).walk("VEVENT")[0]
        for b in (booked, moved)
    )
    assert first["uid"] == second["uid"]
    assert (first["sequence"], second["sequence"]) == (0, 1)
    assert (str(first["status"]), str(second["status"])) == ("CANCELLED", "CONFIRMED")


# ------------------------------------------------------------------ the schedule


@pytest.fixture
def week(booked, coordinator, director, alice_referrer):
    other = ReferralFactory(status=Status.RECEIVED, referrer=alice_referrer)
    bookings.booking_evaluation_book(
        referral=other, by=coordinator, clinician=director, starts_at=local(6, 9), ends_at=local(6, 10), place="Room 1"
    )
    return other


def test_the_day_view_shows_that_days_bookings_for_the_practice(client_for, coordinator, week, booked):
    page = client_for(coordinator).get(reverse("care:schedule") + "?day=2026-03-04").content.decode()
    assert "Wednesday, March 4, 2026" in page and "10:00 AM–11:00 AM" in page
    assert booked.referral.patient.last_name in page and "Room 1" not in page  # Friday's is not this day's
    audit = AuditEvent.objects.filter(action="list", object_type="care.booking").latest("id")
    assert audit.detail["bookings"] == [booked.pk] and audit.detail["days"] == 1


def test_the_week_view_starts_on_monday_and_filters_by_clinician(client_for, coordinator, director, week, booked):
    client = client_for(coordinator)
    page = client.get(reverse("care:schedule") + "?week=2026-03-05").content.decode()
    assert "Week of Monday, March 2, 2026 to Sunday, March 8" in page
    assert "Room 2" in page and "Room 1" in page
    mine = client.get(reverse("care:schedule") + f"?week=2026-03-05&clinician={director.pk}").content.decode()
    assert "Room 1" in mine and "Room 2" not in mine and "Schedule: Dina Director" in mine


def test_the_schedule_opens_on_today_and_a_bad_date_is_said(client_for, coordinator):
    client = client_for(coordinator)
    assert "Monday, March 2, 2026" in client.get(reverse("care:schedule")).content.decode()
    response = client.get(reverse("care:schedule") + "?day=yesterday")
    assert response.status_code == 400 and "Showing today instead" in response.content.decode()


def test_moved_and_cancelled_bookings_leave_the_schedule(client_for, coordinator, clinician, booked):
    bookings.booking_reschedule(
        booking=booked,
        by=coordinator,
        clinician=clinician,
        starts_at=local(4, 15),
        ends_at=local(4, 16),
        place="Room 9",
    )
    page = client_for(coordinator).get(reverse("care:schedule") + "?day=2026-03-04").content.decode()
    assert "3:00 PM–4:00 PM" in page and "10:00 AM–11:00 AM" not in page


@pytest.mark.parametrize("rows", [3, 30])
def test_the_week_costs_the_same_for_3_or_30_bookings(rows, client_for, coordinator, clinician, alice_referrer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(rows):
        start = local(2 + n % 5, 10) + datetime.timedelta(hours=n // 5, days=7)
        Booking.objects.create(
            referral=ReferralFactory(status=Status.EVAL_SCHEDULED, referrer=alice_referrer), kind="evaluation",
            starts_at=start, ends_at=start + datetime.timedelta(minutes=50), clinician=clinician, place="Room 2",
        )  # fmt: skip
    client = client_for(coordinator)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("care:schedule") + "?week=2026-03-09")
    assert response.status_code == 200 and response.content.decode().count("Room 2") == rows
    tables = [q["sql"].split('"')[1] if '"' in q["sql"] else q["sql"].split()[0] for q in captured.captured_queries]
    # The session, the user, the clinicians' list, the bookings (patient and clinician joined), the audit row, the
    # header's clinic, the session saved again: the same for any number of bookings.
    audit = ["core_auditchainhead", "WITH"] if connection.vendor == "postgresql" else ["core_auditchainhead"] * 3
    assert len(tables) == 8 + len(audit), tables
