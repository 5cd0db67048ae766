"""Every URL of the site, as every role, on practice A's records and on practice B's, against the role table.

The URLs come from Django's resolver (the admin and the API included), so a new page is tried the day it is added;
a URL that the role table (liaison/accounts/access.py) does not classify fails here. For each URL:

- every actor GETs it: the clinic's five staff roles, referrer A, A's practice administrator, referrer B of another
  practice, a patient who holds only a questionnaire link, and someone anonymous (on the API: the three outside
  accounts' bearer tokens, and the signed-in people, who have no token there);
- what each gets comes from the table: a role that lacks the capability gets a 403 (signed out: the sign-in page;
  the API: a 401), a record out of the asker's scope is a 404, and every refusal is a row on the audit trail;
- the roles that lack the capability POST to it too: nothing changes;
- a canary (an internal note with a unique string on A's referral) and A's patient's surname never reach anyone
  who may not see them, in any body, on any page.

One set of records for the whole class, built once and rolled back at the end."""

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.test import Client, TestCase
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from liaison.accounts.access import TABLE, url_capability
from liaison.accounts.tests.factories import (
    AdminFactory,
    ClinicianFactory,
    CoordinatorFactory,
    DirectorFactory,
    LiaisonFactory,
    ReferrerAdminFactory,
    ReferrerUserFactory,
)
from liaison.accounts.tokens import api_token_create
from liaison.core.models import AuditEvent

# ------------------------------------------------------------------ the site's URLs


@dataclass(frozen=True)
class Route:
    route: str  # the whole pattern, prefixes included
    namespace: str
    name: str
    callback: object
    keys: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.namespace}:{self.name}" if self.namespace else (self.name or self.route)


def _walk(patterns, prefix="", namespace="", keys=()):
    for p in patterns:
        here = (*keys, *p.pattern.regex.groupindex)
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns, here)
        else:
            yield Route(prefix + str(p.pattern), namespace, p.name or "", p.callback, tuple(dict.fromkeys(here)))


ROUTES = list(_walk(get_resolver().url_patterns))
IDS = [f"{r.label}@{r.route}" for r in ROUTES]

# ------------------------------------------------------------------ who asks

STAFF = ("coordinator", "clinician", "liaison", "director", "admin")
OUTSIDE = ("alice", "pam", "bob")  # referrer A, A's practice administrator, referrer B of practice B
SIGNED_OUT = ("patient", "anonymous")  # the patient holds only the questionnaire link: no session at all
PEOPLE = (*STAFF, *OUTSIDE, *SIGNED_OUT)
TOKENS = ("alice_token", "pam_token", "bob_token")
SIDE = {"alice": "a", "pam": "a", "bob": "b", "alice_token": "a", "pam_token": "a", "bob_token": "b"}
# Who may read A's internal notes and A's patient's name, anywhere.
CLINICAL = {"coordinator", "clinician", "director"}
SEES_PATIENT_A = CLINICAL | {"alice", "pam", "alice_token", "pam_token"}


@dataclass
class Records:
    """One practice's records: a referral with its letter, attachment, alert, duplicate flag and links."""

    referral: object
    letter: object
    due: object
    outbox: object
    attachment: object
    flag: object
    alert: object
    questionnaire_token: str
    sent_token: str
    referrer: object
    booking: object


def _records(*, referrer, by, coordinator, clinician, surname) -> Records:
    from liaison.care.models import Booking, SafetyAlert
    from liaison.care.services import questionnaire_link_create
    from liaison.comms import services as comms
    from liaison.comms.models import DueCommunication
    from liaison.referrals.intake_models import Attachment, DuplicateFlag
    from liaison.referrals.intake_views import CONFIRM_SALT
    from liaison.referrals.tests.factories import (
        PatientDataFactory,
        ReferralDataFactory,
        ReferralFactory,
        receive_referral,
    )

    with TestCase.captureOnCommitCallbacks(execute=True):
        referral = receive_referral(
            by=by, patient=PatientDataFactory(last_name=surname), referral=ReferralDataFactory(referrer=referrer)
        )
    due = DueCommunication.objects.filter(referral=referral).order_by("due_at", "id").first()
    letter = comms.letter_draft(due=due, by=coordinator)
    with TestCase.captureOnCommitCallbacks(execute=True):
        outbox = comms.letter_approve(letter=letter, by=coordinator)
    now = timezone.now()
    content = b"%PDF-1.4\n%%EOF\n"
    attachment = Attachment.objects.create(
        referral=referral, filename="notes.pdf", size=len(content), sha256="0" * 64, content=content, uploaded_at=now
    )
    earlier = ReferralFactory(referrer=referrer)
    flag = DuplicateFlag.objects.create(referral=referral, existing=earlier, similarity="0.950")
    alert = SafetyAlert.objects.create(referral=referral, kind="item9", summary="Item 9 answered 2", raised_at=now)
    _, token = questionnaire_link_create(referral=referral, by=coordinator)
    start = now + timedelta(days=2)
    booking = Booking.objects.create(
        referral=referral, kind="session", starts_at=start, ends_at=start + timedelta(hours=1), clinician=clinician,
        place="Room 1",
    )  # fmt: skip
    return Records(
        referral=referral,
        letter=letter,
        due=due,
        outbox=outbox,
        attachment=attachment,
        flag=flag,
        alert=alert,
        questionnaire_token=token,
        sent_token=signing.dumps(referral.pk, salt=CONFIRM_SALT),
        referrer=referrer,
        booking=booking,
    )


