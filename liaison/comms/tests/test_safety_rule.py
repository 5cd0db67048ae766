"""The safety letter's rule keeps its effect: an administrator rewords it, nothing more (decision 0021). A rule
change never moves the due time of a letter already owed, and its audit row names every changed field."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from liaison.comms import services
from liaison.comms.models import SAFETY_RULE_EFFECT, DueCommunication, ProtocolRule
from liaison.core.models import AuditEvent
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

# Each field with a value an administrator might try (the tester's "thank-you letter a year later").
TRIED = {
    "letter_type": "first_referral_thanks",
    "owner_role": "coordinator",
    "deadline_kind": "hours",
    "deadline_hours": 8760,
    "every_n_sessions": 3,
    "business_hours": True,
    "active": False,
}


def _safety_rule(model="collaborative") -> ProtocolRule:
    return ProtocolRule.objects.get(trigger="safety", shared_care_model=model)


def _effect(rule) -> dict:
    rule.refresh_from_db()
    return {f: getattr(rule, f) for f in ("trigger", "shared_care_model", *SAFETY_RULE_EFFECT)}


def _urgent_referral():
    """A referral whose intake found current suicidal ideation: a safety alert, so a safety letter is owed."""
    referral = receive_referral(referral=ReferralDataFactory(suicidal_ideation_current=True, phq9_item9=2))
    services.communications_recompute(referral=referral)
    return referral


def test_the_admin_change_form_changes_the_wording_and_nothing_else(protocol, client_for, admin):
    rule = _safety_rule()
    before = _effect(rule)
    url = reverse("admin:comms_protocolrule_change", args=[rule.pk])
    page = client_for(admin).get(url).content.decode()
    for name in [*TRIED, "trigger", "shared_care_model"]:
        assert f'name="{name}"' not in page, name
    assert 'name="recipient"' in page
    form = {
        **{k: ("on" if v is True else v) for k, v in TRIED.items() if v is not False},
        "trigger": "first_referral",
        "shared_care_model": "consultation",
        "recipient": "The referring clinician, by telephone first",
    }
    assert client_for(admin).post(url, form).status_code == 302
    assert _effect(rule) == before
    assert rule.recipient == "The referring clinician, by telephone first"


def test_the_rules_list_cannot_change_the_safety_letter(protocol, client_for, admin):
    rows = list(ProtocolRule.objects.order_by("shared_care_model", "id"))
    effects = {r.pk: _effect(r) for r in rows if r.is_safety}
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": str(len(rows)), "_save": "Save"}
    for i, r in enumerate(rows):
        data |= {
            f"form-{i}-id": str(r.pk),
            f"form-{i}-deadline_hours": "8760",
            f"form-{i}-every_n_sessions": "3" if r.trigger in ("acute_sessions", "safety") else "",
            f"form-{i}-business_hours": "on",
        }
    client_for(admin).post(reverse("admin:comms_protocolrule_changelist"), data)
    assert {pk: _effect(ProtocolRule(pk=pk)) for pk in effects} == effects
    assert ProtocolRule.objects.get(trigger="received", shared_care_model="collaborative").deadline_hours == 8760


@pytest.mark.parametrize("field", sorted(TRIED))
def test_the_service_refuses_each_field_by_name_and_writes_nothing(field, protocol, admin):
    rule = _safety_rule()
    before, audit_rows = _effect(rule), AuditEvent.objects.count()
    setattr(rule, field, TRIED[field])
    with pytest.raises(ValidationError) as exc:
        services.protocol_rule_save(rule=rule, by=admin)
    assert list(exc.value.message_dict) == [field]
    assert "only its wording" in exc.value.message_dict[field][0]
    assert _effect(rule) == before and AuditEvent.objects.count() == audit_rows


@pytest.mark.parametrize("field", ["trigger", "shared_care_model"])
def test_the_service_will_not_move_the_safety_rule_away(field, protocol, admin):
    rule = _safety_rule()
    ProtocolRule.objects.filter(trigger="first_referral", shared_care_model="collaborative").delete()
    setattr(rule, field, {"trigger": "first_referral", "shared_care_model": "consultation"}[field])
    with pytest.raises(ValidationError) as exc:
        services.protocol_rule_save(rule=rule, by=admin)
    assert field in exc.value.message_dict
    assert _safety_rule().pk == rule.pk


@pytest.mark.parametrize("field", sorted(TRIED))
def test_the_database_refuses_each_field(field, protocol):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProtocolRule.objects.filter(trigger="safety").update(**{field: TRIED[field]})


def test_the_model_check_names_the_field(protocol):
    rule = _safety_rule()
    rule.deadline_kind, rule.deadline_hours = "hours", 8760
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert set(exc.value.message_dict) == {"deadline_kind", "deadline_hours"}


def test_a_rule_change_keeps_the_due_time_of_letters_already_owed(protocol, admin):
    referral = _urgent_referral()
    ack = DueCommunication.objects.get(referral=referral, key="ack")
    rule = ProtocolRule.objects.get(pk=ack.rule_id)
    rule.deadline_hours += 24 * 365
    services.protocol_rule_save(rule=rule, by=admin)
    services.communications_recompute(referral=referral)
    assert DueCommunication.objects.get(pk=ack.pk).due_at == ack.due_at
    rule.deadline_hours -= 24 * 365  # and putting it back changes nothing either
    services.protocol_rule_save(rule=rule, by=admin)
    services.communications_recompute(referral=referral)
    assert DueCommunication.objects.get(pk=ack.pk).due_at == ack.due_at


def test_rewording_the_safety_rule_leaves_the_owed_safety_letter_due_at_once(protocol, admin):
    referral = _urgent_referral()
    owed = DueCommunication.objects.get(referral=referral, letter_type="safety_alert", status="owed")
    rule = _safety_rule(referral.referrer.shared_care_model)
    rule.recipient = "The referring clinician, by telephone first"
    services.protocol_rule_save(rule=rule, by=admin)
    services.communications_recompute(referral=referral, at=owed.triggered_at + timedelta(days=2))
    after = DueCommunication.objects.get(pk=owed.pk)
    assert (after.due_at, after.letter_type) == (owed.due_at, "safety_alert")
    assert after.due_at == after.triggered_at


def test_the_audit_row_names_every_changed_field(protocol, admin):
    rule = ProtocolRule.objects.get(trigger="received", shared_care_model="collaborative")
    rule.deadline_hours, rule.owner_role, rule.business_hours, rule.recipient = 72, "clinician", True, "The GP"
    services.protocol_rule_save(rule=rule, by=admin)
    row = AuditEvent.objects.filter(action="comms_protocol_rule_save").latest("id")
    assert row.detail["changed"] == {
        "deadline_hours": {"before": 24, "after": 72},
        "owner_role": {"before": "coordinator", "after": "clinician"},
        "business_hours": {"before": False, "after": True},
        "recipient": {"before": "Referring clinician", "after": "The GP"},
    }


def test_the_migration_puts_back_a_safety_letter_the_changed_rule_had_bent(protocol):
    from importlib import import_module

    from django.apps import apps

    referral = _urgent_referral()
    owed = DueCommunication.objects.get(referral=referral, letter_type="safety_alert", status="owed")
    ack = DueCommunication.objects.get(referral=referral, key="ack")
    bent = owed.due_at + timedelta(hours=8760)
    DueCommunication.objects.filter(pk=owed.pk).update(
        letter_type="first_referral_thanks", owner_role="coordinator", due_at=bent
    )
    import_module("liaison.comms.migrations.0010_safety_letters_owed_put_back").safety_letters_back(apps, None)
    owed.refresh_from_db()
    assert (owed.letter_type, owed.owner_role, owed.due_at) == ("safety_alert", "clinician", owed.triggered_at)
    assert DueCommunication.objects.get(pk=ack.pk).due_at == ack.due_at  # other letters untouched
