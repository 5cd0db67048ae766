"""Who may do what: the one role table.

Every page, action and API endpoint names one capability from TABLE; the table says which roles hold it and
whether it reads, does or records something. Views declare theirs with `@allowed("referral.view")`; the few views
that are not ours to decorate (Django's admin, the JSON API, allauth's sign-in and second-step pages) are classified
in URLS. Services that check a role take their sets from here too (`roles_for`), and templates ask `user|may:"…"`.
A test walks every URL of the site and fails on one that is in neither (liaison/core/tests/test_access_matrix.py).

Which *records* a role sees within a capability (a referrer their own referrals, a practice administrator their
practice's) is decided in each app's queries; a record that exists but is out of the asker's scope is a 404 that
goes on the audit trail (`out_of_scope`).

The shape, in words:
- the clinical team (coordinator, clinician, director) works with patients' records; the director holds every
  capability the clinical team holds, and the on-time figures, the relationships and the audit report besides;
- the liaison sees relationships, referrers and counts, never a patient's record;
- the IT administrator manages accounts, settings, reference data and the audit trail, never clinical data;
- referring clinicians and practice administrators reach the portal, the public forms, their account and
  the API with a token, and nothing else.
"""

from dataclasses import dataclass

from django.http import Http404

from liaison.accounts.choices import CLINICAL_STAFF_ROLES, OUTSIDE_ROLES, STAFF_ROLES, Role
from liaison.core.audit import audit_log
from liaison.core.permissions import allowed, may, use_table

__all__ = ["TABLE", "URLS", "allowed", "may", "roles_for", "out_of_scope", "url_capability"]

COORDINATOR, CLINICIAN, LIAISON, DIRECTOR, ADMIN = (
    Role.COORDINATOR,
    Role.CLINICIAN,
    Role.LIAISON,
    Role.DIRECTOR,
    Role.ADMIN,
)
REFERRER, REFERRER_ADMIN = Role.REFERRER, Role.REFERRER_ADMIN

CLINICAL_TEAM = CLINICAL_STAFF_ROLES  # coordinator, clinician, director
STAFF = STAFF_ROLES
OUTSIDE = OUTSIDE_ROLES
SIGNED_IN = STAFF | OUTSIDE
ANYONE = None  # no sign-in needed: the public forms, a patient's questionnaire link, sign-in itself

READ, DO, RECORD = "read", "do", "record"


@dataclass(frozen=True)
class Capability:
    roles: frozenset | None  # None: anyone, signed in or not
    kind: str  # READ, DO or RECORD
    says: str  # in plain words, for the user guide and the 403 page


def _cap(roles, kind: str, says: str) -> Capability:
    return Capability(None if roles is None else frozenset(roles), kind, says)


