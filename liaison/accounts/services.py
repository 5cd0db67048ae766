"""Writes about accounts: who may do what (role, active, staff and superuser flags, groups, permissions) and
their sign-in (resetting someone's second step, lifting a lockout). Each one is audited with what it was
before and what it is after; the Django admin goes through these too (accounts/admin.py)."""

from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.db import transaction

from liaison.accounts.choices import Role
from liaison.accounts.models import User
from liaison.core.audit import audit_log


def user_mfa_reset(*, user, by) -> int:
    """Remove every authenticator app, passkey and recovery code of this user (a lost phone, a new key);
    their next sign-in asks them to set a second step up again. Returns how many were removed."""
    with transaction.atomic():
        removed = list(Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True))
        Authenticator.objects.filter(user_id=user.pk).delete()
        audit_log(actor=by, action="mfa_reset", obj=user, detail={"user": user.get_username(), "removed": removed})
    return len(removed)


def account_named(username: str) -> dict:
    """The record an event about a username is filed under: that account, when one has this username."""
    user = User.objects.filter(username=username).only("pk").first() if username else None
    return {"object_type": "accounts.user", "object_id": user.pk} if user else {"object_type": "", "object_id": ""}


def sign_in_unlock(*, by, username: str = "", ip_address: str = "") -> int:
    """Lift the lockout of an account (by username) or of an address, or both: their failed attempts are
    forgotten. Returns how many records of attempts were removed."""
    if not (username or ip_address):
        raise ValidationError({"username": ["Name the account or the address to unlock."]})
    with transaction.atomic():
        attempts = AccessAttempt.objects.all()
        if username and ip_address:
            attempts = attempts.filter(username=username) | attempts.filter(ip_address=ip_address)
        elif username:
            attempts = attempts.filter(username=username)
        else:
            attempts = attempts.filter(ip_address=ip_address)
        failures = sum(attempts.values_list("failures_since_start", flat=True))
        removed, _ = attempts.delete()
        audit_log(
            actor=by,
            action="sign_in_unlock",
            **account_named(username),
            detail={"username": username, "ip_address": ip_address, "failures_forgotten": failures},
        )
    return removed


# ---------------------------------------------------------------- what an account may do

FLAGS = ("is_active", "is_staff", "is_superuser")


def _locked(user) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def _audit_change(*, by, user, action: str, before, after) -> None:
    audit_log(actor=by, action=action, obj=user, detail={"user": user.get_username(), "before": before, "after": after})


def user_create(*, user, by) -> None:
    """A new account (saved here), on the trail with the role and flags it starts with."""
    with transaction.atomic():
        user.full_clean()
        user.save()
        after = {"role": user.role, **{flag: getattr(user, flag) for flag in FLAGS}}
        _audit_change(by=by, user=user, action="user_create", before=None, after=after)


def user_role_change(*, user, role: str, by) -> bool:
    """Give the account another role, at once. False (and no row) when it already had that role. The referrer
    or practice an outside role needs is saved with it, from the same instance (the admin sets both at once)."""
    if role not in Role.values:
        raise ValidationError({"role": [f"{role!r} is not a role."]})
    with transaction.atomic():
        before = _locked(user).role
        if before == role:
            return False
        user.role = role
        user.full_clean(exclude=["password"])
        user.save(update_fields=["role", "referrer", "practice"])
        _audit_change(by=by, user=user, action="user_role_change", before=before, after=role)
    return True


def user_flags_change(*, user, by, **flags: bool) -> dict:
    """Change is_active, is_staff or is_superuser; one row with each flag that changed, before and after."""
    unknown = sorted(set(flags) - set(FLAGS))
    if unknown:
        raise ValidationError({name: ["Not a flag this service changes."] for name in unknown})
    with transaction.atomic():
        current = _locked(user)
        changed = {flag: value for flag, value in flags.items() if getattr(current, flag) != bool(value)}
        if not changed:
            return {}
        for flag, value in changed.items():
            setattr(user, flag, bool(value))
        User.objects.filter(pk=user.pk).update(**changed)
        before = {flag: getattr(current, flag) for flag in changed}
        action = "user_flags_change"
        if set(changed) == {"is_active"}:
            action = "user_activate" if changed["is_active"] else "user_deactivate"
        _audit_change(by=by, user=user, action=action, before=before, after=changed)
    return changed


def user_activate(*, user, by) -> bool:
    return bool(user_flags_change(user=user, by=by, is_active=True))


def user_deactivate(*, user, by) -> bool:
    """The account can no longer sign in; it keeps its history."""
    return bool(user_flags_change(user=user, by=by, is_active=False))


def user_groups_change(*, user, groups, by) -> bool:
    """Put the account in exactly these groups. False (and no row) when nothing changed."""
    with transaction.atomic():
        _locked(user)
        before = sorted(user.groups.values_list("name", flat=True))
        user.groups.set(groups)
        after = sorted(user.groups.values_list("name", flat=True))
        if before == after:
            return False
        _audit_change(by=by, user=user, action="user_groups_change", before=before, after=after)
    return True


def _permission_names(user) -> list[str]:
    return _names(user.user_permissions)


def user_permissions_change(*, user, permissions, by) -> bool:
    """Give the account exactly these permissions of its own (beside its groups'). False when nothing changed."""
    with transaction.atomic():
        _locked(user)
        before = _permission_names(user)
        user.user_permissions.set(permissions)
        after = _permission_names(user)
        if before == after:
            return False
        _audit_change(by=by, user=user, action="user_permissions_change", before=before, after=after)
    return True


def group_permissions_change(*, group, permissions, by) -> bool:
    """Give a group exactly these permissions, which every member then has. False when nothing changed."""
    with transaction.atomic():
        before = _names(group.permissions)
        group.permissions.set(permissions)
        after = _names(group.permissions)
        if before == after:
            return False
        members = sorted(group.user_set.values_list("username", flat=True))
        detail = {"group": group.name, "members": members, "before": before, "after": after}
        audit_log(actor=by, action="group_permissions_change", obj=group, detail=detail)
    return True


def _names(permissions) -> list[str]:
    return sorted(f"{app}.{code}" for app, code in permissions.values_list("content_type__app_label", "codename"))
