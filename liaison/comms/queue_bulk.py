"""The work queue's bulk action: draft the letters of the selected rows (decision 0043). The first post names the
rows and is answered with a confirmation that changes nothing; the second (`confirm`) drafts each letter through
services.letter_draft, the service the row's own "Draft letter" button uses, in a savepoint of its own, and says
what changed and what was left, and why. A row already drafted, no longer owed, or not one this person may see is
named with its reason and left; a request with no rows or with an id that is not a number changes nothing."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from liaison.accounts.access import allowed
from liaison.comms import services
from liaison.comms.choices import DueStatus, LetterType
from liaison.comms.models import DueCommunication
from liaison.comms.queries import scoped
from liaison.core import lists
from liaison.core.audit import audit_log

LETTER_TYPES = dict(LetterType.choices)
ALREADY_DRAFTED = "Its letter is drafted already: open it from the work queue."
NOT_OWED = "This letter is no longer waiting to be drafted."
NOT_FOUND = "No letter owed with this number is yours to see; it was left alone."


@allowed("comms.letter.draft")
@require_POST
def draft_selected(request):
    back = lists.back_to(request, reverse("comms:queue"))
    ids = lists.selected_or_told(request)
    if ids is None:  # the request itself is wrong: nothing is read or written
        return redirect(back)
    rows = _rows(request.user, ids)
    missing = [pk for pk in ids if pk not in {row.pk for row in rows}]
    audit_log(
        actor=request.user,
        action="list",
        object_type="comms.duecommunication",
        detail={"referrals": [row.referral_id for row in rows], "bulk": "draft", "confirm": bool(_confirmed(request))},
    )
    if missing:  # an id not on this person's referrals (or none at all): on the audit trail, named, left alone
        audit_log(
            actor=request.user,
            action="access_denied",
            object_type="comms.duecommunication",
            detail={"ids": missing, "bulk": "draft"},
        )
    if not _confirmed(request):
        return _confirm(request, rows, missing, ids, back)
    summary = lists.BulkSummary(skipped=[(f"Row {pk}", NOT_FOUND) for pk in missing])
    faulty: dict[int, str] = {}
    summary.run(rows, label, lambda due: _draft(due, request.user, faulty))
    # A letter template that would not render: the single action keeps its reason on the row for the work queue's
    # problems; the row's savepoint undid that, so it is written again here, outside it.
    for pk, problem in faulty.items():
        DueCommunication.objects.filter(pk=pk).update(problem=problem[:300])
    summary.tell(request, "Drafted", ("letter", "letters"))
    return redirect(back)


def _confirmed(request) -> bool:
    return bool(request.POST.get("confirm"))


def _rows(user, ids: list[int]) -> list[DueCommunication]:
    """The rows named, on referrals this person may see, in the order named: one query (the letter, if any, joined)."""
    found = scoped(DueCommunication.objects.all(), user).filter(pk__in=ids)
    found = {row.pk: row for row in found.select_related("referral__patient", "letter")}
    return [found[pk] for pk in ids if pk in found]


def label(due: DueCommunication) -> str:
    patient = due.referral.patient
    name = f"{patient.first_name} {patient.last_name}".strip()
    return f"{LETTER_TYPES.get(due.letter_type, due.letter_type)} for {name} ({due.referral.reference})"


def _refusal(due: DueCommunication) -> str:
    """Why this row's letter will not be drafted, or "" when it will."""
    if getattr(due, "letter", None) is not None:
        return ALREADY_DRAFTED
    if due.status != DueStatus.OWED:
        return NOT_OWED
    return ""


def _draft(due: DueCommunication, by, faulty: dict[int, str]) -> None:
    """One row: refused as the confirmation said (drafted since, no longer owed), else the single action's service.
    A template fault's reason is kept in `faulty` for the caller to put back on the row."""
    reason = _refusal(due)
    if reason:
        raise ValidationError(reason)
    try:
        services.letter_draft(due=due, by=by)
    except ValidationError as exc:
        if hasattr(exc, "message_dict") and "template" in exc.message_dict:
            faulty[due.pk] = " ".join(exc.message_dict["template"])
        raise


def _confirm(request, rows: list[DueCommunication], missing: list[int], ids: list[int], back: str):
    """What will be drafted, and what will be left and why; every id named goes on to the second post, so its
    summary names the rows left too."""
    ready = [row for row in rows if not _refusal(row)]
    left = [f"{label(row)}: {_refusal(row)}" for row in rows if _refusal(row)]
    left += [f"Row {pk}: {NOT_FOUND}" for pk in missing]
    if not ready:  # nothing to confirm: back to the queue, each row named with why it is left
        for text in left:
            messages.warning(request, f"Left as it is: {text}")
        return redirect(back)
    count = len(ready)
    return lists.confirm_page(
        request,
        title=f"Draft {count} letter{'' if count == 1 else 's'}?",
        action=reverse("comms:draft_selected"),
        rows=[label(row) for row in ready],
        hidden=[("ids", pk) for pk in ids],
        button=f"Draft {count} letter{'' if count == 1 else 's'}",
        back=back,
        explain="Each letter is drafted from the record as the row's own Draft letter button drafts it; nothing is "
        "signed or sent. A clinician or coordinator reads and signs each one from its page.",
        errors=[f"Left as it is: {text}" for text in left],
    )
