from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_POST

from liaison.accounts.access import allowed, may, out_of_scope
from liaison.comms import letters, queries, queue, queue_rows, services, sla_snapshot
from liaison.comms.forms import LetterForm
from liaison.comms.models import Outbox
from liaison.core import events, lists
from liaison.core.audit import audit_log
from liaison.referrals.queries import referral_row, referral_scope


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


@allowed("comms.queue")
def work_queue(request):
    """The work queue; `?section=overdue&page=2` shows one section's further pages; `mine`, `kind`, `sort` and
    `size` say which letters and how (queue.SORTING, lists.PAGE_SIZES); a value the queue does not have is a 400
    naming it."""
    try:
        view = _queue_view(request.GET)
    except lists.ListError as exc:
        return lists.list_error(request, exc)
    work = queue.work_queue(user=request.user, **view)
    audit_log(
        actor=request.user,
        action="list",
        object_type="comms.duecommunication",
        detail={"referrals": work.referral_ids()[:500]},
    )
    may_draft = may(request.user, "comms.letter.draft")
    urls, csrf = queue_rows.Urls(), get_token(request)
    form = queue_rows.BULK_FORM if may_draft else ""
    for section in work.sections:
        section.tables = [
            (owner, len(rows), queue_rows.item_rows_html(rows, urls, csrf, select=form))
            for owner, rows in section.groups
        ]
        section.links = _section_links(request.GET, section)
    problems = []
    for group in work.problems:
        ref = group.referrer_id
        referrer_url = urls.referrer.format(ref) if ref else ""
        admin_url = urls.referrer_admin.format(ref) if ref and request.user.is_staff else ""
        problems.append((group, referrer_url, admin_url, queue_rows.problem_rows_html(group.rows, urls, csrf)))
    only, query = view["only"], request.GET
    context = {
        "queue": work,
        "counts": work.counts,
        "shown": work.counts_shown,  # "1,000+" above queue.CAP
        "cap": queue.CAP,
        "problems": problems,
        "escalated_html": queue_rows.item_rows_html(work.escalated_to_me, urls, csrf, select=form),
        "problems_shown": sum(len(g.rows) for g in work.problems),
        "mine": view["mine"],
        "only": only,
        "kind": view["kind"],
        "kinds": list(queue.KINDS.items()),
        "sort": view["sort"],
        "size": view["size"],
        "bulk_form": form,
        "links": {
            "everyone": "?" + lists.query_without(query, "mine", "page"),
            "mine": "?" + lists.query_without(query, "page", mine=1),
            "whole": "?" + lists.query_without(query, "section", "page"),
            "every_kind": "?" + lists.query_without(query, "kind", "page"),
            **{key: "?" + lists.query_without(query, "page", section=key) for key in queue.SECTIONS},
        },
        "followups_stuck": events.pending_stuck() if not only else 0,
    }
    return render(request, "comms/queue.html", context)


def _queue_view(query) -> dict:
    """The work queue's view as its address says it; lists.ListError names a value it does not have."""
    only = query.get("section") or None
    if only is not None and only not in queue.SECTIONS:
        known = ", ".join(queue.SECTIONS)
        raise lists.ListError("section", f"There is no section {only!r} in the work queue: the sections are {known}.")
    page = query.get("page", "1")
    return {
        "mine": lists.choice(query, "mine", ["1"]) == "1",
        "only": only,
        "page": int(page) if page.isdigit() else 1,  # a page past the end shows the last; not a number, the first
        "kind": lists.choice(query, "kind", queue.KINDS),
        "sort": queue.SORTING.parse(query.get("sort")),
        "size": lists.page_size(query, queue.PAGE),
    }


def _section_links(query, section) -> dict[str, str]:
    """A section's pager links, keeping the rest of the view (mine, kind, sort, size)."""
    return {
        "more": "?" + lists.query_without(query, section=section.key, page=2),
        "earlier": "?" + lists.query_without(query, section=section.key, page=section.page - 1),
        "later": "?" + lists.query_without(query, section=section.key, page=section.page + 1),
    }


@allowed("comms.owed")
def owed(request, pk):
    """The 'owed to the referrer' card of a referral page (loaded by htmx, or opened on its own). It names the
    referral and nothing else of it: its own row, not the referral page's read."""
    referral = referral_row(user=request.user, pk=pk)
    audit_log(
        actor=request.user,
        action="read",
        object_type="comms.owed",
        object_id=referral.pk,
        patient_id=referral.patient_id,
    )
    context = {"owed": queries.owed_for(user=request.user, referral=referral), "referral": referral}
    return render(request, "comms/_owed.html" if request.htmx else "comms/owed.html", context)


