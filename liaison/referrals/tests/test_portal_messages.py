"""The portal that talks both ways (decision 0039): a referrer answers on the referral's portal page (a message, PDF
files, the missing history in the referral form's fields), the reply lands on the referral's timeline and as its
coordinator's next action; the practice writes back from the referral page; who may do which."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from liaison.care.models import SafetyAlert
from liaison.core.models import AuditEvent
from liaison.referrals import messages, services
from liaison.referrals.choices import EventKind, MessageDirection
from liaison.referrals.intake_models import Attachment, SafetyReview
from liaison.referrals.models import Diagnosis, MedicationTrial, Referral, ReferralEvent, ReferralMessage
from liaison.referrals.tests import pdfs
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

pytestmark = pytest.mark.django_db
PDF = pdfs.plain()


@pytest.fixture
def referral(alice, alice_referrer, coordinator, clinician):
    made = receive_referral(by=alice, referral=ReferralDataFactory(referrer=alice_referrer), diagnoses=[], trials=[])
    services.referral_assign(referral=made, by=coordinator, coordinator=coordinator, clinician=clinician)
    return Referral.objects.get(pk=made.pk)


def url(referral):
    return reverse("intake:portal_detail", args=[referral.pk])


def reply(**over) -> dict:
    data = {
        "reply-body": "",
        "diagnoses-TOTAL_FORMS": "1",
        "diagnoses-INITIAL_FORMS": "0",
        "diagnoses-0-code": "",
        "trials-TOTAL_FORMS": "1",
        "trials-INITIAL_FORMS": "0",
        "trials-0-drug": "",
        "trials-0-response": "none",
        "trials-0-reason_stopped": "inefficacy",
        "history-psychotherapy_ongoing": "unknown",
    }
    return data | over


def written():
    return (
        ReferralMessage.objects.count(),
        Attachment.objects.count(),
        ReferralEvent.objects.filter(kind=EventKind.REPLY).count(),
        Diagnosis.objects.count(),
        MedicationTrial.objects.count(),
    )


def pdf(name="notes.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# ---------------------------------------------------------------- the referrer's reply


def test_a_reply_with_a_pdf_and_history_lands_on_the_referral_and_the_coordinators_inbox(
    referral, alice, coordinator, client_for
):
    data = reply(**{
        "reply-body": "Trials and the PHQ-9 you asked for.", "files-files": [pdf("trials.pdf")],
        "diagnoses-0-code": "F33.2", "trials-0-drug": "sertraline", "trials-0-daily_dose_mg": "150",
        "trials-0-weeks_at_dose": "8", "history-episode_months": "20", "history-phq9_total": "18",
        "history-phq9_item9": "0", "history-phq9_date": "2026-11-01",
    })  # fmt: skip
    response = client_for(alice).post(url(referral), data)
    assert response.status_code == 302

    message = ReferralMessage.objects.get(referral=referral)
    assert message.direction == MessageDirection.FROM_REFERRER and message.author == alice and message.read_at is None
    assert message.attachments.get().filename == "trials.pdf"
    referral.refresh_from_db()
    assert (referral.episode_months, referral.phq9_total, referral.phq9_item9) == (20, 18, 0)
    assert referral.trials.get().drug == "sertraline" and referral.diagnoses.get().code == "F33.2"
    assert "Medication trial: sertraline 150 mg/day for 8 weeks" in message.added
    assert referral.next_action == messages.REPLY_NEXT_ACTION and referral.next_action_owner == coordinator
    assert referral.screening.missing_count < 3  # screened again with what was added
    event = ReferralEvent.objects.get(referral=referral, kind=EventKind.REPLY)
    assert event.reason == "Trials and the PHQ-9 you asked for." and event.actor == alice

    staff = client_for(coordinator)
    page = staff.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Reply from referrer" in page and "trials.pdf" in page and "Reply from the referrer" in page
    inbox = staff.get(reverse("referrals:inbox") + "?owner=me").content.decode()
    assert referral.reference in inbox and messages.REPLY_NEXT_ACTION.replace("'", "&#x27;") in inbox


def test_the_referrer_sees_their_reply_and_the_portal_shows_no_internal_notes(referral, alice, coordinator, client_for):
    services.referral_add_note(referral=referral, by=coordinator, text="Internal: call the referrer back.")
    messages.reply_receive(referral=referral, by=alice, body="Here is the history.")
    page = client_for(alice).get(url(referral)).content.decode()
    assert "Here is the history." in page and "Your reply" in page and "not read yet" in page
    assert "Internal" not in page


def test_a_file_that_is_not_a_pdf_is_refused_on_its_field_and_nothing_is_written(referral, alice, client_for):
    before = written()
    data = reply(**{"reply-body": "See attached", "files-files": [pdf("scan.pdf", b"MZ not a pdf")]})
    response = client_for(alice).post(url(referral), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "“scan.pdf” is not a PDF" in page and "Your reply was not sent yet" in page
    assert written() == before


def test_a_file_over_the_limit_is_refused(referral, alice, client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024
    before = written()
    big = pdf("big.pdf", PDF + b"0" * (10 * 1024 * 1024))
    response = client_for(alice).post(url(referral), reply(**{"files-files": [big]}))
    assert response.status_code == 400 and "larger than 10 MB" in response.content.decode()
    assert written() == before


def test_an_empty_reply_is_refused(referral, alice, client_for):
    before = written()
    response = client_for(alice).post(url(referral), reply())
    assert response.status_code == 400 and messages.NOTHING in response.content.decode()
    assert written() == before


def test_history_is_checked_as_the_referral_form_checks_it(referral, alice, client_for):
    before = written()
    items = {f"history-phq9_item_{i}": "1" for i in range(1, 10)}
    for data, problem in (
        (reply(**{"history-phq9_total": "20", **items}), "does not match the items, which add up to 9"),
        (reply(**{"trials-0-drug": "sertraline", "trials-0-weeks_at_dose": "900"}), "less than or equal to 520"),
        (reply(**{"history-phq9_total": "12"}), "With a total alone, give item 9"),
    ):
        response = client_for(alice).post(url(referral), data)
        assert response.status_code == 400 and problem in response.content.decode()
    assert written() == before


def test_the_service_names_each_field_at_fault(referral, alice):
    with pytest.raises(messages.ValidationError) as caught:
        messages.reply_receive(
            referral=referral, by=alice, diagnoses=[{"code": "depression"}],
            trials=[{"drug": "x", "weeks_at_dose": 900}], body="x" * 5001,
            attachments=[{"filename": "a.pdf", "content": b"nope"}],
        )  # fmt: skip
    assert set(caught.value.message_dict) == {
        "body", "diagnoses.0.code", "trials.0.weeks_at_dose", "attachments.0", "history.confirm_unusual"
    }  # fmt: skip


def test_an_active_pdf_is_cleaned_and_the_timeline_says_what_went(referral, alice):
    messages.reply_receive(
        referral=referral, by=alice, attachments=[{"filename": "js.pdf", "content": pdfs.with_active("open-action")}]
    )
    stored = Attachment.objects.get(referral=referral)
    assert b"/JavaScript" not in bytes(Attachment.objects.filter(pk=stored.pk).values_list("content", flat=True)[0])
    assert ReferralEvent.objects.filter(referral=referral, kind=EventKind.NOTE, reason__contains="JavaScript").exists()


def test_a_closed_referral_takes_no_reply(referral, alice, coordinator):
    services.referral_transition(referral=referral, to="cancelled", by=coordinator, reason="Patient moved away.")
    with pytest.raises(messages.ValidationError) as caught:
        messages.reply_receive(referral=referral, by=alice, body="One more thing")
    assert caught.value.message_dict == {"body": [messages.CLOSED]}


def test_an_item_9_answer_in_a_reply_alerts_a_clinician_and_owes_the_safety_review(referral, alice, clinician):
    messages.reply_receive(referral=referral, by=alice, history={"phq9_total": 22, "phq9_item9": 2})
    referral.refresh_from_db()
    assert SafetyAlert.objects.filter(referral=referral).exists()
    assert SafetyReview.objects.filter(referral=referral, decided_at__isnull=True).exists()
    assert referral.urgency == "urgent" and referral.next_action_owner == clinician  # the review stays first


# ---------------------------------------------------------------- the practice's side


def test_reading_the_reply_puts_back_the_next_action_with_its_own_due_time(referral, alice, coordinator, client_for):
    due_before = referral.next_action_due_at
    messages.reply_receive(referral=referral, by=alice, body="Call me about the dose.")
    response = client_for(coordinator).post(reverse("intake:replies_read", args=[referral.pk]))
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (
        referral.next_action == "Acknowledge the referral to the referrer" and referral.next_action_due_at == due_before
    )
    message = ReferralMessage.objects.get(referral=referral)
    assert message.read_by == coordinator and message.read_at is not None


def test_a_step_on_the_lifecycle_replaces_the_reply_as_next_action(referral, alice, coordinator):
    messages.reply_receive(referral=referral, by=alice, body="More history attached.")
    services.referral_transition(referral=referral, to="acknowledged", by=coordinator)
    referral.refresh_from_db()
    assert referral.next_action == "Contact the patient and schedule the evaluation"


def test_the_practice_writes_back_and_the_referrer_reads_it_in_the_portal(referral, alice, coordinator, client_for):
    messages.reply_receive(referral=referral, by=alice, body="Is anything else needed?")
    staff = client_for(coordinator)
    response = staff.post(reverse("intake:message", args=[referral.pk]), {"message-body": "Nothing more, thank you."})
    assert response.status_code == 302
    sent = ReferralMessage.objects.get(direction=MessageDirection.TO_REFERRER)
    assert sent.body == "Nothing more, thank you." and sent.read_at is None
    assert ReferralMessage.objects.get(direction=MessageDirection.FROM_REFERRER).read_by == coordinator  # answered
    page = client_for(alice).get(url(referral)).content.decode()
    assert "Nothing more, thank you." in page and "A message from the practice" in page
    sent.refresh_from_db()
    assert sent.read_by == alice  # the staff panel says when it was read
    assert "read in the portal" in staff.get(reverse("referrals:detail", args=[referral.pk])).content.decode()


def test_an_empty_message_is_refused_and_nothing_is_sent(referral, coordinator, client_for):
    response = client_for(coordinator).post(
        reverse("intake:message", args=[referral.pk]), {"message-body": " "}, follow=True
    )
    assert "Message to the referrer: Write the message before sending it." in response.content.decode()
    assert not ReferralMessage.objects.exists()


def test_a_referrer_without_a_portal_account_is_flagged_on_the_panel(coordinator, client_for, colleagues_referral):
    page = client_for(coordinator).get(reverse("referrals:detail", args=[colleagues_referral.pk])).content.decode()
    assert "has no portal account" in page


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("who", ["bob", "coordinator", "liaison", "admin", "anonymous"])
def test_nobody_else_reads_or_answers_alices_referral_in_the_portal(who, request, referral, alice, client_for):
    messages.reply_receive(referral=referral, by=alice, body="Private words")
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_for(user)
    expected = {"bob": 404, "anonymous": 302}.get(who, 403)
    got = client.get(url(referral))
    assert got.status_code == expected and b"Private words" not in got.content
    before = written()
    assert client.post(url(referral), reply(**{"reply-body": "Hi"})).status_code == expected
    assert written() == before


def test_a_practice_administrator_reads_and_answers_the_practices_referral(referral, practice_admin, client_for):
    client = client_for(practice_admin)
    assert client.get(url(referral)).status_code == 200
    assert client.post(url(referral), reply(**{"reply-body": "From the office manager"})).status_code == 302
    assert ReferralMessage.objects.get().author == practice_admin


@pytest.mark.parametrize("who", ["alice", "bob", "liaison", "admin", "anonymous"])
def test_only_the_clinical_team_writes_to_the_referrer_or_marks_replies_read(who, request, referral, client_for):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_for(user)
    for name in ("intake:message", "intake:replies_read"):
        response = client.post(reverse(name, args=[referral.pk]), {"message-body": "Hello"})
        assert response.status_code in (302, 403) and (user is not None or "login" in response["Location"])
        assert response.status_code == 403 or user is None
    assert not ReferralMessage.objects.exists()


def test_every_look_and_every_reply_is_on_the_audit_trail(referral, alice, coordinator, client_for):
    client_for(alice).post(url(referral), reply(**{"reply-body": "Audited"}))
    client_for(alice).get(url(referral))
    client_for(coordinator).get(reverse("referrals:detail", args=[referral.pk]))
    rows = AuditEvent.objects.filter(patient_id=referral.patient_id)
    assert rows.filter(actor=alice, action="reply").exists() and rows.filter(actor=alice, action="view").exists()
    staff_view = rows.filter(actor=coordinator, action="view").latest("id")
    assert "referrals.referralmessage" in staff_view.detail  # the thread, in the page's own row


# ---------------------------------------------------------------- flat pages


def _queries(client, address) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured.captured_queries)


def test_the_portal_and_staff_pages_cost_the_same_for_1_or_8_messages_with_files(
    referral, alice, coordinator, client_for
):
    def talk(n):
        for i in range(n):
            messages.reply_receive(
                referral=referral, by=alice, body=f"Reply {i}", attachments=[{"filename": f"{i}.pdf", "content": PDF}]
            )
            messages.message_send(referral=referral, by=coordinator, body=f"Answer {i}")

    portal, staff = client_for(alice), client_for(coordinator)
    staff_url = reverse("referrals:detail", args=[referral.pk])
    talk(1)
    few = _queries(portal, url(referral)), _queries(staff, staff_url)
    talk(7)
    assert (_queries(portal, url(referral)), _queries(staff, staff_url)) == few


def test_a_reply_meets_the_referral_forms_rule_for_doses_and_weeks(referral, alice):
    """Sertraline 5,000 mg a day cannot be right and is refused even when confirmed; 300 mg is unusual and is refused
    until the referrer ticks that it is right, as on the referral form. Nothing is written until then."""
    impossible = {"drug": "sertraline", "daily_dose_mg": Decimal("5000"), "weeks_at_dose": 8, "response": "none"}
    unusual = {**impossible, "daily_dose_mg": Decimal("350")}
    with pytest.raises(messages.ValidationError) as caught:
        messages.reply_receive(referral=referral, by=alice, trials=[impossible], history={"confirm_unusual": True})
    assert "trials.0.daily_dose_mg" in caught.value.message_dict
    with pytest.raises(messages.ValidationError) as caught:
        messages.reply_receive(referral=referral, by=alice, trials=[unusual])
    assert set(caught.value.message_dict) == {"trials.0.daily_dose_mg", "history.confirm_unusual"}
    assert not referral.trials.exists() and not referral.messages.exists()
    messages.reply_receive(referral=referral, by=alice, trials=[unusual], history={"confirm_unusual": True})
    assert referral.trials.get().daily_dose_mg == Decimal("350")


def test_the_page_draws_the_history_fields_only_when_asked(referral, alice, client_for):
    """The short reply (a message and PDFs) is on the page; the referral form's fields come with ?reply=history."""
    client = client_for(alice)
    page = client.get(url(referral)).content.decode()
    assert 'name="reply-body"' in page and 'name="files-files"' in page
    assert 'name="trials-0-drug"' not in page and "icd10-options" not in page
    assert "?reply=history#reply-h" in page
    full = client.get(url(referral) + "?reply=history").content.decode()
    assert 'name="trials-0-drug"' in full and "icd10-options" in full


def test_the_short_reply_sends_a_message_and_a_pdf(referral, alice, client_for):
    data = {"reply-body": "The letter from the pharmacy.", "files-files": [pdf("pharmacy.pdf")],
            "diagnoses-TOTAL_FORMS": "0", "diagnoses-INITIAL_FORMS": "0",
            "trials-TOTAL_FORMS": "0", "trials-INITIAL_FORMS": "0"}  # fmt: skip
    before = written()
    assert client_for(alice).post(url(referral), data).status_code == 302
    assert written() == (before[0] + 1, before[1] + 1, before[2] + 1, before[3], before[4])
