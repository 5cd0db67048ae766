"""Treatment updates follow the referrer's one shared-care model: set on the CRM relationship page (the
clinician's own agreement, or their practice's), applied from the moment it changes and never to what
happened before; the practice sets how often updates go out."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.care.choices import Route, SessionKind
from liaison.care.scoring import ScoreInput
from liaison.care.services import SessionInput, session_record
from liaison.care.tests.factories import evaluation_slot
from liaison.comms import services
from liaison.comms.models import ProtocolRule
from liaison.comms.tests.helpers import keys, referral_for, staff
from liaison.directory import services as directory_services
from liaison.directory.models import Referrer, SharedCareChange
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory
from liaison.referrals.services import referral_transition

NY = ZoneInfo("America/New_York")
START = datetime(2026, 3, 2, 10, 0, tzinfo=NY)


def _session(referral, clinician, phq9=15):
    data = SessionInput(kind=SessionKind.ACUTE, held_on=timezone.localdate(), route=Route.IV)
    return session_record(referral=referral, by=clinician, data=data, phq9=ScoreInput(total=phq9))


def _series(model, *, change_after=None, to=None, by=None):
    """Six acute sessions two days apart; after session `change_after` the referrer's model becomes `to`."""
    coordinator, clinician = staff()
    with time_machine.travel(START, tick=False) as clock_:
        referral = referral_for(model=model, coordinator=coordinator, clinician=clinician)
        evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
        for step, who in (("eval_scheduled", coordinator), ("evaluated", clinician), ("accepted", clinician)):
            referral = referral_transition(referral=referral, to=step, by=who)
        for n in range(1, 7):
            clock_.shift(timedelta(days=2))
            _session(referral, clinician)
            if n == change_after:
                clock_.shift(timedelta(hours=1))
                directory_services.referrer_shared_care_set(referrer=referral.referrer, model=to, by=by)
                services.communications_recompute(referral=referral)
                before = set(keys(referral))
        clock_.shift(timedelta(days=1))
        referral.refresh_from_db()
        referral_transition(referral=referral, to="acute_complete", by=clinician)
    return referral, (before if change_after else None)


def _updates(referral) -> list[str]:
    return sorted((k for k in keys(referral) if k.startswith("update:")), key=lambda k: int(k.split(":")[1]))


@pytest.mark.parametrize(
    ("model", "every", "expected"),
    [
        ("consultation", None, []),
        ("collaborative", None, ["update:2", "update:4"]),  # the sixth session is followed by the outcome summary
        ("integrated", None, ["update:2", "update:4"]),
        ("collaborative", 3, ["update:3"]),
        ("collaborative", 1, ["update:1", "update:2", "update:3", "update:4", "update:5"]),
    ],
)
def test_each_model_over_a_six_session_series(model, every, expected, protocol, liaison):
    if every:
        rule = ProtocolRule.objects.get(shared_care_model=model, trigger="acute_sessions")
        rule.every_n_sessions = every
        services.protocol_rule_save(rule=rule, by=liaison)
    referral, _ = _series(model)
    assert _updates(referral) == expected
    assert "outcome" in keys(referral)


def test_a_change_mid_series_makes_nothing_owed_for_the_sessions_before_it(protocol, liaison):
    referral, before = _series("consultation", change_after=3, to="collaborative", by=liaison)
    assert not [k for k in before if k.startswith("update:")]  # sessions 1-3 were under consultation
    assert _updates(referral) == ["update:5"]  # two sessions after the change (the sixth is the last)
    change = SharedCareChange.objects.get(referrer=referral.referrer)
    assert (change.previous, change.model, change.by_label) == ("consultation", "collaborative", liaison.username)


def test_a_change_away_keeps_what_was_owed_and_owes_no_more(protocol, liaison):
    referral, before = _series("integrated", change_after=3, to="consultation", by=liaison)
    assert _updates(referral) == ["update:2"]
    assert keys(referral)["update:2"].reason == "integrated: every 2 sessions"


def test_a_referrer_follows_their_practices_agreement_until_they_have_their_own(db, liaison):
    practice = PracticeFactory()
    follower, own = ReferrerFactory(practice=practice), ReferrerFactory(practice=practice)
    directory_services.referrer_shared_care_set(referrer=own, model="integrated", by=liaison)
    directory_services.practice_shared_care_set(practice=practice, model="collaborative", by=liaison)
    follower.refresh_from_db(), own.refresh_from_db()
    assert (follower.shared_care_model, follower.shared_care_own) == ("collaborative", False)
    assert follower.shared_care_changed_at is not None
    assert (own.shared_care_model, own.shared_care_own) == ("integrated", True)
    directory_services.referrer_shared_care_set(referrer=own, model="", by=liaison)  # none of their own now
    own.refresh_from_db()
    assert (own.shared_care_model, own.shared_care_own) == ("collaborative", False)


@pytest.mark.parametrize("service", ["referrer", "practice"])
def test_an_unknown_model_is_refused_by_name_and_nothing_changes(service, db, liaison):
    referrer = ReferrerFactory(practice=PracticeFactory(), shared_care_model="collaborative")
    with pytest.raises(ValidationError) as exc:
        if service == "referrer":
            directory_services.referrer_shared_care_set(referrer=referrer, model="weekly", by=liaison)
        else:
            directory_services.practice_shared_care_set(practice=referrer.practice, model="weekly", by=liaison)
    assert "shared_care_model" in exc.value.message_dict
    assert Referrer.objects.get(pk=referrer.pk).shared_care_model == "collaborative"
    assert not SharedCareChange.objects.exists()


