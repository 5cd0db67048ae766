"""Letters: drafted from the record, escaped, strict about missing fields, signed and frozen, as PDF."""

import io
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from pypdf import PdfReader

from liaison.care.tests.factories import evaluation_slot
from liaison.comms import letters, services
from liaison.comms.models import DueCommunication, Letter, Outbox
from liaison.comms.tests.helpers import keys, referral_for, staff


@pytest.fixture
def ack(protocol, clinic):
    coordinator, clinician = staff()
    referral = referral_for(
        coordinator=coordinator, clinician=clinician, patient={"first_name": "<script>alert(1)</script>"}
    )
    return keys(referral)["ack"], coordinator, clinician


def test_draft_is_filled_from_the_record_and_escaped(ack):
    due, coordinator, _ = ack
    letter = services.letter_draft(due=due, by=coordinator)
    assert "<script>alert(1)</script>" in letter.body  # plain text, kept as written
    html = letters.render_html(letter)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Harbor Ketamine Clinic" in html and due.referral.reference in html
    assert DueCommunication.objects.get(pk=due.pk).status == "drafted"
    assert services.letter_draft(due=due, by=coordinator).pk == letter.pk  # a second click opens the same draft


def test_a_template_naming_a_missing_field_is_a_visible_problem(ack, tmp_path, settings):
    due, coordinator, _ = ack
    bad = "{% autoescape off %}Dear {{ referrer.name }}, the {{ referral.no_such_field }} is ready.{% endautoescape %}"
    with (
        mock.patch.object(letters, "draft_words", side_effect=lambda t, f: ("S", letters.render_strict_string(bad, f))),
        pytest.raises(ValidationError) as exc,
    ):
        services.letter_draft(due=due, by=coordinator)
    assert "referral.no_such_field" in str(exc.value)
    assert Letter.objects.count() == 0
    assert "referral.no_such_field" in DueCommunication.objects.get(pk=due.pk).problem


def test_approval_signs_freezes_and_writes_one_outbox_row(ack):
    due, coordinator, _ = ack
    letter = services.letter_draft(due=due, by=coordinator)
    outbox = services.letter_approve(letter=letter, by=coordinator)
    letter.refresh_from_db()
    assert letter.is_frozen and letter.signed_by == coordinator and letter.signature.endswith("Referral coordinator")
    assert Outbox.objects.filter(letter=letter).count() == 1 and outbox.channel == "email"
    assert outbox.message_id.startswith(f"<letter-{letter.pk}.")
    with pytest.raises(ValidationError):
        services.letter_edit(letter=letter, by=coordinator, subject="New", body="Changed words")
    with pytest.raises(ValidationError):
        services.letter_approve(letter=letter, by=coordinator)
    assert Outbox.objects.count() == 1


def test_the_database_refuses_to_change_a_signed_letter(ack):
    due, coordinator, _ = ack
    letter = services.letter_draft(due=due, by=coordinator)
    services.letter_approve(letter=letter, by=coordinator)
    with pytest.raises(DatabaseError), transaction.atomic():
        Letter.objects.filter(pk=letter.pk).update(body="rewritten behind the service's back")
    assert Letter.objects.get(pk=letter.pk).body != "rewritten behind the service's back"


def test_clinical_letters_need_a_clinician_and_no_gaps(protocol, clinic):
    coordinator, clinician = staff()
    referral = referral_for(coordinator=coordinator, clinician=clinician)
    from liaison.referrals.services import referral_transition

    evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
    for step, by in (("eval_scheduled", coordinator), ("evaluated", clinician)):
        referral = referral_transition(referral=referral, to=step, by=by)
    letter = services.letter_draft(due=keys(referral)["eval"], by=clinician)
    with pytest.raises(ValidationError) as exc:
        services.letter_approve(letter=letter, by=coordinator)
    assert "clinician signs" in str(exc.value) and "Fill in before signing" in str(exc.value)
    assert Outbox.objects.count() == 0
    body = letters.PLACEHOLDER_RE.sub("Done.", letter.body)
    services.letter_edit(letter=letter, by=clinician, subject=letter.subject, body=body)
    services.letter_approve(letter=letter, by=clinician)
    assert Outbox.objects.count() == 1


