"""Reads of referrals, always scoped to who is asking. Looking a referral up by id anywhere
else is a defect: pages, the API and reports come through here."""

from dataclasses import dataclass

from django.db.models import Expression, F, Prefetch, QuerySet
from django.utils import timezone

from liaison.accounts.access import out_of_scope
from liaison.accounts.choices import Role
from liaison.referrals.models import Diagnosis, MedicationTrial, Referral, ReferralEvent

INBOX_PAGE_SIZE = 50
# What an inbox or portal row shows (rows.py writes them): plain values, not five model objects per row.
ROW_FIELDS = (
    "id", "urgency", "received_at", "channel", "source_type", "status", "is_open", "next_action",
    "next_action_role", "next_action_due_at", "patient__first_name", "patient__last_name", "patient__date_of_birth",
    "referrer_id", "referrer__first_name", "referrer__last_name", "referrer__credential",
)  # fmt: skip
INBOX_FIELDS = (
    *ROW_FIELDS, "next_action_owner_id", "next_action_owner__first_name", "next_action_owner__last_name",
    "next_action_owner__username", "screening__id", "screening__safety", "screening__resistance",
    "screening__adequate_failed", "screening__unclear_trials", "screening__missing_count",
    "screening__possible_duplicate",
)  # fmt: skip


def referral_scope(user) -> QuerySet[Referral]:
    """Every referral this person may see: clinical staff see the clinic's; a referring clinician
    the ones they made; a referring practice's administrator their practice's; anyone else none."""
    referrals = Referral.objects.all()
    if not user.is_authenticated or not user.is_active:
        return referrals.none()
    if user.sees_all_referrals:
        return referrals
    if user.role == Role.REFERRER and user.referrer_id:
        return referrals.filter(referrer_id=user.referrer_id)
    if user.role == Role.REFERRER_ADMIN and user.practice_id:
        return referrals.filter(referrer__practice_id=user.practice_id)
    return referrals.none()


@dataclass(frozen=True)
class InboxFilters:
    status: str = "open"  # "open", "closed", "all" or one status
    source_type: str = ""
    owner: str = ""  # "", "me", "unassigned" or a user id
    overdue: bool = False
    after: int = 0  # offset of the page


def referral_list(*, user, filters: InboxFilters) -> list[dict]:
    """One page of the inbox: urgent first, then by when the next action is due, as INBOX_FIELDS.

    Returns up to INBOX_PAGE_SIZE + 1 rows, so the page knows whether there is a next one
    without counting the whole table."""
    qs = referral_scope(user)
    if filters.status == "open":
        qs = qs.filter(is_open=True)
    elif filters.status == "closed":
        qs = qs.filter(is_open=False)
    elif filters.status and filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.source_type:
        qs = qs.filter(source_type=filters.source_type)
    if filters.owner == "me":
        qs = qs.filter(next_action_owner=user)
    elif filters.owner == "unassigned":
        qs = qs.filter(is_open=True, next_action_owner__isnull=True)
    elif filters.owner.isdigit():
        qs = qs.filter(next_action_owner_id=int(filters.owner))
    if filters.overdue:
        qs = qs.filter(is_open=True, next_action_due_at__lt=timezone.now())
    if filters.status == "open":
        qs = qs.order_by("is_open", "-urgency_rank", "next_action_due_at", "-received_at", "-id")
    else:
        # Closed referrals have no due time: they come after open work on every database.
        qs = qs.order_by("-urgency_rank", F("next_action_due_at").asc(nulls_last=True), "-id")
    return list(qs.values(*INBOX_FIELDS)[filters.after : filters.after + INBOX_PAGE_SIZE + 1])


# What the staff's referral page shows with the referral. Not the assigned coordinator and clinician: the page shows
# them from the care team's lists by id, and two more joins doubled the time PostgreSQL took to plan this query
# (1.6 against 3.0 ms).
PAGE_RELATED = (
    "patient", "referrer", "referrer__practice", "referrer__taxonomy", "next_action_owner",
    "screening",  # the screening panel (intake)
    "safety_review", "safety_review__decided_by",  # the clinician's safety review of an urgent referral
)  # fmt: skip


