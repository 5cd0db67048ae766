"""Who may do what is changed only through audited services: a role, the active, staff and superuser flags,
groups and permissions, each with a row saying what it was and what it became, the Django admin included
("the director finds a liaison's promotion to director in the trail")."""

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from liaison.accounts import services
from liaison.accounts.choices import Role
from liaison.accounts.models import User
from liaison.accounts.tests.factories import LiaisonFactory
from liaison.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def trail(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# ---------------------------------------------------------------- the services


def test_a_role_change_is_on_the_trail_with_before_and_after(admin, liaison):
    assert services.user_role_change(user=liaison, role=Role.DIRECTOR, by=admin) is True
    (row,) = trail("user_role_change")
    assert (row.actor, row.object_type, row.object_id) == (admin, "accounts.user", str(liaison.pk))
    assert row.detail == {"user": "lee", "before": "liaison", "after": "director"}
    assert User.objects.get(pk=liaison.pk).role == Role.DIRECTOR


def test_the_same_role_again_changes_nothing_and_writes_nothing(admin, liaison):
    assert services.user_role_change(user=liaison, role=Role.LIAISON, by=admin) is False
    assert trail("user_role_change") == []


def test_an_unknown_role_is_refused_and_nothing_written(admin, liaison):
    with pytest.raises(ValidationError) as caught:
        services.user_role_change(user=liaison, role="overlord", by=admin)
    assert "role" in caught.value.message_dict
    assert User.objects.get(pk=liaison.pk).role == Role.LIAISON and trail("user_role_change") == []


def test_an_outside_role_without_its_referrer_is_refused(admin, liaison):
    with pytest.raises(ValidationError):
        services.user_role_change(user=liaison, role=Role.REFERRER, by=admin)
    assert User.objects.get(pk=liaison.pk).role == Role.LIAISON and not AuditEvent.objects.exists()


def test_deactivating_and_activating_are_on_the_trail(admin, coordinator):
    assert services.user_deactivate(user=coordinator, by=admin) is True
    assert services.user_deactivate(user=coordinator, by=admin) is False  # already off: no second row
    assert services.user_activate(user=coordinator, by=admin) is True
    assert [(r.action, r.detail["before"], r.detail["after"]) for r in AuditEvent.objects.order_by("id")] == [
        ("user_deactivate", {"is_active": True}, {"is_active": False}),
        ("user_activate", {"is_active": False}, {"is_active": True}),
    ]
    assert User.objects.get(pk=coordinator.pk).is_active


def test_staff_and_superuser_flags_are_on_the_trail(admin, coordinator):
    services.user_flags_change(user=coordinator, by=admin, is_staff=True, is_superuser=True, is_active=True)
    (row,) = trail("user_flags_change")
    assert row.detail["before"] == {"is_staff": False, "is_superuser": False}
    assert row.detail["after"] == {"is_staff": True, "is_superuser": True}


def test_an_unknown_flag_is_refused(admin, coordinator):
    with pytest.raises(ValidationError) as caught:
        services.user_flags_change(user=coordinator, by=admin, is_wizard=True)
    assert list(caught.value.message_dict) == ["is_wizard"] and not AuditEvent.objects.exists()


def test_groups_and_permissions_are_on_the_trail(admin, coordinator):
    group = Group.objects.create(name="Night shift")
    permission = Permission.objects.get(codename="view_user")
    assert services.user_groups_change(user=coordinator, groups=[group], by=admin)
    assert services.user_permissions_change(user=coordinator, permissions=[permission], by=admin)
    assert not services.user_groups_change(user=coordinator, groups=[group], by=admin)
    groups, permissions = trail("user_groups_change"), trail("user_permissions_change")
    assert [(r.detail["before"], r.detail["after"]) for r in groups] == [([], ["Night shift"])]
    assert [(r.detail["before"], r.detail["after"]) for r in permissions] == [([], ["accounts.view_user"])]


# ---------------------------------------------------------------- the Django admin


@pytest.fixture
def admin_client(client_for, admin):
    Authenticator.objects.create(user=admin, type="totp", data={})  # past the second step
    return client_for(admin)


def change_form(client, user) -> dict:
    """The admin's change form for this user, as the browser would post it back unchanged."""
    form = client.get(reverse("admin:accounts_user_change", args=[user.pk])).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled or name == "password":
            continue
        if isinstance(value, list | tuple) and name in ("date_joined", "last_login"):
            data[f"{name}_0"], data[f"{name}_1"] = value
        elif hasattr(value, "strftime"):
            data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = "" if value is None else value
    return data


def test_a_promotion_in_the_admin_is_on_the_trail(admin_client, admin, liaison):
    data = change_form(admin_client, liaison) | {"role": Role.DIRECTOR, "first_name": "Leigh"}
    response = admin_client.post(reverse("admin:accounts_user_change", args=[liaison.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    liaison.refresh_from_db()
    assert (liaison.role, liaison.first_name) == (Role.DIRECTOR, "Leigh")
    (row,) = trail("user_role_change")
    assert (row.actor, row.object_id, row.detail["before"], row.detail["after"]) == (
        admin,
        str(liaison.pk),
        "liaison",
        "director",
    )
    assert row.path == reverse("admin:accounts_user_change", args=[liaison.pk])


def test_deactivating_staff_status_and_groups_in_the_admin_are_on_the_trail(admin_client, admin):
    lee = LiaisonFactory(username="lee2")
    group = Group.objects.create(name="Outreach")
    data = change_form(admin_client, lee)
    data.pop("is_active", None)
    data |= {"is_staff": "on", "groups": [str(group.pk)]}
    response = admin_client.post(reverse("admin:accounts_user_change", args=[lee.pk]), data)
    assert response.status_code == 302
    (flags,) = trail("user_flags_change")
    assert flags.detail["after"] == {"is_active": False, "is_staff": True}
    (groups,) = trail("user_groups_change")
    assert groups.detail["after"] == ["Outreach"]
    lee.refresh_from_db()
    assert not lee.is_active and lee.is_staff and list(lee.groups.all()) == [group]


def test_an_unchanged_save_in_the_admin_writes_no_change_rows(admin_client, liaison):
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[liaison.pk]), change_form(admin_client, liaison)
    )
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action__startswith="user_").exists()


def test_a_new_account_in_the_admin_is_on_the_trail_with_its_role(admin_client, admin):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "password1": "a long and unusual phrase 7",
            "password2": "a long and unusual phrase 7",
            "usable_password": "true",
            "role": Role.COORDINATOR,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    (row,) = trail("user_create")
    assert row.actor == admin and row.detail["after"]["role"] == "coordinator"
    assert row.object_id == str(User.objects.get(username="newbie").pk)


# ---------------------------------------------------------------- the command line


def test_the_command_changes_a_role_through_the_service(liaison):
    out = StringIO()
    call_command("user_role", "lee", "director", stdout=out)
    assert out.getvalue().strip() == "lee is now Medical director."
    (row,) = trail("user_role_change")
    assert (row.actor, row.actor_label, row.detail["after"]) == (None, "system", "director")


@pytest.mark.parametrize(
    ("args", "message"),
    [(["nobody", "admin"], "username: there is no account called 'nobody'"), (["lee", "king"], "role: 'king'")],
)
def test_the_command_refuses_an_unknown_account_or_role(args, message, liaison):
    with pytest.raises(CommandError, match=message):
        call_command("user_role", *args)
    assert not AuditEvent.objects.exists()


def test_a_groups_permissions_changed_in_the_admin_are_on_the_trail(admin_client, admin, coordinator):
    group = Group.objects.create(name="Night shift")
    coordinator.groups.add(group)
    permission = Permission.objects.get(codename="change_user")
    response = admin_client.post(
        reverse("admin:auth_group_change", args=[group.pk]), {"name": "Night shift", "permissions": [permission.pk]}
    )
    assert response.status_code == 302
    (row,) = trail("group_permissions_change")
    assert (row.actor, row.object_type, row.object_id) == (admin, "auth.group", str(group.pk))
    assert row.detail == {
        "group": "Night shift",
        "members": ["cora"],
        "before": [],
        "after": ["accounts.change_user"],
    }
    assert list(group.permissions.all()) == [permission]


@pytest.mark.django_db
def test_the_admin_deactivates_people_and_never_deletes_them(client_for, admin, coordinator):
    from django.urls import reverse

    from liaison.accounts.models import User

    client = client_for(admin)
    assert client.get(reverse("admin:accounts_user_delete", args=[coordinator.pk])).status_code == 403
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [coordinator.pk], "post": "yes"},
    )
    assert User.objects.filter(pk=coordinator.pk).exists()
