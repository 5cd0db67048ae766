"""Safety found at intake (decision 0018): item 9 above 0 (given or implied by a total of 25 or more), current
suicidal ideation and a recent attempt raise the care safety alert on every intake path; the urgent review is a
clinician's to record; a merge keeps both referrals' findings; the safety-critical rules cannot be switched off."""

import json

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from liaison.accounts.tokens import api_token_create
from liaison.care.models import SafetyAlert
from liaison.core.models import AuditEvent
from liaison.referrals import review, screening
from liaison.referrals.intake_models import DuplicateFlag, SafetyReview, ScreeningResult, ScreeningRule
from liaison.referrals.intake_services import duplicate_resolve
from liaison.referrals.models import Referral, ReferralEvent
from liaison.referrals.services import referral_transition
from liaison.referrals.tests.factories import staff_form_post
from liaison.referrals.tests.test_intake_forms import form_data

API = "/api/v1/referrals"
SELF = {
    "patient-first_name": "Lee",
    "patient-last_name": "Self",
    "patient-date_of_birth": "1990-01-01",
    "patient-phone": "7185550102",
    "self-reason": "Nothing has helped for two years.",
    "self-prescriber_name": "Dr Rita Jones, Park Slope Family Medicine",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limit(db):
    cache.clear()


@pytest.fixture
def token_for(db):
    return lambda user: api_token_create(user=user, name="Test EHR")[1]


@pytest.fixture
def api_client():
    return lambda token: Client(headers={"Authorization": f"Bearer {token}"})


def open_alerts(referral: Referral) -> list[SafetyAlert]:
    return list(SafetyAlert.objects.filter(referral=referral, acknowledged_at__isnull=True))


# ---------------------------------------------------------------- every intake path, one table


def public(client, **phq9):
    fields = {f"referral-{k}": str(v) for k, v in phq9.items()}
    return client.post(reverse("intake:refer"), form_data(**fields))


def self_referral(client, **flags):
    return client.post(reverse("intake:self_refer"), {**SELF, **{f"self-{k}": "on" for k in flags}})


def staff(client, referrer, **phq9):
    fields = {
        "referral-phq9_item9": "",
        "referral-phq9_total": "",
        **{f"referral-{k}": str(v) for k, v in phq9.items()},
    }
    return client.post(reverse("referrals:new"), staff_form_post(referrer=referrer, **fields))


def api(client, **phq9):
    body = {
        "patient": {"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1982-06-01", "phone": "7185550111"},
        "diagnoses": [{"code": "F33.2"}],
        **phq9,
    }
    return client.post(API, json.dumps(body), content_type="application/json")


PHQ9_CASES = {
    # name: (what is sent, alerts?)
    "item 9 answered 2 with the total": ({"phq9_total": 12, "phq9_item9": 2}, True),
    "item 9 answered 0 with the total": ({"phq9_total": 12, "phq9_item9": 0}, False),
    "total 24, item 9 not asked": ({"phq9_total": 24, "phq9_item9": "not_asked"}, False),
    "total 25, item 9 not asked": ({"phq9_total": 25, "phq9_item9": "not_asked"}, True),
    "total 27, item 9 not asked": ({"phq9_total": 27, "phq9_item9": "not_asked"}, True),
    "all nine items, item 9 at 1": ({**{f"phq9_item_{i}": 1 for i in range(1, 10)}}, True),
    "half the items, item 9 at 3": ({**{f"phq9_item_{i}": 1 for i in range(1, 5)}, "phq9_item_9": 3}, True),
    "half the items, item 9 unanswered": ({**{f"phq9_item_{i}": 2 for i in range(1, 5)}}, False),
}


def _api_fields(sent: dict) -> dict:
    items = [sent.get(f"phq9_item_{i}") for i in range(1, 10)]
    out = {k: v for k, v in sent.items() if not k.startswith("phq9_item_")}
    if any(v is not None for v in items):
        out["phq9_items"] = items
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["public form", "staff form", "API"])
@pytest.mark.parametrize("case", PHQ9_CASES)
def test_every_intake_path_alerts_on_a_positive_or_implied_item9(
    path, case, anonymous_client, client_for, coordinator, alice, alice_referrer, api_client, token_for
):
    sent, alerts = PHQ9_CASES[case]
    if path == "public form":
        response = public(anonymous_client, **sent)
    elif path == "staff form":
        response = staff(client_for(coordinator), alice_referrer, **sent)
    else:
        response = api(api_client(token_for(alice)), **_api_fields(sent))
    assert response.status_code in (201, 302), response.content.decode()[:2000]
    referral = Referral.objects.latest("id")
    assert bool(open_alerts(referral)) is alerts
    assert (referral.urgency == "urgent") is alerts
    assert SafetyReview.objects.filter(referral=referral, decided_at__isnull=True).exists() is alerts
    if alerts:
        assert open_alerts(referral)[0].kind == "referral" and referral.reference in open_alerts(referral)[0].summary


