"""What both made-up networks need besides referrals: an empty database to start from, the
clinic, and one sign-in per role with the shared demo password."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command

from liaison.accounts.choices import Role
from liaison.accounts.models import User
from liaison.core.models import Clinic
from liaison.demo import vocab
from liaison.directory.models import Referrer
from liaison.referrals.models import Referral

# username, role, first name, last name: one sign-in per role, two clinicians.
DEMO_USERS = (
    ("coordinator", Role.COORDINATOR, "Rosa", "Delgado"),
    ("clinician", Role.CLINICIAN, "Daniel", "Whitfield"),
    ("clinician2", Role.CLINICIAN, "Priya", "Raman"),
    ("liaison", Role.LIAISON, "Marcus", "Bell"),
    ("director", Role.DIRECTOR, "Helen", "Adler"),
    ("admin", Role.ADMIN, "Sam", "Novak"),
    ("referrer", Role.REFERRER, "", ""),
    ("practice-admin", Role.REFERRER_ADMIN, "Lena", "Ortiz"),
)


class DemoRefused(Exception):
    """Made-up data was not loaded, and the message says why; nothing was written."""


class NetworkExists(DemoRefused):
    """The database already holds referrals (or the demo's accounts)."""


def prepare_empty_database(*, reset: bool, usernames: list[str]) -> None:
    """Refuse to mix made-up data into a database that has some, unless asked to empty it, and
    refuse production outright: the demo accounts share a password that is printed for all to see."""
    if settings.MODE == "production":
        raise DemoRefused(
            "Made-up data and the published demo password do not belong in production "
            "(LIAISON_MODE=production). Use `liaison demo`, or set LIAISON_MODE=demo for a benchmark database."
        )
    loaded = Referral.objects.exists() or User.objects.filter(username__in=usernames).exists()
    if not loaded:
        return
    if not reset:
        raise NetworkExists(
            "This database already holds referrals or the demo accounts, so nothing was loaded. "
            "Start from an empty data folder (rm -rf var/) or ask for a reset (--reset)."
        )
    # liaison flush: outside production it lifts the audit trail's guards for the reset (decision 0017).
    call_command("flush", interactive=False, verbosity=0)


def ensure_clinic() -> Clinic:
    clinic = Clinic.objects.first()
    if clinic is None:
        clinic = Clinic(**vocab.CLINIC)
        clinic.full_clean()
        clinic.save()
    return clinic


def save_all(objects: list) -> list:
    """Directory rows have no service yet: check each with its own validation, then save."""
    for obj in objects:
        obj.full_clean()
        obj.save()
    return objects


def ensure_demo_users(*, referrer: Referrer) -> dict[str, User]:
    """The demo's sign-ins, all with the one demo password (checked against the validators)."""
    users = {}
    hashed = make_password(vocab.DEMO_PASSWORD)  # hashing is slow by design: once, not once per account
    for username, role, first, last in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        users[username] = user or _new_user(username, role, first, last, referrer=referrer, hashed=hashed)
    users["coordinator"].lead = users["director"]
    users["coordinator"].save(update_fields=["lead"])
    return users


def _new_user(username: str, role: str, first: str, last: str, *, referrer: Referrer, hashed: str) -> User:
    if role == Role.REFERRER:
        first, last = referrer.first_name, referrer.last_name
    user = User(username=username, role=role, first_name=first, last_name=last)
    user.email = f"{username}@madisonsquare-ip.example" if role not in (Role.REFERRER, Role.REFERRER_ADMIN) else ""
    user.referrer = referrer if role == Role.REFERRER else None
    user.practice = referrer.practice if role == Role.REFERRER_ADMIN else None
    user.is_staff = user.is_superuser = role == Role.ADMIN
    validate_password(vocab.DEMO_PASSWORD, user)
    user.password = hashed
    user.save()
    return user


def demo_logins(*, referrers: int = 0, referrals: int = 0) -> dict:
    """What `liaison demo` prints: who can sign in, as what, with which password."""
    logins = [
        {"username": u.username, "role": Role(u.role).label, "name": u.get_full_name()}
        for u in User.objects.filter(username__in=[d[0] for d in DEMO_USERS]).order_by("id")
    ]
    return {
        "password": vocab.DEMO_PASSWORD,
        "logins": logins,
        "referrers": referrers,
        "referrals": referrals,
    }
