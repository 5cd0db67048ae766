"""The audit trail: every look at and change to patient data leaves a row (who, what, which record,
which patient, from where), rows can be neither changed nor removed, and the administrator's page
finds them. Referral events are append-only the same way."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse

from liaison.core.audit import audit_log, current_request
from liaison.core.models import AuditEvent
from liaison.referrals import services
from liaison.referrals.choices import Status
from liaison.referrals.models import ReferralEvent
from liaison.referrals.tests.factories import receive_referral, staff_form_post

pytestmark = pytest.mark.django_db

AUDIT = reverse("core:audit")


def rows(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters))


# ---------------------------------------------------------------- what is written


def test_viewing_a_referral_is_audited(client_for, coordinator, alices_referral):
    url = reverse("referrals:detail", args=[alices_referral.pk])
    client_for(coordinator).get(url)
    (row,) = rows(action="view", object_type="referrals.referral")
    assert (row.actor, row.actor_label) == (coordinator, "cora")
    assert (row.object_type, row.object_id) == ("referrals.referral", str(alices_referral.pk))
    assert row.patient_id == alices_referral.patient_id
    assert (row.ip_address, row.path) == ("127.0.0.1", url)
    assert row.at is not None


def test_a_referrer_viewing_their_own_referral_is_audited_too(client_for, alice, alices_referral):
    client_for(alice).get(reverse("intake:portal_detail", args=[alices_referral.pk]))
    viewed = rows(action="view", object_type="referrals.referral")
    assert [(r.actor, r.object_id) for r in viewed] == [(alice, str(alices_referral.pk))]


def test_a_refused_look_leaves_no_view_row(client_for, bob, alices_referral):
    assert client_for(bob).get(reverse("intake:portal_detail", args=[alices_referral.pk])).status_code == 404
    assert rows(action="view") == []
    (denied,) = rows(action="access_denied")
    assert (denied.actor, denied.object_type, denied.object_id) == (bob, "referrals.referral", str(alices_referral.pk))
    assert denied.patient_id == alices_referral.patient_id and denied.detail == {"status": 404}


def test_a_referral_that_does_not_exist_leaves_no_denied_row(client_for, bob, alices_referral):
    assert client_for(bob).get(reverse("intake:portal_detail", args=[alices_referral.pk + 99])).status_code == 404
    assert rows(action="access_denied") == []


def test_a_staff_page_refused_to_a_referrer_is_on_the_trail(client_for, alice, alices_referral):
    response = client_for(alice).get(reverse("referrals:detail", args=[alices_referral.pk]))
    assert response.status_code == 403 and b"not part of your role" in response.content
    (denied,) = rows(action="access_denied")
    assert (denied.actor, denied.object_type) == (alice, "url:referrals:detail")
    assert denied.detail["status"] == 403 and denied.detail["url_kwargs"] == {"pk": str(alices_referral.pk)}
    assert denied.path == reverse("referrals:detail", args=[alices_referral.pk])


def test_listing_the_inbox_records_which_referrals_were_shown(client_for, coordinator, alices_referral, bobs_referral):
    client_for(coordinator).get(reverse("referrals:inbox"), {"status": "all"})
    (row,) = rows(action="list")
    assert (row.actor, row.object_type, row.ip_address) == (coordinator, "referrals.referral", "127.0.0.1")
    assert sorted(row.detail["referrals"]) == sorted([alices_referral.pk, bobs_referral.pk])
    assert row.detail["filters"] == {"status": "all"}


def test_creating_a_referral_through_the_staff_form_is_audited(client_for, coordinator, alice_referrer):
    client_for(coordinator).post(reverse("referrals:new"), staff_form_post(referrer=alice_referrer))
    (row,) = rows(action="create")
    referral = alice_referrer.referrals.get()
    assert (row.actor, row.object_id, row.patient_id) == (coordinator, str(referral.pk), referral.patient_id)
    assert (row.ip_address, row.path) == ("127.0.0.1", reverse("referrals:new"))


def test_a_move_through_the_page_is_audited(client_for, coordinator, alices_referral):
    url = reverse("referrals:transition", args=[alices_referral.pk])
    client_for(coordinator).post(url, {"to": Status.ACKNOWLEDGED, "version": 1}, REMOTE_ADDR="10.1.2.3")
    (row,) = rows(action="transition")
    assert (row.actor, row.object_id, row.patient_id) == (
        coordinator,
        str(alices_referral.pk),
        alices_referral.patient_id,
    )
    assert row.detail == {"from": "received", "to": "acknowledged"}
    assert (row.ip_address, row.path) == ("10.1.2.3", url)


def test_a_service_run_outside_a_request_has_no_address(coordinator):
    referral = receive_referral(by=coordinator)
    services.referral_transition(referral=referral, to=Status.ACKNOWLEDGED, by=coordinator)
    assert {(r.ip_address, r.path) for r in AuditEvent.objects.all()} == {(None, "")}


def test_the_proxys_address_is_believed_only_from_a_trusted_proxy(client_for, coordinator, alices_referral, settings):
    """More cases in test_client_address.py."""
    import ipaddress

    url = reverse("referrals:detail", args=[alices_referral.pk])
    client = client_for(coordinator)
    settings.TRUSTED_PROXIES = []
    client.get(url, headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.1"})
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1"), ipaddress.ip_network("10.0.0.0/8")]
    client.get(url, headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.1"})
    views = AuditEvent.objects.filter(action="view", object_type="referrals.referral").order_by("id")
    assert [r.ip_address for r in views] == [
        "127.0.0.1",
        "203.0.113.9",
    ]


def test_signed_out_actors_are_recorded_as_anonymous_and_work_with_no_request_as_the_system(rf):
    token = current_request.set(rf.get("/"))
    try:
        row = audit_log(actor=None, action="export", object_type="reports.report", object_id=7)
    finally:
        current_request.reset(token)
    assert (row.actor, row.actor_label, row.object_id) == (None, "anonymous", "7")
    row = audit_log(actor=None, action="letter_sent", object_type="comms.letter", object_id=8)  # a worker
    assert (row.actor, row.actor_label) == (None, "system")


# ---------------------------------------------------------------- append-only


@pytest.fixture
def audit_row(coordinator):
    return audit_log(actor=coordinator, action="view", object_type="referrals.referral", object_id=1, patient_id=1)


@pytest.fixture
def event_row(coordinator):
    return receive_referral(by=coordinator).events.get()


def _refused_by_the_database(sql: str, params: list) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_an_audit_row_cannot_be_changed_or_removed_through_the_model(audit_row):
    audit_row.action = "nothing to see"
    with pytest.raises(PermissionError):
        audit_row.save()
    with pytest.raises(PermissionError):
        audit_row.delete()
    assert AuditEvent.objects.get(pk=audit_row.pk).action == "view"


def test_audit_rows_cannot_be_changed_or_removed_through_the_queryset(audit_row):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=audit_row.pk).update(action="nothing")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    audit_row.action = "nothing"
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.bulk_update([audit_row], ["action"])
    assert AuditEvent.objects.get(pk=audit_row.pk).action == "view"


def test_the_database_refuses_to_change_an_audit_row(audit_row):
    _refused_by_the_database("UPDATE core_auditevent SET action = %s WHERE id = %s", ["nothing", audit_row.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent._base_manager.filter(pk=audit_row.pk).update(actor_label="someone else")
    assert AuditEvent.objects.get(pk=audit_row.pk).actor_label == "cora"


def test_the_database_refuses_to_delete_an_audit_row(audit_row):
    _refused_by_the_database("DELETE FROM core_auditevent WHERE id = %s", [audit_row.pk])
    assert AuditEvent.objects.filter(pk=audit_row.pk).exists()


def test_a_referral_event_cannot_be_changed_or_removed_through_the_model(event_row):
    event_row.reason = "rewritten"
    with pytest.raises(PermissionError):
        event_row.save()
    with pytest.raises(PermissionError):
        event_row.delete()
    with pytest.raises(PermissionError):
        ReferralEvent.objects.filter(pk=event_row.pk).update(reason="rewritten")
    with pytest.raises(PermissionError):
        ReferralEvent.objects.filter(pk=event_row.pk).delete()
    assert ReferralEvent.objects.get(pk=event_row.pk).reason == ""


def test_the_database_refuses_to_change_a_referral_event(event_row):
    _refused_by_the_database(
        "UPDATE referrals_referralevent SET to_status = %s WHERE id = %s", ["returned", event_row.pk]
    )
    assert ReferralEvent.objects.get(pk=event_row.pk).to_status == Status.RECEIVED


def test_postgresql_refuses_to_delete_a_referral_event(event_row):
    if connection.vendor != "postgresql":
        pytest.skip("On SQLite only the application refuses deletes (decision 0002)")
    _refused_by_the_database("DELETE FROM referrals_referralevent WHERE id = %s", [event_row.pk])
    assert ReferralEvent.objects.filter(pk=event_row.pk).exists()


def test_a_referral_with_history_cannot_be_deleted(event_row):
    with pytest.raises(ProtectedError):
        event_row.referral.delete()


# ---------------------------------------------------------------- the administrator's page

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def history(coordinator, clinician):
    """Five rows over three days (noon, New York time)."""

    def at(day, **kwargs):
        with time_machine.travel(datetime.datetime(2026, 3, day, 12, 0, tzinfo=NEW_YORK), tick=False):
            return audit_log(**kwargs)

    return {
        "cora views 11": at(
            2, actor=coordinator, action="view", object_type="referrals.referral", object_id=11, patient_id=101
        ),
        "cora lists": at(3, actor=coordinator, action="list", object_type="referrals.referral"),
        "cliff views 11": at(
            3, actor=clinician, action="view", object_type="referrals.referral", object_id=11, patient_id=101
        ),
        "cliff moves 12": at(
            4, actor=clinician, action="transition", object_type="referrals.referral", object_id=12, patient_id=102
        ),
        "cliff signs in": at(4, actor=clinician, action="sign_in", object_type="accounts.user", object_id=clinician.pk),
    }


def shown(response) -> set[int]:
    return {row.pk for row in response.context["rows"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"cora views 11", "cora lists", "cliff views 11", "cliff moves 12", "cliff signs in"}),
        ({"actor": "cora"}, {"cora views 11", "cora lists"}),
        ({"action": "view"}, {"cora views 11", "cliff views 11"}),
        ({"object_type": "referrals.referral", "object_id": "11"}, {"cora views 11", "cliff views 11"}),
        ({"object_type": "accounts.user"}, {"cliff signs in"}),
        ({"patient_id": "102"}, {"cliff moves 12"}),
        ({"since": "2026-03-03"}, {"cora lists", "cliff views 11", "cliff moves 12", "cliff signs in"}),
        ({"until": "2026-03-03"}, {"cora views 11", "cora lists", "cliff views 11"}),
        ({"since": "2026-03-03", "until": "2026-03-03"}, {"cora lists", "cliff views 11"}),
        ({"actor": "cliff", "since": "2026-03-04", "action": "transition"}, {"cliff moves 12"}),
        ({"actor": "nobody"}, set()),
    ],
)
def test_the_audit_page_filters(query, expected, history, client_for, admin):
    response = client_for(admin).get(AUDIT, query)
    assert response.status_code == 200
    # the page itself signs nobody in and lists nothing about patients: no new rows to account for
    assert shown(response) == {history[name].pk for name in expected}


def test_the_audit_page_lists_newest_first(history, client_for, admin):
    response = client_for(admin).get(AUDIT)
    assert [row.pk for row in response.context["rows"]] == sorted(shown(response), reverse=True)


def test_the_audit_page_refuses_an_end_date_before_the_start_date(history, client_for, admin):
    response = client_for(admin).get(AUDIT, {"since": "2026-03-04", "until": "2026-03-02"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"until": ["The end date is before the start date."]}
    assert "The end date is before the start date." in response.content.decode()
    assert list(response.context["rows"]) == []  # not the whole unfiltered trail under the error


def test_the_audit_page_pages_through_a_long_trail(client_for, admin, coordinator):
    for i in range(1, 102):
        audit_log(actor=coordinator, action="view", object_type="referrals.referral", object_id=i)
    client = client_for(admin)
    first = client.get(AUDIT, {"actor": "cora"})
    assert len(first.context["rows"]) == 100 and first.context["next_after"] == 100
    assert "?actor=cora&after=100" in first.content.decode()
    second = client.get(AUDIT, {"actor": "cora", "after": 100})
    assert [row.object_id for row in second.context["rows"]] == ["1"]
    assert second.context["next_after"] is None and second.context["prev_after"] == 0


def test_the_audit_page_escapes_what_it_shows(client_for, admin):
    audit_log(actor=None, action="<script>x</script>", object_type="referrals.referral")
    content = client_for(admin).get(AUDIT).content.decode()
    assert "<script>x</script>" not in content and "&lt;script&gt;x&lt;/script&gt;" in content


def test_the_audit_trail_is_not_in_the_django_admin(client_for, admin):
    client = client_for(admin)
    assert client.get("/admin/core/auditevent/").status_code == 404
    assert client.get("/admin/referrals/referralevent/").status_code == 404