@allowed("comms.letter.draft")
@require_POST
def due_letter(request, pk):
    due = queries.due_get(user=request.user, pk=pk)
    try:
        letter = services.letter_draft(due=due, by=request.user)
    except ValidationError as exc:
        for text in _messages(exc):
            messages.error(request, text)
        return redirect("comms:queue")
    return redirect("comms:letter", pk=letter.pk)


@allowed("comms.letter.draft")
def letter_detail(request, pk):
    letter = queries.letter_get(user=request.user, pk=pk)
    audit_log(actor=request.user, action="read", obj=letter, patient_id=letter.referral.patient_id)
    form, errors = None, []
    if request.method == "POST" and request.user.sees_all_referrals:
        form = LetterForm(request.POST)
        if form.is_valid():
            try:
                services.letter_edit(letter=letter, by=request.user, **form.cleaned_data)
                messages.success(request, "Saved the letter.")
                return redirect("comms:letter", pk=letter.pk)
            except ValidationError as exc:
                errors = _messages(exc)
    elif request.user.sees_all_referrals and not letter.is_frozen:
        form = LetterForm(initial={"subject": letter.subject, "body": letter.body})
    outbox = Outbox.objects.filter(letter=letter).first()
    context = {
        "letter": letter,
        "form": form,
        "errors": errors,
        "outbox": outbox,
        "gaps": letters.placeholders(letter.body),
    }
    return render(request, "comms/letter.html", context)


@allowed("letter.read")
def letter_preview(request, pk):
    letter = queries.letter_get(user=request.user, pk=pk)
    audit_log(
        actor=request.user, action="read", obj=letter, patient_id=letter.referral.patient_id, detail={"as": "html"}
    )
    try:
        html = letters.render_html(letter, stylesheet_url=static("comms/letter.css"))
    except letters.LetterTemplateError as exc:
        return _template_problem(exc)
    return HttpResponse(html)


def _template_problem(exc: "letters.LetterTemplateError") -> HttpResponse:
    """A letter template that names a missing field: say which, as the work queue does."""
    return HttpResponse(str(exc), status=500, content_type="text/plain; charset=utf-8")


@allowed("letter.read")
def letter_pdf(request, pk):
    letter = queries.letter_get(user=request.user, pk=pk)
    audit_log(
        actor=request.user, action="read", obj=letter, patient_id=letter.referral.patient_id, detail={"as": "pdf"}
    )
    try:
        pdf = letters.render_pdf(letter)
    except letters.LetterTemplateError as exc:
        return _template_problem(exc)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{letter.referral.reference}-{letter.letter_type}.pdf"'
    return response


@allowed("comms.letter.sign")
@require_POST
def letter_approve(request, pk):
    letter = queries.letter_get(user=request.user, pk=pk)
    try:
        outbox = services.letter_approve(letter=letter, by=request.user)
    except ValidationError as exc:
        # a refusal for want of a usable channel (the "channel" key) is marked, so the letter page can link it to the
        # referrer's contact form for those who may correct it (directory.contact). Its own level (ERROR + 1, which
        # has no tag of its own) keeps the page's class "msg msg-error" as every other error has.
        about = exc.message_dict if hasattr(exc, "message_dict") else {"__all__": exc.messages}
        for field, texts in about.items():
            for text in texts:
                if field == "channel":
                    messages.add_message(request, messages.ERROR + 1, text, extra_tags="error referrer-channel")
                else:
                    messages.error(request, text)
        return redirect("comms:letter", pk=letter.pk)
    messages.success(request, f"Signed. The letter is in the outbox for {outbox.get_channel_display().lower()}.")
    return redirect("comms:letter", pk=letter.pk)


@allowed("comms.outbox.retry")
@require_POST
def outbox_retry(request, pk):
    try:
        outbox = Outbox.objects.select_related("letter").get(pk=pk, letter__referral__in=referral_scope(request.user))
    except Outbox.DoesNotExist:
        patient = "letter__referral__patient_id"
        raise out_of_scope(user=request.user, model=Outbox, pk=pk, patient_field=patient) from None
    try:
        services.outbox_retry(outbox=outbox, by=request.user)
        messages.success(request, "The letter is back in the outbox.")
    except ValidationError as exc:
        for text in _messages(exc):
            messages.error(request, text)
    return redirect("comms:letter", pk=outbox.letter_id)


@allowed("comms.sla")
def sla(request):
    days = request.GET.get("days", "90")
    days = int(days) if days.isdigit() and 1 <= int(days) <= 730 else 90
    figures = sla_snapshot.shown(user=request.user, days=days)
    audit_log(actor=request.user, action="report", object_type="comms.sla", detail={"days": days})
    context = {"practice": figures.practice, "referrers": figures.referrers, "days": days, "figures": figures}
    return render(request, "comms/sla.html", context | {"windows": sla_snapshot.WINDOWS})