class World:
    """Everyone and everything the matrix asks about."""

    def __init__(self):
        from liaison.comms.seed import seed_protocol
        from liaison.crm import meetings
        from liaison.crm import services as crm
        from liaison.crm.choices import TaskKind
        from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory

        seed_protocol()
        stamp = uuid.uuid4().hex[:10]
        self.canary = f"CANARY-{stamp}-internal-note"
        self.surname_a, self.surname_b = f"Quixotica{stamp}", f"Zephyrine{stamp}"
        practice_a, practice_b = PracticeFactory(name="Riverside Psychiatry"), PracticeFactory(name="Hilltop Family")
        referrer_a = ReferrerFactory(practice=practice_a, email="alice@riverside.example")
        referrer_b = ReferrerFactory(practice=practice_b, email="bob@hilltop.example")
        self.users = {
            "coordinator": CoordinatorFactory(),
            "clinician": ClinicianFactory(),
            "liaison": LiaisonFactory(),
            "director": DirectorFactory(),
            "admin": AdminFactory(),
            "alice": ReferrerUserFactory(referrer=referrer_a),
            "pam": ReferrerAdminFactory(practice=practice_a),
            "bob": ReferrerUserFactory(referrer=referrer_b),
        }
        u = self.users
        self.a = _records(
            referrer=referrer_a, by=u["alice"], coordinator=u["coordinator"], clinician=u["clinician"],
            surname=self.surname_a,
        )  # fmt: skip
        self.b = _records(
            referrer=referrer_b, by=u["bob"], coordinator=u["coordinator"], clinician=u["clinician"],
            surname=self.surname_b,
        )  # fmt: skip
        from liaison.referrals import services as referral_services

        referral_services.referral_add_note(referral=self.a.referral, by=u["coordinator"], text=self.canary)
        relationship = crm.relationship_ensure(referrer=referrer_a)
        start = timezone.now() + timedelta(days=3)
        self.meeting = meetings.meeting_schedule(
            relationship=relationship, by=u["liaison"], starts_at=start, ends_at=start + timedelta(hours=1)
        )
        self.task = crm.task_create(
            by=u["liaison"], referrer_id=referrer_a.pk, kind=TaskKind.values[0], title="Call back",
            due_at=start, owner=u["liaison"],
        )  # fmt: skip
        self.saved_list = crm.saved_list_create(owner=u["liaison"], name="Nearby", filters={})
        self.practices = {"a": practice_a, "b": practice_b}
        self.tokens = {f"{who}_token": api_token_create(user=u[who], name="EHR")[1] for who in ("alice", "pam", "bob")}
        self.clients = {"patient": Client(), "anonymous": Client()}
        # The patient has the link and nothing else: opening it leaves them no session to use elsewhere.
        self.clients["patient"].get(f"/care/q/{self.a.questionnaire_token}/")
        for who, user in u.items():
            self.clients[who] = Client()
            self.clients[who].force_login(user)
        for who, raw in self.tokens.items():
            self.clients[who] = Client(headers={"Authorization": f"Bearer {raw}"})

    def records(self, side: str) -> Records:
        return self.a if side == "a" else self.b


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield World()
        transaction.set_rollback(True)


# ------------------------------------------------------------------ filling in a URL's arguments

PK_KIND = {
    "comms:due_letter": "due",
    "comms:letter": "letter",
    "comms:letter_preview": "letter",
    "comms:letter_pdf": "letter",
    "comms:letter_approve": "letter",
    "comms:outbox_retry": "outbox",
    "care:alert_acknowledge": "alert",
    "care:booking": "booking",
    "care:booking_reschedule": "booking",
    "care:booking_outcome": "booking",
    "care:booking_invitation": "booking",
    "crm:saved_list": "saved_list",
    "crm:referrer": "referrer",
    "crm:referrer_contact": "referrer",
    "crm:draft": "referrer",
    "crm:practice": "practice",
    "crm:meeting": "meeting",
    "crm:meeting_invite": "meeting",
    "crm:task_done": "task",
}
REFERRAL_PK = ("referrals", "intake", "care", "comms")
# One's own second sign-in step: the world's people have none set up, so its pages may answer 404.
NO_RECORD = "account.mfa"
# Records that belong to one person: anyone else who holds the capability gets a 404 (and an audit row).
OWNER = {"crm:saved_list": "liaison"}