@pytest.mark.django_db
def test_a_half_answered_referral_phq9_keeps_its_answers_and_has_no_total(anonymous_client):
    sent = {**{f"phq9_item_{i}": 1 for i in range(1, 5)}, "phq9_item_9": 3}
    assert public(anonymous_client, **sent).status_code == 302
    referral = Referral.objects.latest("id")
    assert referral.phq9_items == [1, 1, 1, 1, None, None, None, None, 3]
    assert referral.phq9_total is None and referral.phq9_score is None and not referral.phq9_complete


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("flag", "rule"), [("suicidal_ideation_current", "suicidal-ideation"), ("recent_attempt", "recent-attempt")]
)
def test_a_self_referral_with_ideation_or_a_recent_attempt_alerts(flag, rule, anonymous_client):
    assert self_referral(anonymous_client, **{flag: True}).status_code == 302
    referral = Referral.objects.latest("id")
    (alert,) = open_alerts(referral)
    assert alert.kind == "referral" and rule in [f["rule"] for f in referral.screening.findings]


@pytest.mark.django_db
def test_a_self_referral_without_safety_flags_raises_no_alert(anonymous_client):
    assert self_referral(anonymous_client).status_code == 302
    assert not open_alerts(Referral.objects.latest("id"))


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["staff form", "API"])
def test_ideation_and_an_attempt_on_staff_and_api_paths_alert(
    path, client_for, coordinator, alice, alice_referrer, api_client, token_for
):
    if path == "staff form":
        data = staff_form_post(
            referrer=alice_referrer,
            **{"referral-suicidal_ideation_current": "on", "referral-suicide_attempt_history": "recent"},
        )
        assert client_for(coordinator).post(reverse("referrals:new"), data).status_code == 302
    else:
        sent = {"suicidal_ideation_current": True, "suicide_attempt_history": "recent"}
        assert api(api_client(token_for(alice)), **sent).status_code == 201
    (alert,) = open_alerts(Referral.objects.latest("id"))
    assert "suicidal ideation" in alert.summary and "attempt" in alert.summary


@pytest.mark.django_db
def test_the_alert_is_on_the_open_alert_list_of_the_inbox(anonymous_client, client_for, clinician):
    assert public(anonymous_client, phq9_total=12, phq9_item9=2).status_code == 302
    referral = Referral.objects.latest("id")
    html = client_for(clinician).get(reverse("referrals:inbox")).content.decode()
    assert "Open safety alert" in html and referral.reference in html


# ---------------------------------------------------------------- bad input: named, nothing written