# Facts other apps' parts of the referral page need, read in the referral's own query rather than one more round
# trip each: name → expression over the referral's row. The care app adds whether the referral has sessions, scores,
# open alerts and questionnaire links (liaison/care/apps.py), so its panel skips the lists that have none.
PAGE_ANNOTATIONS: dict[str, Expression] = {}


def referral_get(*, user, pk: int, related: tuple[str, ...] = PAGE_RELATED) -> Referral:
    """One referral with everything its page shows (`related`, joined; its diagnoses and trials; PAGE_ANNOTATIONS
    with the page's own related), or 404 if this person may not see it (a 404, not a 403: an outsider learns nothing
    about which referrals exist)."""
    annotations = PAGE_ANNOTATIONS if related is PAGE_RELATED else {}
    return _scoped_get(
        user,
        pk,
        referral_scope(user)
        .select_related(*related)
        .annotate(**annotations)
        .prefetch_related(
            Prefetch("diagnoses", queryset=Diagnosis.objects.order_by("id")),
            Prefetch("trials", queryset=MedicationTrial.objects.order_by("id")),
        ),
    )


def referral_row(*, user, pk: int) -> Referral:
    """The referral's own row, without the related rows, diagnoses and trials its page reads, scoped and refused as
    referral_get: for a page that only names the referral (what it owes its referrer). One query without joins."""
    return _scoped_get(user, pk, referral_scope(user))


def _scoped_get(user, pk: int, referrals: QuerySet[Referral]) -> Referral:
    try:
        return referrals.get(pk=pk)
    except Referral.DoesNotExist:
        raise out_of_scope(
            user=user, model=Referral, pk=pk, patient_field="patient_id", message="No such referral."
        ) from None


def referral_timeline(referral: Referral) -> list[ReferralEvent]:
    return list(ReferralEvent.objects.filter(referral_id=referral.pk).select_related("actor").order_by("at", "id"))


def referral_safety_flags(referral: Referral) -> list[str]:
    """The safety considerations the referrer marked, in words, most serious first."""
    flags = []
    if referral.suicidal_ideation_current:
        flags.append("Current suicidal ideation")
    if referral.suicide_attempt_history == "recent":
        flags.append("Suicide attempt within the past year")
    elif referral.suicide_attempt_history == "past":
        flags.append("Past suicide attempt")
    item9 = referral.phq9_item9_known
    if item9:
        flags.append(f"PHQ-9 item 9 answered {item9}")
    elif item9 is None and (referral.phq9_score or 0) >= 25:
        flags.append(f"PHQ-9 total {referral.phq9_score} with item 9 not asked: item 9 is at least 1")
    checks = [
        ("psychosis_or_mania_history", "History of psychosis or mania"),
        ("uncontrolled_hypertension", "Uncontrolled hypertension"),
        ("cardiac_disease", "Unstable cardiac disease"),
        ("aneurysmal_vascular_disease", "Aneurysmal vascular disease or AVM"),
        ("intracerebral_haemorrhage", "History of intracerebral haemorrhage"),
        ("pregnancy", "Pregnant or planning pregnancy"),
        ("seizures", "Seizure disorder"),
    ]
    flags += [text for field, text in checks if getattr(referral, field)]
    if referral.substance_use == "active":
        flags.append("Active substance use")
    return flags


def staff_choices(*roles: str):
    from liaison.accounts.models import User

    return User.objects.filter(role__in=roles, is_active=True).order_by("first_name", "last_name")


def referral_of(event):
    """The referral an event (liaison.core.events) is about, for the apps that react: the publisher's own
    object when the handler runs in its transaction, else loaded once for the worker's whole batch (with its
    referrer). None when it has since been deleted."""
    if "referral" in event.context:
        return event.context["referral"]
    cache = event.shared.setdefault("referrals", {})
    if event.referral_id not in cache:
        ids = (set(event.shared.get("referral_ids", ())) | {event.referral_id}) - set(cache)
        found = Referral.objects.select_related("referrer").in_bulk(ids)
        cache.update({pk: found.get(pk) for pk in ids})
    return cache.get(event.referral_id)
