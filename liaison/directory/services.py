"""Writes of the directory that carry a rule: the shared-care model each referrer is held to.

The communication protocol reads Referrer.shared_care_model and nothing else. It is set in one of two ways:
the liaison records an agreement with the clinician (their own), or with their practice (every clinician there
without their own follows it). Each change is a SharedCareChange row, so the protocol applies the new model
from that moment on and never to what happened before.

And a referring clinician added by the staff while taking a referral by phone or fax (`referrer_create`); and
their email, fax and preferred channel corrected (`referrer_contact_update`).
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from liaison.core import events
from liaison.core.audit import audit_log
from liaison.directory.choices import Channel, Published, SharedCareModel
from liaison.directory.models import Practice, Referrer, SharedCareChange
from liaison.directory.validators import normalize_phone

DEFAULT_MODEL = SharedCareModel.CONSULTATION


def shared_care_check(model: str) -> dict[str, list[str]]:
    """The error, by field, of an agreement that names no known model ("" is allowed: none agreed)."""
    if model in SharedCareModel.values or model == "":
        return {}
    known = ", ".join(SharedCareModel.values)
    return {"shared_care_model": [f"Unknown shared-care model {model!r}; choose one of {known}."]}


def _check_model(model: str) -> None:
    if errors := shared_care_check(model):
        raise ValidationError(errors)


def shared_care_default(practice: Practice | None) -> str:
    """The model a clinician without their own agreement follows: their practice's, else consultation."""
    return (practice.shared_care_model if practice is not None else "") or DEFAULT_MODEL


def _apply(referrer: Referrer, model: str, *, own: bool, at: datetime, by_label: str) -> bool:
    """Set the referrer's model; a real change is recorded with its moment. True when the model changed."""
    changed = model != referrer.shared_care_model
    if changed:
        SharedCareChange.objects.create(
            referrer=referrer, previous=referrer.shared_care_model, model=model, at=at, by_label=by_label[:150]
        )
        referrer.shared_care_changed_at = at
    referrer.shared_care_model, referrer.shared_care_own = model, own
    Referrer.objects.filter(pk=referrer.pk).update(
        shared_care_model=model, shared_care_own=own, shared_care_changed_at=referrer.shared_care_changed_at
    )
    return changed


def referrer_shared_care_set(*, referrer: Referrer, model: str, by, at: datetime | None = None) -> Referrer:
    """The agreement with this clinician; "" means none of their own: they follow their practice's."""
    _check_model(model)
    at = at or timezone.now()
    with transaction.atomic():
        referrer = Referrer.objects.select_for_update(of=("self",)).select_related("practice").get(pk=referrer.pk)
        before = referrer.shared_care_model
        effective = model or shared_care_default(referrer.practice)
        _apply(referrer, effective, own=bool(model), at=at, by_label=_label(by))
        audit_log(
            actor=by,
            action="directory.shared_care",
            obj=referrer,
            detail={"from": before, "to": effective, "own": bool(model)},
        )
    return referrer


def practice_shared_care_set(*, practice: Practice, model: str, by, at: datetime | None = None) -> Practice:
    """The agreement with a practice; its clinicians without their own agreement follow it from now on."""
    _check_model(model)
    at = at or timezone.now()
    with transaction.atomic():
        Practice.objects.filter(pk=practice.pk).update(shared_care_model=model)
        practice.shared_care_model = model
        effective, label = shared_care_default(practice), f"{_label(by)} (practice agreement)"
        followers = Referrer.objects.select_for_update().filter(practice_id=practice.pk, shared_care_own=False)
        moved = [r.pk for r in followers if _apply(r, effective, own=False, at=at, by_label=label)]
        audit_log(
            actor=by, action="directory.shared_care", obj=practice, detail={"to": model, "referrers": moved[:500]}
        )
    return practice


def _label(by) -> str:
    return by.get_username() if by is not None and getattr(by, "is_authenticated", False) else "liaison"


# ---------------------------------------------------------------- a referrer added by the staff