BAD_API = {
    "an item outside 0-3": ({"phq9_items": [0, 0, 4, 0, 0, 0, 0, 0, 0]}, "phq9_items"),
    "a total outside 0-27": ({"phq9_total": 28}, "phq9_total"),
    "item 9 outside 0-3": ({"phq9_total": 10, "phq9_item9": 5}, "phq9_item9"),
    "item 9 contradicting the items": ({"phq9_items": [1] * 9, "phq9_item9": 2}, "phq9_item9"),
    "a total contradicting the items": ({"phq9_items": [1] * 9, "phq9_total": 10}, "phq9_total"),
    "item 9 below what the total implies": ({"phq9_total": 26, "phq9_item9": 0}, "phq9_item9"),
    "a total with unanswered items": ({"phq9_items": [1] * 8 + [None], "phq9_total": 8}, "phq9_total"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_API)
def test_bad_phq9_through_the_api_is_named_and_writes_nothing(case, alice, api_client, token_for):
    sent, field = BAD_API[case]
    before = (Referral.objects.count(), SafetyAlert.objects.count())
    response = api(api_client(token_for(alice)), **sent)
    assert response.status_code == 422
    named = [key.removeprefix("referral.") for key in response.json()["errors"]]
    assert any(key == field or key.startswith(f"{field}.") for key in named), response.json()
    assert (Referral.objects.count(), SafetyAlert.objects.count()) == before


# ---------------------------------------------------------------- the clinician's review


@pytest.fixture
def urgent(anonymous_client):
    assert public(anonymous_client, phq9_total=12, phq9_item9=2).status_code == 302
    return Referral.objects.latest("id")


@pytest.mark.django_db
def test_a_coordinator_acknowledges_but_the_review_stays_owed(urgent, coordinator):
    assert urgent.next_action == review.URGENT_REVIEW_TEXT
    referral_transition(referral=urgent, to="acknowledged", by=coordinator)
    urgent.refresh_from_db()
    assert urgent.status == "acknowledged" and urgent.next_action == review.URGENT_REVIEW_TEXT
    assert urgent.next_action_role == "clinician" and SafetyReview.objects.get(referral=urgent).is_owed
    with pytest.raises(PermissionDenied):
        review.safety_review_record(referral=urgent, by=coordinator, decision="continue", note="Seen.")
    assert SafetyReview.objects.get(referral=urgent).is_owed


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["coordinator", "liaison", "admin"])
def test_only_a_clinician_or_the_director_records_the_review(role, urgent, request):
    with pytest.raises(PermissionDenied):
        review.safety_review_record(referral=urgent, by=request.getfixturevalue(role), decision="crisis", note="x")


@pytest.mark.django_db
def test_a_clinician_records_the_review_on_the_timeline_and_in_the_audit_trail(urgent, coordinator, clinician):
    referral_transition(referral=urgent, to="acknowledged", by=coordinator)
    urgent.refresh_from_db()
    done = review.safety_review_record(
        referral=urgent, by=clinician, decision="safety_plan", note="Called; C-SSRS low; safety plan confirmed."
    )
    assert (done.decision, done.decided_by, done.is_owed) == ("safety_plan", clinician, False)
    urgent.refresh_from_db()
    assert urgent.next_action == "Contact the patient and schedule the evaluation"
    event = ReferralEvent.objects.get(referral=urgent, kind="safety_review")
    assert event.actor == clinician and event.detail["decision"] == "safety_plan" and "C-SSRS" in event.reason
    assert AuditEvent.objects.filter(action="safety_review", object_id=str(urgent.pk)).exists()
    with pytest.raises(ValidationError) as again:
        review.safety_review_record(referral=urgent, by=clinician, decision="continue", note="Twice.")
    assert "already been recorded" in str(again.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("decision", "note", "fields"),
    [
        ("", "A note.", {"decision"}),
        ("maybe", "A note.", {"decision"}),
        ("continue", "  ", {"note"}),
        ("", "", {"decision", "note"}),
    ],
)
def test_a_review_without_a_decision_or_note_is_refused_by_field(decision, note, fields, urgent, director):
    before = ReferralEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        review.safety_review_record(referral=urgent, by=director, decision=decision, note=note)
    assert set(exc.value.message_dict) == fields
    assert SafetyReview.objects.get(referral=urgent).is_owed and ReferralEvent.objects.count() == before


@pytest.mark.django_db
def test_the_review_form_on_the_referral_page(urgent, client_for, coordinator, clinician):
    page = client_for(coordinator).get(reverse("referrals:detail", args=[urgent.pk])).content.decode()
    assert "Clinician's safety review" in page and "Only a clinician or the medical director" in page
    url = reverse("intake:safety_review", args=[urgent.pk])
    assert client_for(coordinator).post(url, {"decision": "continue", "note": "x"}).status_code == 403
    refused = client_for(clinician).post(url, {"decision": "", "note": "x"}, follow=True).content.decode()
    assert "decision: Choose what was decided" in refused and SafetyReview.objects.get().is_owed
    client_for(clinician).post(url, {"decision": "crisis", "note": "Sent to the ED with her partner."})
    page = client_for(coordinator).get(reverse("referrals:detail", args=[urgent.pk])).content.decode()
    assert "Sent to crisis or emergency care" in page and not SafetyReview.objects.get().is_owed


# ---------------------------------------------------------------- a merge keeps everything