def test_edit_reports_every_problem_at_once(ack):
    due, coordinator, _ = ack
    letter = services.letter_draft(due=due, by=coordinator)
    with pytest.raises(ValidationError) as exc:
        services.letter_edit(letter=letter, by=coordinator, subject="", body="")
    assert set(exc.value.message_dict) == {"subject", "body"}


def test_pdf_contains_the_patient_the_scores_and_the_signature(protocol, clinic):
    from django.utils import timezone

    from liaison.care.choices import Route, SessionKind
    from liaison.care.scoring import ScoreInput
    from liaison.care.services import SessionInput, session_record
    from liaison.referrals.services import referral_transition

    coordinator, clinician = staff()
    clinician.first_name, clinician.last_name = "Nadia", "Okafor"
    clinician.save()
    referral = referral_for(
        model="integrated",
        coordinator=coordinator,
        clinician=clinician,
        patient={"first_name": "Morgan", "last_name": "Ellery"},
    )
    evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
    for step, by in (("eval_scheduled", coordinator), ("evaluated", clinician), ("accepted", clinician)):
        referral = referral_transition(referral=referral, to=step, by=by)
    for total in (22, 13):
        referral.refresh_from_db()
        data = SessionInput(kind=SessionKind.ACUTE, held_on=timezone.localdate(), route=Route.IV)
        session_record(referral=referral, by=clinician, data=data, phq9=ScoreInput(total=total))
    letter = services.letter_draft(due=keys(referral)["update:2"], by=clinician)
    body = letters.PLACEHOLDER_RE.sub("Going well.", letter.body)
    services.letter_edit(letter=letter, by=clinician, subject=letter.subject, body=body)
    services.letter_approve(letter=letter, by=clinician)
    letter.refresh_from_db()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(letters.render_pdf(letter))).pages)
    text = " ".join(text.split())
    assert "Morgan Ellery" in text
    assert "22 / 27" in text and "13 / 27" in text and "Partial response" in text
    assert "2 of 6 planned" in text
    assert "Signed: Nadia Okafor, Treating clinician" in text


def test_a_letter_no_longer_owed_is_neither_drafted_nor_signed(ack):
    due, coordinator, _ = ack
    letter = services.letter_draft(due=due, by=coordinator)
    DueCommunication.objects.filter(pk=due.pk).update(status="cancelled")  # the course changed: not owed now
    with pytest.raises(ValidationError, match="no longer owed"):
        services.letter_approve(letter=letter, by=coordinator)  # an acknowledgment: the coordinator may sign
    letter.refresh_from_db()
    assert letter.status == "draft" and not Outbox.objects.exists()

    other = DueCommunication.objects.create(
        referral=due.referral, key="other", rule=due.rule, letter_type=due.letter_type, status="cancelled",
        triggered_at=due.triggered_at, due_at=due.due_at, owner_role=due.owner_role,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="no longer owed"):
        services.letter_draft(due=other, by=coordinator)
    assert not Letter.objects.filter(due=other).exists()


def test_a_sessions_rule_needs_its_number_in_the_admin_and_in_the_database(client_for, admin):
    from django.db import IntegrityError

    from liaison.comms.models import ProtocolRule

    rule = ProtocolRule.objects.filter(trigger="acute_sessions").first()
    response = client_for(admin).post(f"/admin/comms/protocolrule/{rule.pk}/change/", {
        "trigger": rule.trigger, "shared_care_model": rule.shared_care_model, "letter_type": rule.letter_type,
        "recipient": rule.recipient, "owner_role": rule.owner_role, "deadline_kind": rule.deadline_kind,
        "deadline_hours": rule.deadline_hours, "every_n_sessions": "", "active": "on",
    })  # fmt: skip
    assert response.status_code == 200 and "after how many sessions" in response.content.decode()
    before = rule.every_n_sessions
    rule.refresh_from_db()
    assert rule.every_n_sessions == before
    with pytest.raises(IntegrityError), transaction.atomic():
        ProtocolRule.objects.filter(pk=rule.pk).update(every_n_sessions=None)
