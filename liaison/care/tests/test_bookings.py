"""Booking services: an evaluation booked moves the referral to "Evaluation scheduled" with the slot on its timeline;
bad input and clashes are refused field by field with nothing written; moving a booking keeps the old one; a
no-show is recorded from the booking; the referral's own steps settle its open bookings; the letter states the
booked date and never also says the coordinator will call."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.accounts.tests.factories import ClinicianFactory
from liaison.care import bookings, services
from liaison.care.choices import BookingStatus
from liaison.care.models import Booking
from liaison.care.tests.conftest import row_counts
from liaison.comms import letters
from liaison.core.models import AuditEvent
from liaison.referrals import services as referral_services
from liaison.referrals.choices import EventKind, Status
from liaison.referrals.models import ReferralEvent
from liaison.referrals.tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 14, 0, tzinfo=datetime.UTC)  # Monday, 9 AM in New York


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, month, day, hour, minute))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acknowledged(alice_referrer):
    return ReferralFactory(status=Status.ACKNOWLEDGED, referrer=alice_referrer)


def book(referral, by, clinician, start=None, end=None, place="Room 2", **extra):
    start = start or local(4, 10)
    end = end or start + datetime.timedelta(hours=1)
    return bookings.booking_evaluation_book(
        referral=referral, by=by, clinician=clinician, starts_at=start, ends_at=end, place=place, **extra
    )


def test_booking_an_evaluation_moves_the_referral_and_names_the_slot_on_its_timeline(
    acknowledged, coordinator, clinician
):
    booking = book(acknowledged, coordinator, clinician)
    acknowledged.refresh_from_db()
    assert acknowledged.status == Status.EVAL_SCHEDULED
    assert booking.status == BookingStatus.BOOKED and booking.starts_at == datetime.datetime(
        2026, 3, 4, 15, 0, tzinfo=datetime.UTC
    )
    step = ReferralEvent.objects.get(referral=acknowledged, kind=EventKind.TRANSITION, to_status=Status.EVAL_SCHEDULED)
    assert (
        step.reason
        == "Evaluation booked: Wednesday, March 4, 2026, 10:00 AM to 11:00 AM, with Cliff Clinician, Room 2."
    )
    assert AuditEvent.objects.filter(action="create", object_type="care.booking", object_id=str(booking.pk)).exists()


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"start": local(2, 8), "end": local(2, 8, 30)}, "starts_at", "This time has passed"),
        ({"start": local(4, 10), "end": local(4, 9)}, "ends_at", "end after it starts"),
        ({"start": local(4, 10), "end": local(4, 10)}, "ends_at", "end after it starts"),
        ({"start": local(4, 8), "end": local(4, 18)}, "ends_at", "at most 8 hours"),
        ({"start": local(4, 10, month=5).replace(year=2027)}, "starts_at", "at most a year ahead"),
        ({"place": "  "}, "place", "Say where"),
        ({"place": "Room\n2"}, "place", ""),
        ({"place": "x" * 101}, "place", "at most 100"),
    ],
)
def test_bad_input_is_refused_by_field_and_writes_nothing(acknowledged, coordinator, clinician, change, field, words):
    before = row_counts()
    with pytest.raises(ValidationError) as caught:
        book(acknowledged, coordinator, clinician, **change)
    assert field in caught.value.message_dict
    assert words in " ".join(caught.value.message_dict[field])
    assert row_counts() == before
    acknowledged.refresh_from_db()
    assert acknowledged.status == Status.ACKNOWLEDGED


@pytest.mark.parametrize("who", ["coordinator", "liaison", "inactive", None])
def test_only_an_active_clinician_or_director_is_booked(acknowledged, coordinator, liaison, who):
    person = {"coordinator": coordinator, "liaison": liaison, "inactive": ClinicianFactory(is_active=False)}.get(who)
    with pytest.raises(ValidationError) as caught:
        book(acknowledged, coordinator, person)
    assert caught.value.message_dict["clinician"] == ["Choose a clinician from the list."]
    assert not Booking.objects.exists()


def test_every_problem_is_named_at_once(acknowledged, coordinator):
    with pytest.raises(ValidationError) as caught:
        book(acknowledged, coordinator, None, start=local(1, 9), end=local(1, 8), place="")
    assert set(caught.value.message_dict) == {"starts_at", "ends_at", "clinician", "place"}


def test_a_clash_with_the_clinicians_other_booking_is_refused(acknowledged, coordinator, clinician, alice_referrer):
    first = book(acknowledged, coordinator, clinician)
    other = ReferralFactory(status=Status.RECEIVED, referrer=alice_referrer)
    before = row_counts()
    with pytest.raises(ValidationError) as caught:
        book(other, coordinator, clinician, start=local(4, 10, 30), end=local(4, 11, 30))
    message = caught.value.message_dict["starts_at"][0]
    assert "Cliff Clinician is already booked Wednesday, March 4, 2026, 10:00 AM to 11:00 AM" in message
    assert first.referral.reference in message
    assert row_counts() == before
    # Back to back is no clash; another clinician at the same time is none either.
    book(other, coordinator, clinician, start=local(4, 11), end=local(4, 12))


def test_another_clinician_at_the_same_time_is_no_clash(acknowledged, coordinator, clinician, director, alice_referrer):
    book(acknowledged, coordinator, clinician)
    other = ReferralFactory(status=Status.RECEIVED, referrer=alice_referrer)
    assert book(other, coordinator, director).clinician == director


def test_an_evaluation_cannot_be_booked_twice_or_from_a_status_without_the_step(acknowledged, coordinator, clinician):
    book(acknowledged, coordinator, clinician)
    acknowledged.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        book(acknowledged, coordinator, clinician, start=local(5, 10))
    assert "cannot be booked for a referral that is “Evaluation scheduled”" in caught.value.messages[0]
    assert Booking.objects.count() == 1


@pytest.mark.parametrize("role", ["liaison", "admin", "alice"])
def test_only_the_clinical_team_books(acknowledged, clinician, role, request):
    with pytest.raises(ValidationError, match="not part of your role"):
        book(acknowledged, request.getfixturevalue(role), clinician)
    assert not Booking.objects.exists()


def test_a_stale_page_is_refused_as_a_conflict(acknowledged, coordinator, clinician):
    with pytest.raises(referral_services.TransitionConflict):
        book(acknowledged, coordinator, clinician, expected_version=acknowledged.version - 1)
    assert not Booking.objects.exists()


def test_moving_a_booking_keeps_the_old_one_and_says_so_on_the_timeline(acknowledged, coordinator, clinician, director):
    first = book(acknowledged, coordinator, clinician)
    moved = bookings.booking_reschedule(
        booking=first, by=coordinator, clinician=director, starts_at=local(6, 14), ends_at=local(6, 15), place="Room 1"
    )
    first.refresh_from_db()
    assert first.status == BookingStatus.RESCHEDULED and first.starts_at == local(4, 10)
    assert moved.replaces == first and moved.status == BookingStatus.BOOKED and moved.clinician == director
    note = ReferralEvent.objects.filter(referral=acknowledged, kind=EventKind.NOTE).get()
    assert note.reason == (
        "Evaluation moved from Wednesday, March 4, 2026, 10:00 AM to Friday, March 6, 2026, 2:00 PM to 3:00 PM, "
        "with Dina Director, Room 1."
    )
    acknowledged.refresh_from_db()
    assert acknowledged.status == Status.EVAL_SCHEDULED
    with pytest.raises(ValidationError, match="only an open booking can change"):
        bookings.booking_reschedule(
            booking=first, by=coordinator, clinician=clinician, starts_at=local(9, 9), ends_at=local(9, 10), place="A"
        )


def test_moving_a_booking_into_its_own_slot_is_no_clash_but_into_anothers_is(acknowledged, coordinator, clinician):
    first = book(acknowledged, coordinator, clinician)
    moved = bookings.booking_reschedule(
        booking=first, by=coordinator, clinician=clinician, starts_at=local(4, 10, 30), ends_at=local(4, 11, 30),
        place="Room 2",
    )  # fmt: skip
    other = ReferralFactory(status=Status.RECEIVED)
    second = book(other, coordinator, clinician, start=local(4, 13), end=local(4, 14))
    before = row_counts()
    with pytest.raises(ValidationError) as caught:
        bookings.booking_reschedule(
            booking=second, by=coordinator, clinician=clinician, starts_at=local(4, 11), ends_at=local(4, 12),
            place="Room 2",
        )  # fmt: skip
    assert "already booked" in caught.value.message_dict["starts_at"][0]
    assert row_counts() == before
    assert Booking.objects.get(pk=second.pk).status == BookingStatus.BOOKED and moved.status == BookingStatus.BOOKED


def test_a_no_show_is_recorded_from_the_booking_and_takes_the_referrals_no_show_step(
    acknowledged, coordinator, clinician
):
    booking = book(acknowledged, coordinator, clinician)
    with pytest.raises(ValidationError, match="once its time has come"):
        bookings.booking_mark_no_show(booking=booking, by=coordinator)
    with time_machine.travel(local(4, 10, 20), tick=False):
        bookings.booking_mark_no_show(booking=booking, by=coordinator)
    booking.refresh_from_db()
    acknowledged.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW and booking.status_by == coordinator
    assert acknowledged.status == Status.NO_SHOW
    assert acknowledged.closed_reason == "Did not come to the evaluation booked for Wednesday, March 4, 2026, 10:00 AM."
    # From no-show the evaluation is booked again (the lifecycle's "Reschedule evaluation"), the missed one kept.
    with time_machine.travel(local(4, 12), tick=False):
        again = book(acknowledged, coordinator, clinician, start=local(11, 10))
    acknowledged.refresh_from_db()
    assert acknowledged.status == Status.EVAL_SCHEDULED
    assert list(Booking.objects.order_by("id").values_list("status", flat=True)) == ["no_show", "booked"]
    assert again.status == BookingStatus.BOOKED


def test_a_booking_that_has_been_settled_cannot_be_marked_again(acknowledged, coordinator, clinician):
    booking = book(acknowledged, coordinator, clinician)
    with time_machine.travel(local(4, 11), tick=False):
        bookings.booking_mark_attended(booking=booking, by=clinician)
        with pytest.raises(ValidationError, match="only an open booking"):
            bookings.booking_mark_no_show(booking=booking, by=coordinator)
    acknowledged.refresh_from_db()
    assert acknowledged.status == Status.EVAL_SCHEDULED  # the clinician records the evaluation as before


def test_the_referrals_own_steps_settle_its_open_bookings(acknowledged, coordinator, clinician, alice_referrer):
    booking = book(acknowledged, coordinator, clinician)
    acknowledged.refresh_from_db()
    referral_services.referral_transition(referral=acknowledged, to=Status.EVALUATED, by=clinician)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED
    other = ReferralFactory(status=Status.ACKNOWLEDGED, referrer=alice_referrer)
    second = book(other, coordinator, clinician, start=local(5, 10))
    other.refresh_from_db()
    referral_services.referral_transition(
        referral=other, to=Status.DECLINED_BY_PATIENT, by=coordinator, reason="Chose to stay with her psychiatrist."
    )
    second.refresh_from_db()
    assert second.status == BookingStatus.CANCELLED and second.status_reason == "Chose to stay with her psychiatrist."


def test_a_session_recorded_on_the_booked_day_is_that_booking_held(make_referral, coordinator, clinician):
    referral = make_referral(Status.ACCEPTED)
    booking = bookings.booking_session_book(
        referral=referral, by=coordinator, clinician=clinician, starts_at=local(5, 9), ends_at=local(5, 10),
        place="Infusion room",
    )  # fmt: skip
    assert ReferralEvent.objects.filter(
        referral=referral, kind=EventKind.NOTE, reason__startswith="Treatment session booked"
    ).exists()
    with time_machine.travel(local(5, 11), tick=False):
        data = services.SessionInput(kind="acute", held_on=datetime.date(2026, 3, 5), route="iv")
        session = services.session_record(referral=referral, by=clinician, data=data)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED and booking.session == session


def test_a_session_is_not_booked_before_the_referral_is_accepted(acknowledged, coordinator, clinician):
    with pytest.raises(ValidationError, match="treatment session cannot be booked"):
        bookings.booking_session_book(
            referral=acknowledged, by=coordinator, clinician=clinician, starts_at=local(5, 9), ends_at=local(5, 10),
            place="Infusion room",
        )  # fmt: skip


def test_the_acknowledgment_states_the_booked_date_and_never_that_we_will_call(acknowledged, coordinator, clinician):
    facts = letters.letter_context(acknowledged)
    _, before = letters.draft_words("acknowledgment", facts)
    assert "will call" in before and "booked" not in before
    book(acknowledged, coordinator, clinician)
    acknowledged.refresh_from_db()
    _, after = letters.draft_words("acknowledgment", letters.letter_context(acknowledged))
    assert "evaluation is booked for Wednesday, March 4, 2026 at 10:00 AM, with Cliff Clinician (Room 2)." in after
    assert "will call" not in after


def test_a_letter_drafted_without_the_booking_facts_still_renders(acknowledged):
    facts = letters.letter_context(acknowledged)
    facts.pop("evaluation")  # facts kept with letters drafted before bookings existed
    facts["eval_scheduled"] = True
    _, words = letters.draft_words("acknowledgment", facts)
    assert "has been arranged" in words and "will call" not in words


# ---------------------------------------------------------------- the booked time is the referral's own


def test_the_booked_time_is_when_the_next_action_is_due_and_a_move_follows_it(acknowledged, coordinator, clinician):
    booking = book(acknowledged, coordinator, clinician)
    acknowledged.refresh_from_db()
    assert acknowledged.next_action == "Hold the evaluation" and acknowledged.next_action_due_at == booking.starts_at
    moved = bookings.booking_reschedule(
        booking=booking, by=coordinator, clinician=clinician, starts_at=local(6, 11), ends_at=local(6, 12),
        place="Room 1",
    )  # fmt: skip
    acknowledged.refresh_from_db()
    assert acknowledged.next_action_due_at == moved.starts_at == local(6, 11)


def test_a_no_show_waits_for_the_booked_time(acknowledged, coordinator, clinician):
    booking = book(acknowledged, coordinator, clinician)
    acknowledged.refresh_from_db()
    with pytest.raises(referral_services.TransitionNotAllowed, match="once that time has come"):
        referral_services.referral_transition(referral=acknowledged, to=Status.NO_SHOW, by=coordinator, reason="x")
    acknowledged.refresh_from_db()
    assert acknowledged.status == Status.EVAL_SCHEDULED
    after = booking.starts_at + datetime.timedelta(minutes=30)
    moved = referral_services.referral_transition(
        referral=acknowledged, to=Status.NO_SHOW, by=coordinator, reason="Did not come.", at=after
    )
    assert moved.status == Status.NO_SHOW