@pytest.mark.parametrize("value", [0, 21, None])
def test_a_cadence_outside_one_to_twenty_is_refused_by_name(value, protocol, liaison):
    rule = ProtocolRule.objects.get(shared_care_model="collaborative", trigger="acute_sessions")
    rule.every_n_sessions = value
    with pytest.raises(ValidationError) as exc:
        services.protocol_rule_save(rule=rule, by=liaison)
    assert "every_n_sessions" in exc.value.message_dict
    assert ProtocolRule.objects.get(pk=rule.pk).every_n_sessions == 2


def test_the_admin_names_a_bad_cadence(protocol, client_for, admin):
    rule = ProtocolRule.objects.get(shared_care_model="collaborative", trigger="acute_sessions")
    form = {
        "trigger": rule.trigger,
        "shared_care_model": rule.shared_care_model,
        "letter_type": rule.letter_type,
        "recipient": rule.recipient,
        "owner_role": rule.owner_role,
        "deadline_kind": rule.deadline_kind,
        "deadline_hours": rule.deadline_hours,
        "every_n_sessions": "2.5",
        "active": "on",
    }
    page = client_for(admin).post(f"/admin/comms/protocolrule/{rule.pk}/change/", form)
    assert page.status_code == 200 and b"Enter a whole number" in page.content
    form["every_n_sessions"] = "3"
    assert client_for(admin).post(f"/admin/comms/protocolrule/{rule.pk}/change/", form).status_code == 302
    assert ProtocolRule.objects.get(pk=rule.pk).every_n_sessions == 3


def test_the_liaison_records_the_agreement_on_the_relationship_page(protocol, client_for, liaison):
    referrer = ReferrerFactory(practice=PracticeFactory())
    page = client_for(liaison).post(
        f"/crm/referrers/{referrer.pk}/",
        {"action": "update", "stage": "target", "shared_care_model": "collaborative"},
    )
    assert page.status_code == 302
    referrer.refresh_from_db()
    assert (referrer.shared_care_model, referrer.shared_care_own) == ("collaborative", True)
    shown = client_for(liaison).get(f"/crm/referrers/{referrer.pk}/").content.decode()
    assert "Collaborative management" in shown and "agreed with them" in shown
    bad = client_for(liaison).post(
        f"/crm/referrers/{referrer.pk}/", {"action": "update", "stage": "target", "shared_care_model": "weekly"}
    )
    assert bad.status_code == 400 and "weekly is not one of the available choices" in bad.content.decode()
    assert Referrer.objects.get(pk=referrer.pk).shared_care_model == "collaborative"


def test_a_practices_agreement_is_recorded_on_its_page(protocol, client_for, liaison):
    practice = PracticeFactory()
    referrer = ReferrerFactory(practice=practice)
    page = client_for(liaison).post(
        f"/crm/practices/{practice.pk}/", {"stage": "target", "shared_care_model": "integrated"}
    )
    assert page.status_code == 302
    referrer.refresh_from_db()
    assert (referrer.shared_care_model, referrer.shared_care_own) == ("integrated", False)


def test_the_owed_card_says_which_rule_made_each_letter_owed(protocol, client_for):
    referral, _ = _series("collaborative")
    coordinator = referral.assigned_coordinator
    card = client_for(coordinator).get(f"/comms/referrals/{referral.pk}/owed/", HTTP_HX_REQUEST="true")
    text = card.content.decode()
    assert card.status_code == 200
    assert "Owed by the rule “collaborative: every 2 sessions”" in text
    assert "Owed by the rule “acknowledgment: within 24 hours of receipt”" in text
    assert "Owed by the rule “outcome summary: within 1 week of completing the acute series”" in text


def test_a_clinician_imported_into_a_practice_starts_with_its_agreement(db, liaison):
    from liaison.crm import importer
    from liaison.directory.tests.factories import npi_from

    practice = PracticeFactory(name="Ortiz Psychiatry", zip_code="10011")
    directory_services.practice_shared_care_set(practice=practice, model="collaborative", by=liaison)
    header = "npi,first_name,last_name,credential,taxonomy_code,source_type,practice_name,zip_code,clinician_count\n"
    line = f"{npi_from('155500001')},Ana,Ortiz,MD,2084P0800X,psychiatry,Ortiz Psychiatry,10011,3\n"
    assert importer.targets_import(by=liaison, text=header + line) == 1
    ana = Referrer.objects.get(last_name="Ortiz")
    assert (ana.practice, ana.shared_care_model, ana.shared_care_own) == (practice, "collaborative", False)


def test_the_admin_cannot_change_the_model_behind_the_record_of_changes(db, client_for, admin):
    referrer = ReferrerFactory()
    page = client_for(admin).get(f"/admin/directory/referrer/{referrer.pk}/change/").content.decode()
    assert 'name="shared_care_model"' not in page and "Shared care model" in page


def test_letters_owed_before_the_rule_was_kept_get_it_from_the_migration(protocol):
    import importlib

    from django.apps import apps

    from liaison.comms.models import DueCommunication

    referral = referral_for(model="collaborative")
    DueCommunication.objects.filter(referral=referral).update(reason="")
    importlib.import_module("liaison.comms.migrations.0008_due_reason_backfill").backfill(apps, None)
    assert keys(referral)["ack"].reason == "acknowledgment: within 24 hours of receipt"
