"""The outbox page: every letter in flight or failed, by channel, with Send again (one letter, or the selected ones
after one confirmation), and the problems that hold letters up, grouped per referrer with the action that fixes
them. Sending again goes through services.outbox_retry, the service the letter page uses: one service, one set of
rules."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from liaison.accounts.access import allowed, may
from liaison.comms import outbox_queries, services
from liaison.comms.choices import LetterType, OutboxStatus
from liaison.comms.models import Outbox
from liaison.comms.outbox_queries import BAD_ADDRESS, CHANNELS, NO_ADDRESS, NO_CHANNEL, PAGE
from liaison.core.audit import audit_log
from liaison.referrals.queries import referral_scope

LETTER_TYPES = dict(LetterType.choices)
ADDRESS_NOTE = "An administrator adds or corrects addresses under Reference data"
GATEWAY_NOTE = "An administrator sets the practice's fax gateway under Reference data"
ADDRESS_FIELD = {"email": ("email address", "email"), "fax": ("fax number", "fax")}


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


@allowed("comms.outbox")
def outbox(request):
    """The outbox; `?channel=fax&page=2` shows one channel's further pages."""
    channel = request.GET.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        known = ", ".join(CHANNELS)
        return HttpResponseBadRequest(f"There is no channel {channel!r} in the outbox: the channels are {known}.")
    page = request.GET.get("page", "1")
    page = int(page) if page.isdigit() else 1
    found = outbox_queries.outbox_page(user=request.user, channel=channel, page=page)
    audit_log(
        actor=request.user,
        action="list",
        object_type="comms.outbox",
        detail={"referrals": found.referral_ids()[:500], "channel": channel or "", "page": page},
    )
    context = {
        "outbox": found,
        "channels": [(c, [_row(r) for r in c.rows]) for c in found.channels],
        "problems": [
            (group, [_fix(group, p, found.fax_gateway) for p in group.problems]) for group in found.referrers
        ],  # fmt: skip
        "may_retry": may(request.user, "comms.outbox.retry"),
        "only": channel,
        "page_size": PAGE,
    }
    return render(request, "comms/outbox.html", context)


def _row(row: dict) -> dict:
    patient = f"{row['letter__referral__patient__first_name']} {row['letter__referral__patient__last_name']}"
    referrer = (
        f"{row['letter__referral__referrer__first_name'] or ''} {row['letter__referral__referrer__last_name'] or ''}"
    )
    credential = row["letter__referral__referrer__credential"]
    referrer = f"{referrer.strip()}, {credential}" if credential else referrer.strip()
    return row | {
        "letter_type": LETTER_TYPES.get(row["letter__letter_type"], row["letter__letter_type"]),
        "patient": patient.strip(),
        "referrer": referrer or "Self-referral",
        "reference": f"R-{row['letter__referral_id']:06d}",  # as Referral.reference writes it
        "failed": row["status"] == OutboxStatus.FAILED,
    }


def _fix(group, problem, fax_gateway: bool) -> dict:
    """What holds this referrer's letters up, in words, and what fixes it. A referrer's addresses and the fax
    gateway are edited in the administration site, which is the IT administrator's alone: the page says so, with
    the referrer's record (their phone number) beside it; a failure of another kind links to its letters."""
    letters = f"{problem.letters:,} letter{'' if problem.letters == 1 else 's'}"
    said = {"letters": letters, "not_signed": problem.kind == NO_CHANNEL, "url": "", "note": ADDRESS_NOTE}
    what, field = ADDRESS_FIELD.get(problem.channel, ("address", "email"))
    if problem.kind == NO_CHANNEL:
        if group.fax and not fax_gateway:
            text = "A fax number is on file, but the practice has no fax gateway"
            return said | {"text": text, "action": "set one up", "note": GATEWAY_NOTE}
        if not group.email and not group.fax:
            return said | {"text": "No email address or fax number on file", "action": "add one"}
        return said | {"text": "No usable channel when these letters were owed", "action": "check the address"}
    if problem.kind == NO_ADDRESS:
        return said | {"text": f"No {what} on file", "action": "add one"}
    if problem.kind == BAD_ADDRESS:
        shown = group.fax if field == "fax" else group.email
        text = f"The {what} on file ({shown}) does not work" if shown else f"No {what} on file"
        return said | {"text": text, "action": "correct it"}
    by = CHANNELS.get(problem.channel, problem.channel).lower()
    text = f"Delivery by {by} failed (each letter says why)"
    url = f"#channel-{problem.channel}"
    return said | {"text": text, "action": "fix it, then send them again", "url": url, "note": ""}


@allowed("comms.outbox.retry")
@require_POST
def outbox_send_again(request):
    """Send again the failed letters chosen (`outbox`, one or many): the selected ones are confirmed once first
    (`confirm=yes` sends), each goes through services.outbox_retry, and the page says what changed."""
    raw = request.POST.getlist("outbox")
    if any(not value.isdigit() for value in raw):
        return HttpResponseBadRequest("outbox: each letter chosen must be an outbox number.")
    ids = list(dict.fromkeys(int(value) for value in raw))
    back = reverse("comms:outbox")
    if not ids:
        messages.error(request, "Choose at least one failed letter to send again.")
        return redirect(back)
    if len(ids) > PAGE:
        return HttpResponseBadRequest(f"outbox: at most {PAGE} letters can be sent again at once.")
    chosen = list(
        Outbox.objects.filter(pk__in=ids, letter__referral__in=referral_scope(request.user))
        .select_related("letter__referral__patient", "letter__referral__referrer")
        .order_by("id")
    )
    missing = len(ids) - len(chosen)
    if request.POST.get("confirm") != "yes":
        audit_log(
            actor=request.user,
            action="list",
            object_type="comms.outbox",
            detail={"referrals": [o.letter.referral_id for o in chosen], "confirm": "send again"},
        )
        rows = [o for o in chosen if o.status == OutboxStatus.FAILED]
        context = {"rows": rows, "skipped": len(chosen) - len(rows) + missing}
        return render(request, "comms/outbox_confirm.html", context)
    sent, refused = 0, []
    for item in chosen:
        try:
            services.outbox_retry(outbox=item, by=request.user)
            sent += 1
        except ValidationError as exc:
            name = f"{item.letter.get_letter_type_display()} for {item.letter.referral.reference}"
            refused.append(f"{name}: {' '.join(_messages(exc))}")
    if sent:
        messages.success(request, f"{sent} letter{'' if sent == 1 else 's'} back in the outbox, to be sent again.")
    for text in refused:
        messages.error(request, f"Not sent again: {text}")
    if missing:
        messages.error(request, f"{missing} of the letters chosen are no longer in the outbox.")
    return redirect(back)
