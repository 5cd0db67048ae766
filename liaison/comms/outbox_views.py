"""The outbox page: every letter in flight or failed, by channel, sorted, filtered and paged as its address says
(decision 0043), with Send again (one letter, or the selected ones after one confirmation), and the problems that
hold letters up, grouped per referrer with the action that fixes them. Sending again goes through
services.outbox_retry, the service the letter page uses: one service, one set of rules."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from liaison.accounts.access import allowed, may
from liaison.comms import outbox_queries, services
from liaison.comms.choices import LetterType, OutboxStatus
from liaison.comms.models import Outbox
from liaison.comms.outbox_queries import BAD_ADDRESS, CHANNELS, NO_ADDRESS, NO_CHANNEL, PAGE
from liaison.core import lists
from liaison.core.audit import audit_log
from liaison.referrals.queries import referral_scope

LETTER_TYPES = dict(LetterType.choices)
ADDRESS_NOTE = "An administrator adds or corrects addresses under Reference data"
GATEWAY_NOTE = "An administrator sets the practice's fax gateway under Reference data"
ADDRESS_FIELD = {"email": ("email address", "email"), "fax": ("fax number", "fax")}
STATUS_LABELS = {"": "Failed and in flight", "failed": "Failed", "in_flight": "In flight (waiting or sending)"}
GONE = "It is no longer in the outbox (delivered, or not a letter you may see); it was left alone."


@allowed("comms.outbox")
def outbox(request):
    """The outbox; `?channel=fax&page=2` shows one channel's further pages; `status`, `sort` and `size` say which
    letters and how (outbox_queries.STATUSES, SORTING, lists.PAGE_SIZES); an unknown value is a 400 naming it."""
    try:
        view = _view(request.GET)
    except lists.ListError as exc:
        return lists.list_error(request, exc)
    found = outbox_queries.outbox_page(user=request.user, **view)
    channel, page = view["channel"], view["page"]
    audit_log(
        actor=request.user,
        action="list",
        object_type="comms.outbox",
        detail={"referrals": found.referral_ids()[:500], "channel": channel or "", "page": page},
    )
    query = request.GET
    may_contact = may(request.user, "directory.contact")
    context = {
        "outbox": found,
        "channels": [(c, [_row(r) for r in c.rows], _links(query, c)) for c in found.channels],
        "problems": [
            (group, [_fix(group, p, found.fax_gateway, may_contact) for p in group.problems])
            for group in found.referrers
        ],  # fmt: skip
        "may_retry": may(request.user, "comms.outbox.retry"),
        "only": channel,
        "page_size": PAGE,
        "sort": view["sort"],
        "size": view["size"],
        "status": view["status"],
        "statuses": list(STATUS_LABELS.items()),
        "every_channel": "?" + lists.query_without(query, "channel", "page"),
    }
    return render(request, "comms/outbox.html", context)


def _view(query) -> dict:
    """The outbox's view as its address says it; lists.ListError names a value it does not have."""
    channel = lists.choice(query, "channel", CHANNELS) or None
    page = query.get("page", "1")
    return {
        "channel": channel,
        "page": int(page)
        if page.isdigit()
        else 1,  # as the work queue: past the end shows nothing, not a number the first
        "status": lists.choice(query, "status", outbox_queries.STATUSES),
        "sort": outbox_queries.SORTING.parse(query.get("sort")),
        "size": lists.page_size(query, PAGE),
    }


def _links(query, channel) -> dict[str, str]:
    """A channel's links, keeping the rest of the view (status, sort, size)."""
    return {
        "only": "?" + lists.query_without(query, "page", channel=channel.key),
        "earlier": "?" + lists.query_without(query, channel=channel.key, page=channel.page - 1),
        "later": "?" + lists.query_without(query, channel=channel.key, page=channel.page + 1),
    }


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