def _pk(route: Route, world: World, side: str):
    kind = PK_KIND.get(route.label)
    records = world.records(side)
    if url_capability(route.callback, route.namespace, route.name) == NO_RECORD:
        return 987654
    if kind is None and route.namespace in REFERRAL_PK:
        kind = "referral"
    if kind in ("saved_list", "meeting", "task"):
        return getattr(world, kind).pk
    if kind == "practice":
        return world.practices[side].pk
    if kind is None:
        raise AssertionError(f"{route.label}: say in PK_KIND which record its pk names")
    return getattr(records, kind).pk


def _admin_object(route: Route):
    model_admin = getattr(route.callback, "model_admin", None)
    found = model_admin.model._default_manager.order_by("pk").first() if model_admin else None
    return found.pk if found else 1


def _value(key: str, route: Route, world: World, side: str):
    records = world.records(side)
    if key == "pk":
        return _pk(route, world, side)
    if key == "token":
        return records.questionnaire_token if route.namespace == "care" else records.sent_token
    simple = {
        "attachment_id": lambda: records.attachment.pk,
        "flag_id": lambda: records.flag.pk,
        "referral_id": lambda: records.referral.pk,
        "object_id": lambda: _admin_object(route),
        "id": lambda: _admin_object(route),
        "content_type_id": lambda: apps.get_model("contenttypes", "ContentType").objects.order_by("pk").first().pk,
        "app_label": lambda: "directory",
        "url": lambda: "no-such-page/",
    }
    if key not in simple:
        raise AssertionError(f"{route.label}: no record to fill in the URL argument {key!r}; add one here")
    return simple[key]()


def _url(route: Route, world: World, side: str) -> str:
    values = {k: str(_value(k, route, world, side)) for k in route.keys}
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route.route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], path)
    return "/" + path.replace("^", "").replace("$", "")


def _practice_scoped(route: Route) -> bool:
    """Whether the URL names one of a practice's records (so A's people must get a 404 on B's)."""
    capability = url_capability(route.callback, route.namespace, route.name)
    return bool(route.keys) and route.namespace != "admin" and capability != NO_RECORD


def _sides(route: Route) -> tuple[str, ...]:
    """A URL that names a practice's record is tried on A's and on B's; any other, once."""
    return ("a", "b") if _practice_scoped(route) else ("a",)


# ------------------------------------------------------------------ what each should get


def _actors(route: Route) -> tuple[str, ...]:
    return (*PEOPLE, *TOKENS) if route.namespace == "api" else PEOPLE


def _holds(who: str, capability: str, world: World) -> bool:
    roles = TABLE[capability].roles
    if roles is None:
        return True
    user = world.users.get(who.removesuffix("_token"))
    if route_is_api(capability) and not who.endswith("_token"):
        return False  # the API knows tokens only; a signed-in session is nobody there
    return user is not None and user.role in roles


def route_is_api(capability: str) -> bool:
    return capability == "api.token"


def _refusal(route: Route, who: str, capability: str, response) -> str | None:
    """Why the refusal looks wrong, or None."""
    if route_is_api(capability):  # a 405 (a GET-only endpoint posted to) tells nothing either
        return None if response.status_code in (401, 405) else f"{response.status_code}, not 401"
    if route.namespace == "admin" or who in SIGNED_OUT:
        login = settings.LOGIN_URL if route.namespace != "admin" else "login"
        location = response.get("Location", "")
        if response.status_code == 302 and ("login" in location or login in location):
            return None
        return f"{response.status_code} {location}, not a redirect to sign in"
    return None if response.status_code == 403 else f"{response.status_code}, not 403"


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _leaks(who: str, world: World, body: bytes) -> list[str]:
    found = []
    if who not in CLINICAL and world.canary.encode() in body:
        found.append("the internal note")
    if who not in SEES_PATIENT_A and world.surname_a.encode() in body:
        found.append("A's patient's name")
    if SIDE.get(who) == "a" and world.surname_b.encode() in body:
        found.append("B's patient's name")
    return found


def _denied_rows() -> int:
    return AuditEvent.objects.filter(action="access_denied").count()


