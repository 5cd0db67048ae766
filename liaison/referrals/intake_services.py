"""Writes for the public forms and staff decisions on screening: a referral from a clinician who may
have no account yet (matched by NPI, or added to the directory), and a person's decision on a
possible duplicate. Referrals themselves are written by services.referral_receive."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.core.audit import audit_log
from liaison.directory.choices import Channel, SourceType
from liaison.directory.models import Referrer, Taxonomy
from liaison.referrals import icd10, services
from liaison.referrals import merge as merging
from liaison.referrals.choices import Status
from liaison.referrals.intake_choices import DuplicateStatus
from liaison.referrals.intake_models import DuplicateFlag

# What a first-time referrer picks as their specialty: NUCC code, its name, and the source type.
SPECIALTIES = {
    "psychiatry": ("2084P0800X", "Psychiatry Physician", SourceType.PSYCHIATRY),
    "psych_np": ("363LP0808X", "Psychiatric/Mental Health Nurse Practitioner", SourceType.PSYCHIATRY),
    "family": ("207Q00000X", "Family Medicine Physician", SourceType.PRIMARY_CARE),
    "internal": ("207R00000X", "Internal Medicine Physician", SourceType.PRIMARY_CARE),
    "psychology": ("103T00000X", "Psychologist", SourceType.THERAPY),
    "social_work": ("1041C0700X", "Clinical Social Worker", SourceType.THERAPY),
    "other": ("208D00000X", "General Practice Physician", SourceType.OTHER),
}
SPECIALTY_CHOICES = [
    ("psychiatry", "Psychiatrist"),
    ("psych_np", "Psychiatric nurse practitioner"),
    ("family", "Family medicine"),
    ("internal", "Internal medicine"),
    ("psychology", "Psychologist"),
    ("social_work", "Clinical social worker or therapist"),
    ("other", "Other clinician"),
]
REFERRER_FIELDS = ("npi", "first_name", "last_name", "credential", "email", "phone")


def _taxonomy(code: str, name: str) -> Taxonomy:
    return Taxonomy.objects.get_or_create(
        code=code, defaults={"grouping": "", "classification": name, "display_name": name}
    )[0]


def referrer_for_intake(*, by, data: dict) -> tuple[Referrer | None, bool, dict]:
    """(referrer, is_new, errors). A signed-in referrer is themselves; otherwise the NPI finds the
    directory record, or a new, unsaved Referrer is checked field by field."""
    if by is not None and getattr(by, "referrer_id", None):
        return by.referrer, False, {}
    npi = (data.get("npi") or "").strip()
    found = Referrer.objects.filter(npi=npi).first() if npi else None
    if found:
        return found, False, {}
    code, name, source = SPECIALTIES.get(data.get("specialty") or "other", SPECIALTIES["other"])
    referrer = Referrer(
        **{f: (data.get(f) or "").strip() for f in REFERRER_FIELDS},
        source_type=source,
        preferred_channel=Channel.EMAIL if data.get("email") else Channel.PORTAL,
    )
    errors = {}
    try:
        referrer.full_clean(exclude=["taxonomy", "practice"], validate_unique=False)
    except ValidationError as exc:
        errors = {f"referrer.{k}": v for k, v in exc.message_dict.items()}
    referrer._intake_taxonomy = (code, name)
    return referrer, True, errors


def intake_submit(*, by, referrer_data: dict | None, patient, referral, diagnoses=(), trials=(), channel, **extra):
    """A referral from the public form or the self-referral form, written whole or not at all.
    Every problem (the referrer's, the patient's, the referral's) is raised together."""
    errors, referrer, is_new = {}, None, False
    if referrer_data is not None:
        referrer, is_new, errors = referrer_for_intake(by=by, data=referrer_data)
    diagnoses = [{**d, "description": d.get("description") or icd10.describe(d.get("code"))} for d in diagnoses]
    try:
        with transaction.atomic():
            if is_new and not errors:
                referrer.taxonomy = _taxonomy(*referrer._intake_taxonomy)
                referrer.save()
                audit_log(actor=by, action="create", obj=referrer, detail={"via": "referral form"})
            chosen = referrer if referrer is not None and not errors else None
            made = services.referral_receive(
                by=by,
                patient=patient,
                referral={**referral, "referrer": chosen},
                diagnoses=diagnoses,
                trials=trials,
                channel=channel,
                **extra,
            )
            if errors:
                raise ValidationError({})
    except ValidationError as exc:
        found = exc.message_dict if hasattr(exc, "error_dict") else {}
        errors.update({k: v for k, v in found.items() if not (k == "referral.referrer" and errors)})
        raise ValidationError(errors) from None
    return made


def duplicate_resolve(*, flag: DuplicateFlag, by, merge: bool) -> DuplicateFlag:
    """A person's decision on a possible duplicate: merge (the newer referral is cancelled as a
    duplicate of the open one, with a note on the kept one's timeline) or dismiss (not the same patient)."""
    decided = ValidationError({"flag": "This possible duplicate has already been decided."})
    if flag.status != DuplicateStatus.OPEN:
        raise decided
    with transaction.atomic():
        # Decided once: two people deciding at the same moment are settled by the flag's row lock.
        if not DuplicateFlag.objects.select_for_update().filter(pk=flag.pk, status=DuplicateStatus.OPEN).exists():
            raise decided
        if merge:
            kept = flag.existing
            services.referral_transition(
                referral=flag.referral, to=Status.CANCELLED, by=by, reason=f"Duplicate of {kept.reference}; merged."
            )
            note = f"{flag.referral.reference} (a second referral for this patient) was merged into this one."
            services.referral_add_note(referral=kept, by=by, text=note)
            merging.merge_keep(kept=kept, merged=flag.referral, by=by)
        flag.status = DuplicateStatus.MERGED if merge else DuplicateStatus.DISMISSED
        flag.resolved_by, flag.resolved_at = by, timezone.now()
        flag.save(update_fields=["status", "resolved_by", "resolved_at"])
        action = "duplicate_merge" if merge else "duplicate_dismiss"
        audit_log(actor=by, action=action, obj=flag.referral, patient_id=flag.referral.patient_id)
    return flag