@pytest.mark.django_db
def test_a_merge_keeps_both_referrals_findings_phq9_alerts_and_the_higher_urgency(
    client_for, coordinator, alice_referrer
):
    kept_data = staff_form_post(referrer=alice_referrer, **{"referral-urgency": "routine", "referral-phq9_item9": "0"})
    assert client_for(coordinator).post(reverse("referrals:new"), kept_data).status_code == 302
    kept = Referral.objects.latest("id")
    newer_data = staff_form_post(
        referrer=alice_referrer, **{"referral-phq9_total": "26", "referral-phq9_item9": "not_asked"}
    )
    assert client_for(coordinator).post(reverse("referrals:new"), newer_data).status_code == 302
    newer = Referral.objects.latest("id")
    flag = DuplicateFlag.objects.get(referral=newer, existing=kept)
    assert open_alerts(newer) and not open_alerts(kept)
    duplicate_resolve(flag=flag, by=coordinator, merge=True)
    kept.refresh_from_db()
    assert kept.urgency == "urgent" and kept.next_action == review.URGENT_REVIEW_TEXT
    assert [a.referral_id for a in SafetyAlert.objects.all()] == [kept.pk]
    findings = ScreeningResult.objects.get(referral=kept).findings
    assert any(f["rule"] == "phq9-item9" and f.get("from") == newer.reference for f in findings)
    assert any(f["rule"] == "merged-phq9" and f["phq9"]["phq9_total"] == 26 for f in findings)
    assert ScreeningResult.objects.get(referral=kept).safety == "urgent"
    assert SafetyReview.objects.get(referral=kept).is_owed
    assert ScreeningResult.objects.filter(referral=newer).exists()  # the merged one's own result is kept too


# ---------------------------------------------------------------- the safety-critical rules stay on


@pytest.mark.django_db
@pytest.mark.parametrize("key", screening.SAFETY_CRITICAL)
def test_a_data_change_cannot_turn_a_safety_critical_rule_off(key):
    for change in ({"enabled": False}, {"effect": "review"}, {"category": "completeness"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ScreeningRule.objects.filter(key=key).update(**change)
    ScreeningRule.objects.filter(key=key).update(message="Our own words for it.")
    assert screening.load_rules()[key].message == "Our own words for it."
    ScreeningRule.objects.filter(key=key).delete()  # the default takes its place, on
    rule = screening.load_rules()[key]
    assert rule.enabled and rule.effect == "urgent"


@pytest.mark.django_db
def test_the_admin_cannot_turn_a_safety_critical_rule_off(client_for, admin):
    client = client_for(admin)
    rule = ScreeningRule.objects.get(key="phq9-item9")
    change = reverse("admin:referrals_screeningrule_change", args=[rule.pk])
    page = client.get(change).content.decode()
    assert 'name="enabled"' not in page  # shown read-only
    client.post(change, {"title": rule.title, "message": "Edited words.", "number": "", "order": "0"})
    rule.refresh_from_db()
    assert rule.enabled and rule.message == "Edited words."
    rows = ScreeningRule.objects.order_by("category", "order", "key")
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": str(len(rows)), "_save": "Save"}
    for i, r in enumerate(rows):
        data |= {f"form-{i}-id": str(r.pk), f"form-{i}-number": r.number or ""}  # every "enabled" box unticked
    client.post(reverse("admin:referrals_screeningrule_changelist"), data)
    assert ScreeningRule.objects.filter(key__in=screening.SAFETY_CRITICAL, enabled=True).count() == 3
    delete = {"action": "delete_selected", "_selected_action": [r.pk for r in rows], "post": "yes"}
    client.post(reverse("admin:referrals_screeningrule_changelist"), delete)
    assert ScreeningRule.objects.filter(key__in=screening.SAFETY_CRITICAL).count() == 3
    assert (
        client.post(reverse("admin:referrals_screeningrule_delete", args=[rule.pk]), {"post": "yes"}).status_code == 403
    )


@pytest.mark.django_db
def test_comms_owes_the_safety_letter_for_an_alert_raised_at_intake(anonymous_client):
    from liaison.comms.models import DueCommunication
    from liaison.comms.seed import seed_protocol

    seed_protocol()
    assert public(anonymous_client, phq9_total=12, phq9_item9=2).status_code == 302
    referral = Referral.objects.latest("id")
    (alert,) = open_alerts(referral)
    owed = DueCommunication.objects.get(referral=referral, letter_type="safety_alert")
    assert owed.key == f"alert:{alert.pk}"