def _footprint() -> dict:
    skip = {"core.AuditEvent", "sessions.Session", "accounts.ApiToken"}
    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.managed and m._meta.label not in skip and not m._meta.label.startswith(("axes.", "mfa."))
    }


# ------------------------------------------------------------------ the matrix


def _posted(route: Route) -> bool:
    """Every URL is posted to, but of the admin's per-record pages only those that change or delete."""
    return route.namespace != "admin" or not route.keys or route.name.endswith(("_change", "_delete"))


def test_the_role_table_names_real_roles_and_kinds():
    from liaison.accounts.choices import Role

    for name, rule in TABLE.items():
        assert rule.kind in ("read", "do", "record"), name
        assert rule.roles is None or (rule.roles and rule.roles <= set(Role.values)), name
    assert "admin" not in TABLE["referral.view"].roles | TABLE["care.session.record"].roles
    assert not any(
        "admin" in (r.roles or ()) for n, r in TABLE.items() if n.startswith(("referral.", "care.", "comms."))
    )


@pytest.mark.parametrize("route", ROUTES, ids=IDS)
def test_every_url_is_in_the_role_table(route):
    capability = url_capability(route.callback, route.namespace, route.name)
    assert capability is not None, f"{route.label} ({route.route}) is in no row of liaison/accounts/access.py"
    assert capability in TABLE, f"{route.label} names {capability!r}, which the table does not have"


@pytest.mark.django_db
class TestEveryUrlAsEveryone:
    """Each test runs in a savepoint inside the class's transaction: what one URL's requests write is undone."""

    @pytest.mark.parametrize("route", ROUTES, ids=IDS)
    def test_get(self, route, world):
        capability = url_capability(route.callback, route.namespace, route.name)
        if capability is None:
            pytest.fail(f"{route.label} is not classified in the role table")
        problems = []
        for side in _sides(route):
            url = _url(route, world, side)
            for who in _actors(route):
                problem = self._one(route, capability, who, side, url, world)
                if problem:
                    problems.append(f"{who} GET {url}: {problem}")
        assert not problems, "\n".join(problems)

    def _one(self, route, capability, who, side, url, world) -> str | None:
        before = _denied_rows()
        response = world.clients[who].get(url)
        body = _body(response)
        leaks = _leaks(who, world, body)
        if leaks:
            return "shows " + " and ".join(leaks)
        if response.status_code >= 500:
            return f"server error {response.status_code}"
        if not _holds(who, capability, world):
            wrong = _refusal(route, who, capability, response)
            if wrong:
                return wrong
            if response.status_code == 403 and _denied_rows() == before:
                return "a 403 with no audit row"
            return None
        return self._allowed(route, capability, who, side, response, before)

    def _allowed(self, route, capability, who, side, response, before) -> str | None:
        status = response.status_code
        own = not _practice_scoped(route) or SIDE.get(who, side) == side
        if TABLE[capability].roles is None:
            return None
        if who in SIDE and not own:
            if status != 404:
                return f"{status} on the other practice's record, not 404"
            if _denied_rows() == before:
                return "a 404 on someone else's record with no audit row"
            return None
        if status in (401, 403) and not (route.namespace == "admin" and status == 403):
            return f"refused ({status}) though the role table allows it"
        if route.label in OWNER and who != OWNER[route.label]:
            if status != 404 or _denied_rows() == before:
                return f"{status} on someone else's own record, not a 404 with an audit row"
            return None
        if status == 404 and route.namespace != "admin" and capability != NO_RECORD:
            return "404 on a record this role may see"
        return None

    @pytest.mark.parametrize("route", [r for r in ROUTES if _posted(r)], ids=[
        i for r, i in zip(ROUTES, IDS, strict=True) if _posted(r)
    ])  # fmt: skip
    def test_post_by_those_who_may_not_changes_nothing(self, route, world):
        capability = url_capability(route.callback, route.namespace, route.name)
        if capability is None:
            pytest.fail(f"{route.label} is not classified in the role table")
        data = {"text": "x", "to": "acknowledged", "decision": "merge", "note": "x", "action": "log", "version": "1"}
        before, problems = _footprint(), []
        for side in _sides(route):
            url = _url(route, world, side)
            for who in _actors(route):
                if _holds(who, capability, world):
                    continue
                response = world.clients[who].post(url, data)
                wrong = _refusal(route, who, capability, response)
                if wrong:
                    problems.append(f"{who} POST {url}: {wrong}")
                leaks = _leaks(who, world, _body(response))
                if leaks:
                    problems.append(f"{who} POST {url}: shows " + " and ".join(leaks))
        assert _footprint() == before, f"a refused POST to {route.label} changed something"
        assert not problems, "\n".join(problems)