TABLE: dict[str, Capability] = {
    # ------------------------------------------------------------ open to anyone
    "site.health": _cap(ANYONE, READ, "The health check for load balancers."),
    "account.sign_in": _cap(ANYONE, DO, "Sign in."),
    "account.sign_out": _cap(ANYONE, DO, "Sign out."),
    "intake.public": _cap(ANYONE, RECORD, "Send a referral or a self-referral through the public forms."),
    "questionnaire.answer": _cap(ANYONE, RECORD, "Answer a questionnaire through the link the practice sent."),
    # ------------------------------------------------------------ anyone signed in
    "site.home": _cap(SIGNED_IN, READ, "The first page after signing in, which depends on the role."),
    "account.own": _cap(SIGNED_IN, DO, "See one's own account and change one's password."),
    "account.mfa": _cap(SIGNED_IN, DO, "Set up and manage one's second sign-in step (app, recovery codes, passkeys)."),
    "account.notifications": _cap(
        CLINICAL_TEAM, DO, "Choose which notifications one receives by email (safety alerts always go)."
    ),
    # ------------------------------------------------------------ the referrer portal (outside roles)
    "portal.view": _cap(OUTSIDE, READ, "Follow the referrals one sent (a practice administrator: the practice's)."),
    "portal.reply": _cap(
        OUTSIDE, RECORD, "Answer the practice on a referral: a message, PDF files, the missing history."
    ),
    "api.token": _cap(OUTSIDE, RECORD, "Send and follow referrals from an EHR with an API token."),
    "api.schema": _cap(ANYONE, READ, "The API's description (OpenAPI) and its documentation page."),
    "reference.lookup": _cap(ANYONE, READ, "Look up the curated ICD-10 codes (the public form uses them too)."),
    # ------------------------------------------------------------ shared by the clinical team and the portal
    "referral.attachment": _cap(
        CLINICAL_TEAM | OUTSIDE, READ, "Download a referral's attachment (outside roles: on their own referrals)."
    ),
    "letter.read": _cap(
        CLINICAL_TEAM | OUTSIDE, READ, "Read a letter as sent (outside roles: signed letters on their referrals)."
    ),
    # ------------------------------------------------------------ referrals (the clinical team)
    "referral.list": _cap(CLINICAL_TEAM, READ, "The referrals inbox."),
    "referral.view": _cap(CLINICAL_TEAM, READ, "A referral's staff page: notes, screening, the care panel."),
    "referral.receive": _cap(CLINICAL_TEAM, RECORD, "Enter a referral that came by phone or fax."),
    "referral.transition": _cap(CLINICAL_TEAM, DO, "Move a referral on (the lifecycle says which role may which)."),
    "referral.decide": _cap(
        {CLINICIAN, DIRECTOR}, DO, "The clinical moves: evaluated, accepted or not, a series begun or ended, returned."
    ),
    "referral.assign": _cap(CLINICAL_TEAM, DO, "Assign a referral's coordinator and clinician."),
    "referral.note": _cap(CLINICAL_TEAM, RECORD, "Add an internal note to a referral."),
    "referral.message": _cap(
        CLINICAL_TEAM, RECORD, "Write to the referrer from a referral's page, and mark their replies read."
    ),
    "referral.duplicate": _cap(CLINICAL_TEAM, DO, "Decide whether a possible duplicate is the same patient."),
    "referral.safety_review": _cap(
        {CLINICIAN, DIRECTOR}, RECORD, "Record the review of an urgent referral's safety flags."
    ),
    # ------------------------------------------------------------ care
    "care.session.record": _cap({CLINICIAN, DIRECTOR}, RECORD, "Record a treatment session."),
    "care.score.record": _cap(CLINICAL_TEAM, RECORD, "Record PHQ-9 and GAD-7 scores."),
    "care.link.send": _cap(CLINICAL_TEAM, DO, "Send a patient a questionnaire link."),
    "care.alert.read": _cap(CLINICAL_TEAM, READ, "See open safety alerts."),
    "care.alert.acknowledge": _cap({CLINICIAN, DIRECTOR}, DO, "Acknowledge a safety alert."),
    "care.item9.record": _cap({CLINICIAN, DIRECTOR}, RECORD, "Record a PHQ-9 item 9 that was not asked."),
    "care.schedule": _cap(CLINICAL_TEAM, READ, "The schedule by day and week, a booking, its calendar invitation."),
    "care.booking": _cap(CLINICAL_TEAM, RECORD, "Book an evaluation or a session, move it, record who came."),
    "care.outcomes": _cap({LIAISON, *CLINICAL_TEAM}, READ, "Outcome rates in aggregate, never a patient."),
    # ------------------------------------------------------------ letters to referrers
    "comms.queue": _cap(CLINICAL_TEAM, READ, "The work queue of letters owed."),
    "comms.owed": _cap(CLINICAL_TEAM, READ, "What a referral owes its referrer next."),
    "comms.letter.draft": _cap(CLINICAL_TEAM, RECORD, "Draft and edit a letter."),
    "comms.letter.sign": _cap(
        CLINICAL_TEAM, DO, "Sign and send an administrative letter (acknowledgment and the like)."
    ),
    "comms.letter.sign_clinical": _cap(
        {CLINICIAN, DIRECTOR}, DO, "Sign a clinical letter (evaluation, progress, outcome)."
    ),
    "comms.outbox": _cap(
        CLINICAL_TEAM, READ, "The outbox: letters in flight or failed by channel, and what holds them up per referrer."
    ),
    "comms.outbox.retry": _cap(CLINICAL_TEAM, DO, "Send a failed letter again."),
    "comms.sla": _cap({COORDINATOR, DIRECTOR}, READ, "How fast referrers hear back, in figures."),
    "demo.mail": _cap(CLINICAL_TEAM, READ, "In the demo only: the letters the demo's mail catcher received."),
    # ------------------------------------------------------------ relationships (no patient data)
    "directory.read": _cap(STAFF, READ, "The referring clinicians, with counts of referrals."),
    "directory.contact": _cap(
        {COORDINATOR, DIRECTOR, ADMIN}, RECORD, "Correct a referring clinician's email, fax and preferred channel."
    ),
    "search": _cap(
        STAFF, READ, "The search box: referrers and practices; patients and their referrals for the clinical team."
    ),
    "crm.read": _cap(STAFF, READ, "Relationships, targets, meetings and tasks: counts, never patients."),
    "crm.write": _cap({LIAISON, DIRECTOR, ADMIN}, RECORD, "Log outreach, meetings and tasks; save lists; import."),
    # ------------------------------------------------------------ running the practice
    "audit.read": _cap({ADMIN, DIRECTOR}, READ, "The audit trail."),
    "admin.site": _cap({ADMIN}, DO, "Accounts, settings and reference data in the administration site."),
}