def referrer_create(
    *,
    by,
    npi: str,
    first_name: str,
    last_name: str,
    taxonomy,
    source_type: str,
    credential: str = "",
    practice_name: str = "",
    phone: str = "",
    fax: str = "",
) -> Referrer:
    """A referring clinician the staff add while taking a referral by phone or fax: checked whole (the NPI by its
    check digit and against the directory, the numbers read as phone numbers), then written with the practice named
    (the directory's practice of that name, else a new one), in the caller's transaction. Bad input raises
    ValidationError by field and writes nothing."""
    fields = {"npi": npi, "first_name": first_name, "last_name": last_name, "credential": credential}
    referrer = Referrer(**{k: (v or "").strip() for k, v in fields.items()}, taxonomy=taxonomy, source_type=source_type)
    errors = {}
    for field, value in (("phone", phone), ("fax", fax)):
        try:
            setattr(referrer, field, normalize_phone((value or "").strip()))
        except ValidationError as exc:
            errors[field] = exc.messages
    try:
        referrer.full_clean(exclude=["practice", "phone", "fax"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        name = (practice_name or "").strip()
        if name:
            referrer.practice = Practice.objects.filter(name__iexact=name).order_by("id").first()
            referrer.practice = referrer.practice or Practice.objects.create(name=name[:200])
        referrer.shared_care_model = shared_care_default(referrer.practice)
        referrer.save()
        audit_log(actor=by, action="create", obj=referrer, detail={"via": "staff referral form"})
    return referrer


# ---------------------------------------------------------------- where letters to a referrer go

CONTACT_FIELDS = ("email", "fax", "preferred_channel")


def has_portal_account(referrer: Referrer | None) -> bool:
    """Whether this clinician can sign in to the referrer portal (an active account), as comms.delivery asks
    before sending a letter there; asked through the reverse relation, so the directory imports no app above it."""
    return bool(referrer and referrer.pk) and referrer.accounts.filter(is_active=True).exists()


def _channel_refusal(*, name: str, email: str, fax: str, channel: str, portal: bool) -> str:
    """Why letters could not go by this preferred channel, in a sentence, or "" when they can. The EHR (FHIR)
    channel never can: the directory holds no FHIR address for anyone, and comms.delivery has no way to send
    there, so choosing it would only promise what does not happen."""
    if channel == Channel.PORTAL and not portal:
        return (
            f"{name} has no portal account, so letters cannot go through the referrer portal. "
            "Choose secure email or fax, or invite them to the portal first."
        )
    if channel == Channel.FHIR:
        return (
            f"Letters cannot be sent to {name}'s EHR (FHIR): there is no FHIR address on file for anyone. "
            "Choose secure email, fax or the referrer portal."
        )
    if channel == Channel.EMAIL and not email:
        return f"Secure email cannot reach {name} without an email address: add one, or choose another channel."
    if channel == Channel.FAX and not fax:
        return f"Fax cannot reach {name} without a fax number: add one, or choose another channel."
    return ""


def channel_problem(referrer: Referrer) -> str:
    """What is wrong with the referrer's stored preferred channel, for a warning line (their contact form and
    their relationship page), or "" when letters can go that way. At most one query: whether they have a portal
    account, asked only when the channel is the portal or no email address and no fax number are on file."""
    channel = referrer.preferred_channel
    portal = (channel == Channel.PORTAL or not (referrer.email or referrer.fax)) and has_portal_account(referrer)
    label = Channel(channel).label if channel in Channel.values else channel
    if not _channel_refusal(
        name=referrer.display_name, email=referrer.email, fax=referrer.fax, channel=channel, portal=portal
    ):
        return ""
    why = {
        Channel.PORTAL: "they have no portal account",
        Channel.FHIR: "there is no FHIR address on file",
        Channel.EMAIL: "there is no email address on file",
        Channel.FAX: "there is no fax number on file",
    }.get(channel, "it is not a channel letters go by")
    said = f"Letters cannot go by their preferred channel ({label}): {why}."
    if not referrer.email and not referrer.fax and not portal:
        said += " With no email address or fax number either, letters cannot reach them at all."
    return said


def referrer_contact_check(
    *, referrer: Referrer, email: str, fax: str, preferred_channel: str
) -> tuple[dict, dict[str, list[str]]]:
    """The contact details as they would be stored (the fax in E.164 form, the email trimmed) and the errors by
    field: an email address that is not one, a fax that is not a phone number, an unknown channel, a preferred
    channel that cannot reach them (the portal without a portal account, the EHR, email without an email
    address, fax without a fax number), and details that leave no way at all to reach them (no email address,
    no fax number and no portal account)."""
    email, fax, channel = (email or "").strip(), (fax or "").strip(), (preferred_channel or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        if email:
            validate_email(email)
    except ValidationError:
        errors["email"] = [f"{email!r} is not an email address; write it as name@example.org."]
    try:
        fax = normalize_phone(fax)
    except ValidationError as exc:
        errors["fax"] = exc.messages
    portal = has_portal_account(referrer)
    name = referrer.display_name
    if channel not in Channel.values:
        known = ", ".join(str(label) for label in Channel.labels)
        errors["preferred_channel"] = [f"Choose one of the channels: {known}."]
    else:
        refusal = _channel_refusal(name=name, email=email, fax=fax, channel=channel, portal=portal)
        if refusal:
            errors["preferred_channel"] = [refusal]
        if channel == Channel.EMAIL and not email and "email" not in errors:
            errors["email"] = ["Secure email is the preferred channel, so an email address is needed."]
        elif channel == Channel.FAX and not fax and "fax" not in errors:
            errors["fax"] = ["Fax is the preferred channel, so a fax number is needed."]
    if not email and not fax and not portal:
        nowhere = f"{name} has no portal account, so letters need an email address or a fax number: give at least one."
        for field in ("email", "fax"):
            errors.setdefault(field, [nowhere])
    return {"email": email, "fax": fax, "preferred_channel": channel}, errors


def referrer_contact_update(*, referrer: Referrer, by, email: str, fax: str, preferred_channel: str) -> list[str]:
    """Correct where letters to this clinician go: their email, fax number and preferred channel, checked whole
    first (bad input, or details that cannot reach them, raise ValidationError naming each field and write
    nothing; see referrer_contact_check). The fields that changed are returned, written on the audit trail with
    their values before and after, and published as `directory.referrer_contact_changed` (Published), so the
    letters held up for want of an address can be looked at again by whoever sends them."""
    values, errors = referrer_contact_check(
        referrer=referrer, email=email, fax=fax, preferred_channel=preferred_channel
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = Referrer.objects.select_for_update().get(pk=referrer.pk)
        changed = {f: [getattr(current, f), v] for f, v in values.items() if getattr(current, f) != v}
        if changed:
            Referrer.objects.filter(pk=current.pk).update(**{f: values[f] for f in changed})
            audit_log(actor=by, action="directory.referrer.contact", obj=current, detail={"changed": changed})
            events.publish(Published.CONTACT_CHANGED, referral_id=None, referrer_id=current.pk, fields=list(changed))
    for name, value in values.items():
        setattr(referrer, name, value)
    return list(changed)
