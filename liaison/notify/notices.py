"""Who is told of what, and the Notice rows that tell them (decision 0041).

Every notice is written inside the transaction of what it tells of, once per person and key (run twice, the
second writes nothing), and the worker is woken after commit. A person's choices (Preference) are read here, when
the notice is made; a safety alert ignores them: it always goes."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.choices import Role
from liaison.accounts.models import User
from liaison.core import events
from liaison.core.audit import audit_log
from liaison.notify.choices import CHOOSABLE, Channel, NoticeKind
from liaison.notify.models import Notice, Preference

# Something that happened longer ago than this is not news: it is in the digest, and no email goes (a history
# loaded by the demo or an import raises no notices).
FRESH = timedelta(hours=6)
# The people whose work the notices and the digest are about.
RECEIVING_ROLES = (Role.COORDINATOR, Role.CLINICIAN, Role.DIRECTOR)
FIELD = {
    NoticeKind.URGENT_REFERRAL: "urgent_referral",
    NoticeKind.REFERRER_MESSAGE: "referrer_message",
    NoticeKind.LETTER_DUE_SOON: "letter_due_soon",
    NoticeKind.DIGEST: "digest",
}


def is_fresh(at: datetime | None, *, now: datetime | None = None) -> bool:
    return at is None or at >= (now or timezone.now()) - FRESH


def referral_path(referral_id: int, part: str = "") -> str:
    return reverse("referrals:detail", args=[referral_id]) + (f"#{part}" if part else "")


# ---------------------------------------------------------------- choices


def preference_of(user) -> Preference:
    """The person's choices (everything on when they never chose)."""
    return Preference.objects.filter(user=user).first() or Preference(user=user)


def wants(user, kind: str, preference: Preference | None = None) -> bool:
    """Does this person receive this kind of notice? A safety alert: always, whatever is stored."""
    if kind not in CHOOSABLE:
        return True
    preference = preference if preference is not None else preference_of(user)
    return getattr(preference, FIELD[kind])


def preferences_update(*, user, by, choices: dict[str, bool]) -> Preference:
    """Save what a person receives. Only the choosable kinds can be switched; asking to switch safety alerts off
    is refused with a clear error (the form has no such switch, and the database refuses it too)."""
    if by is None or by.pk != user.pk:
        raise ValidationError({"user": ["People choose their own notifications."]})
    if user.role not in RECEIVING_ROLES:
        raise ValidationError({"user": ["Notifications are for the practice's coordinators and clinicians."]})
    errors = {}
    for name, value in choices.items():
        if name == NoticeKind.SAFETY_ALERT and value is not True:
            errors[name] = ["Safety alerts always go to the responsible clinician; they cannot be switched off."]
        elif name != NoticeKind.SAFETY_ALERT and name not in FIELD.values():
            errors[name] = [f"There is no notification called {name!r}."]
        elif not isinstance(value, bool):
            errors[name] = ["Choose on or off."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        preference, _ = Preference.objects.select_for_update().get_or_create(user=user)
        for name, value in choices.items():
            if name in FIELD.values():
                setattr(preference, name, value)
        preference.save()
        audit_log(actor=by, action="notify_preferences", obj=user, detail={k: bool(v) for k, v in choices.items()})
    return preference


# ---------------------------------------------------------------- who


def _active(users) -> list:
    return [u for u in users if u is not None and u.is_active]


def clinicians_for(referral) -> list:
    """The referral's clinician; with none assigned (or gone), every clinician, as the open alerts are shown
    (decision 0005); with no clinician at all, the medical director."""
    if mine := _active([referral.assigned_clinician]):
        return mine
    found = list(User.objects.filter(role=Role.CLINICIAN, is_active=True).order_by("pk"))
    return found or list(User.objects.filter(role=Role.DIRECTOR, is_active=True).order_by("pk"))


def coordinators_for(referral) -> list:
    """The referral's coordinator; with none assigned, every coordinator (the inbox is theirs together)."""
    if mine := _active([referral.assigned_coordinator]):
        return mine
    return list(User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("pk"))


# ---------------------------------------------------------------- rows


def notices_create(
    *, kind: str, key: str, users, path: str, at: datetime | None = None, referral_id: int | None = None,
    payload: dict | None = None,
) -> list[Notice]:  # fmt: skip
    """Notices of `kind` for those of `users` who receive it, once per person and `key`. Call it inside the
    transaction of what it tells of; the worker is woken after commit."""
    at = at or timezone.now()
    users = {u.pk: u for u in _active(users)}
    if kind in CHOOSABLE:
        preferences = {p.user_id: p for p in Preference.objects.filter(user_id__in=users)}
        users = {pk: u for pk, u in users.items() if wants(u, kind, preferences.get(pk) or Preference(user=u))}
    told = set(Notice.objects.filter(key=key, recipient_id__in=users).values_list("recipient_id", flat=True))
    rows = [
        Notice(
            kind=kind,
            key=key,
            recipient=user,
            referral_id=referral_id,
            channel=Channel.EMAIL,
            address=user.email,
            path=path,
            payload=payload or {},
            next_attempt_at=at,
            created_at=at,
        )  # fmt: skip
        for pk, user in users.items()
        if pk not in told
    ]
    if rows:
        Notice.objects.bulk_create(rows)
        wake_after_commit()
    return rows


def wake_after_commit() -> None:
    """The workers are woken once the notice commits (notify's waker, apps.py, queues its sending)."""
    transaction.on_commit(events.wake, robust=True)