def _fix(group, problem, fax_gateway: bool, may_contact: bool = False) -> dict:
    """What holds this referrer's letters up, in words, and what fixes it. A referrer's addresses are corrected on
    their contact page (crm:referrer_contact) by those whose role may ("directory.contact"): the action links there;
    for anyone else the page says who does, with the referrer's record (their phone number) beside it. The fax
    gateway is the IT administrator's, in the administration site; a failure of another kind links to its letters."""
    letters = f"{problem.letters:,} letter{'' if problem.letters == 1 else 's'}"
    said = {"letters": letters, "not_signed": problem.kind == NO_CHANNEL, "url": "", "note": ADDRESS_NOTE}
    if may_contact:
        said |= {"url": reverse("crm:referrer_contact", args=[group.referrer_id]), "note": ""}
    what, field = ADDRESS_FIELD.get(problem.channel, ("address", "email"))
    if problem.kind == NO_CHANNEL:
        if group.fax and not fax_gateway:
            text = "A fax number is on file, but the practice has no fax gateway"
            return said | {"text": text, "action": "set one up", "note": GATEWAY_NOTE, "url": ""}
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
    """Send again the failed letters selected (`ids`, one or many; decision 0043): without `confirm`, a page saying
    which will go and which are left, changing nothing; with it, each through services.outbox_retry in a savepoint
    of its own, and a summary of what changed and what did not, and why. Back to the outbox as it was (`next`)."""
    back = lists.back_to(request, reverse("comms:outbox"))
    ids = lists.selected_or_told(request)
    if ids is None:  # the request itself is wrong: nothing is read or written
        return redirect(back)
    found = {
        item.pk: item
        for item in Outbox.objects.filter(pk__in=ids, letter__referral__in=referral_scope(request.user)).select_related(
            "letter__referral__patient", "letter__referral__referrer"
        )
    }
    chosen = [found[pk] for pk in ids if pk in found]
    missing = [pk for pk in ids if pk not in found]
    audit_log(
        actor=request.user,
        action="list",
        object_type="comms.outbox",
        detail={"referrals": [o.letter.referral_id for o in chosen], "confirm": "send again"},
    )
    if not request.POST.get("confirm"):
        return _confirm(request, chosen, missing, ids, back)
    summary = lists.BulkSummary(skipped=[(f"Outbox letter {pk}", GONE) for pk in missing])
    summary.run(chosen, _label, lambda item: services.outbox_retry(outbox=item, by=request.user))
    _tell(request, summary)
    return redirect(back)


def _tell(request, summary: lists.BulkSummary) -> None:
    """As lists.BulkSummary.tell, in the words the letter page's Send again uses."""
    if summary.changed:
        count = len(summary.changed)
        said = f"{count} letter{'' if count == 1 else 's'} back in the outbox, to be sent again"
        messages.success(request, f"{said}: {', '.join(summary.changed)}.")
    for label, reason in summary.skipped:
        messages.error(request, f"Not sent again: {label}: {reason}")


def _label(item: Outbox) -> str:
    patient = item.letter.referral.patient
    name = f"{patient.first_name} {patient.last_name}".strip()
    return f"{item.letter.get_letter_type_display()} for {name} ({item.letter.referral.reference})"


def _to(item: Outbox) -> str:
    referrer = item.letter.referral.referrer
    return referrer.display_name if referrer else "no referring clinician"


def _confirm(request, chosen: list, missing: list[int], ids: list[int], back: str):
    """Which of the selected will go again, by the referrer's address as it is now, and which are left and why."""
    rows = [item for item in chosen if item.status == OutboxStatus.FAILED]
    left = [
        f"{_label(item)}: it has not failed ({item.get_status_display().lower()})."
        for item in chosen
        if item not in rows
    ]
    left += [f"Outbox letter {pk}: {GONE}" for pk in missing]
    if not rows:
        messages.warning(request, "None of the letters selected has failed: there is nothing to send again.")
        for text in left:
            messages.warning(request, f"Left as it is: {text}")
        return redirect(back)
    count = len(rows)
    return lists.confirm_page(
        request,
        title=f"Send {count} letter{'' if count == 1 else 's'} again?",
        action=reverse("comms:outbox_send_again"),
        rows=[f"{_label(item)}, to {_to(item)}; failed: {item.last_error or 'no reason recorded'}" for item in rows],
        hidden=[("ids", pk) for pk in ids],
        button=f"Send {count} again",
        back=back,
        explain="Each goes back in the outbox by the referrer's address as it is now, as Send again on the letter's "
        "page does.",
        errors=[f"Left as it is: {text}" for text in left],
    )