# URLs whose views are not ours to decorate: by "namespace:name", or by namespace for a whole area.
URLS: dict[str, str] = {
    "admin": "admin.site",
    "api": "api.token",
    "accounts:login": "account.sign_in",
    "accounts:logout": "account.sign_out",
    "accounts:password_change": "account.own",
    "accounts:account": "account.own",
    "admin:login": "account.sign_in",
    "admin:logout": "account.sign_out",
    # allauth's pages, under the names allauth looks up (liaison/accounts/allauth_urls.py)
    "account_login": "account.sign_in",
    "admin_login": "account.sign_in",
    "mfa_authenticate": "account.sign_in",  # the second step of signing in
    "account_logout": "account.sign_out",
    "account_reauthenticate": "account.mfa",
    "mfa_index": "account.mfa",
    "mfa_reauthenticate": "account.mfa",
    "mfa_activate_totp": "account.mfa",
    "mfa_deactivate_totp": "account.mfa",
    "mfa_view_recovery_codes": "account.mfa",
    "mfa_generate_recovery_codes": "account.mfa",
    "mfa_download_recovery_codes": "account.mfa",
    "mfa_list_webauthn": "account.mfa",
    "mfa_add_webauthn": "account.mfa",
    "mfa_reauthenticate_webauthn": "account.mfa",
    "mfa_remove_webauthn": "account.mfa",
    "mfa_edit_webauthn": "account.mfa",
    "api:openapi-json": "api.schema",
    "api:openapi-view": "api.schema",
    "api:api-root": "api.schema",
    "api:icd10_search": "reference.lookup",
}


def roles_for(capability: str) -> frozenset:
    """The roles that hold a capability that needs signing in."""
    roles = TABLE[capability].roles
    if roles is None:
        raise ValueError(f"{capability} is open to anyone; it has no list of roles.")
    return roles


def install() -> None:
    """Hand the table to the mechanism in core (called once, when the accounts app is ready)."""
    use_table({name: rule.roles for name, rule in TABLE.items()})


install()  # importing the table is enough to use it; apps.py imports it at start-up


def url_capability(callback, namespace: str, name: str) -> str | None:
    """The capability a resolved URL is classified under, or None if it is not classified."""
    declared = getattr(callback, "capability", None)
    full = f"{namespace}:{name}" if namespace else name
    return declared or URLS.get(full or "") or (URLS.get(namespace.split(":")[0]) if namespace else None)


def out_of_scope(*, user, model, pk, patient_field: str = "", message: str = "Not found.") -> Http404:
    """The 404 for a record the asker may not see. When the record exists, the attempt goes on the audit trail
    with the record named; the answer is the same 404 either way, so nobody learns which records exist."""
    fields = ["pk", patient_field] if patient_field else ["pk"]
    try:
        row = model._default_manager.filter(pk=pk).values(*fields).first()
    except (TypeError, ValueError, OverflowError):
        row = None
    if row is not None:
        audit_log(
            actor=user,
            action="access_denied",
            object_type=model._meta.label_lower,
            object_id=pk,
            patient_id=row.get(patient_field) if patient_field else None,
            detail={"status": 404},
        )
    return Http404(message)
