from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from liaison.accounts.access import allowed
from liaison.accounts.choices import Role
from liaison.care import queries, services
from liaison.care.forms import AcknowledgeForm, PatientQuestionnaireForm, ScoreForm, SessionForm
from liaison.core import ratelimit
from liaison.core.audit import audit_log, client_address
from liaison.referrals.queries import referral_get, staff_choices
from liaison.referrals.services import TransitionConflict

KIND_FOR_STATUS = {"accepted": "acute", "acute": "acute", "acute_complete": "maintenance", "maintenance": "maintenance"}
LINK_REFUSALS = {
    "invalid": "This link is not valid. Please check you copied all of it, or ask the practice for a new one.",
    "expired": "This link has expired. Please ask the practice to send you a new one.",
    "used": "This questionnaire has already been filled in with this link. Thank you.",
}
OUTCOME_ROWS_PER_PAGE = 100
ALERT_ROWS_PER_PAGE = 100
TOO_MANY_TRIES = (
    "This page has been opened too many times from your connection. Please wait a few minutes and try again."
)


def _referral(request, pk: int, action: str = "view"):
    referral = referral_get(user=request.user, pk=pk)
    audit_log(actor=request.user, action=action, obj=referral, patient_id=referral.patient_id)
    return referral


@allowed("care.session.record")
def session_new(request, pk: int):
    referral = _referral(request, pk)
    clinicians = staff_choices(Role.CLINICIAN, Role.DIRECTOR)
    initial = {
        "held_on": queries.today(),
        "clinician": referral.assigned_clinician_id or request.user.pk,
        "kind": KIND_FOR_STATUS.get(referral.status, "evaluation"),
    }
    form = SessionForm(request.POST or None, initial=initial, clinicians=clinicians)
    if request.method == "POST" and form.is_valid():
        phq9, gad7 = form.scores()
        try:
            session = services.session_record(
                referral=referral, by=request.user, data=form.session_input(), phq9=phq9, gad7=gad7
            )
        except ValidationError as exc:
            form.put_back(exc)
        except TransitionConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{session} recorded.")
            return redirect("referrals:detail", pk=referral.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "care/session_form.html", {"referral": referral, "form": form}, status=status)


@allowed("care.score.record")
def score_new(request, pk: int):
    referral = _referral(request, pk)
    form = ScoreForm(request.POST or None, initial={"taken_on": queries.today()})
    if request.method == "POST" and form.is_valid():
        try:
            saved = _record_scores(request, referral, form)
        except ValidationError as exc:
            form.put_back(exc)
        else:
            messages.success(request, f"{' and '.join(saved)} recorded.")
            return redirect("referrals:detail", pk=referral.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "care/score_form.html", {"referral": referral, "form": form}, status=status)


def _record_scores(request, referral, form) -> list[str]:
    """Both instruments are checked before either is written, so a bad GAD-7 keeps a good PHQ-9 out too."""
    from django.db import transaction

    given = [(name, score) for name, score in zip(("phq9", "gad7"), form.scores(), strict=True) if not score.is_empty]
    if not given:
        raise ValidationError({"phq9_total": ["Give a PHQ-9 or a GAD-7, by item or as a total."]})
    errors = {}
    for name, score in given:
        errors |= services.check_score(name, score)[1]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for name, score in given:
            services.assessment_record(
                referral=referral, by=request.user, instrument=name, score=score, taken_on=form.cleaned_data["taken_on"]
            )
    return [{"phq9": "PHQ-9", "gad7": "GAD-7"}[name] for name, _ in given]


@allowed("care.link.send")
@require_POST
def link_create(request, pk: int):
    referral = _referral(request, pk)
    try:
        link, token = services.questionnaire_link_create(referral=referral, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("referrals:detail", pk=referral.pk)
    url = request.build_absolute_uri(reverse("care:questionnaire", args=[token]))
    return render(request, "care/link_created.html", {"referral": referral, "link": link, "url": url})


@allowed("care.alert.acknowledge")
@require_POST
def alert_acknowledge(request, pk: int):
    alert = queries.alert_get(user=request.user, pk=pk)
    referral = referral_get(user=request.user, pk=alert.referral_id)
    form = AcknowledgeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        services.alert_acknowledge(alert=alert, by=request.user, note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, "The alert is still open: " + " ".join(_messages(exc)))
    else:
        messages.success(request, "Alert acknowledged.")
    return redirect(
        request.POST.get("next") if _safe_next(request) else reverse("referrals:detail", args=[referral.pk])
    )


@allowed("care.alert.read")
def alerts_page(request):
    """Every open safety alert this person must see, a hundred to a page, the oldest first (the inbox shows the
    oldest ten and the count). The alerts shown are audited, as on the inbox."""
    page = Paginator(queries.open_alert_rows(user=request.user), ALERT_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    alerts = list(page.object_list)
    if alerts:
        audit_log(
            actor=request.user,
            action="list",
            object_type="care.safetyalert",
            detail={"alerts": [a["id"] for a in alerts]},
        )
    return render(request, "care/alerts.html", {"alerts": alerts, "page": page})


def _messages(exc: ValidationError) -> list[str]:
    return [m["message"] if isinstance(m, dict) else m for msgs in exc.message_dict.values() for m in msgs]


def _safe_next(request) -> bool:
    return request.POST.get("next", "") in (reverse("referrals:inbox"),)


@allowed("care.outcomes")
def outcomes_page(request):
    by = request.GET.get("by", "source_type")
    by = by if by in queries.GROUPINGS else "source_type"
    rows = queries.outcome_aggregates(user=request.user, by=by)
    # Ten thousand referrers are ten thousand rows: a hundred at a time, the most treated first; the practice's
    # line is the sum of them all.
    page = Paginator(rows, OUTCOME_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "rows": page.object_list,
        "page": page,
        "practice": queries.Aggregate.whole(rows),
        "by": by,
        "small": queries.SMALL_COUNT,
    }
    return render(request, "care/outcomes.html", context)


def _too_many_tries(request):
    """Links are guessed by trying many: loads and answers per address are counted in the shared store."""
    verdict = ratelimit.hit(
        "questionnaire",
        client_address(request),
        limit=settings.QUESTIONNAIRE_RATE_LIMIT,
        window=settings.QUESTIONNAIRE_RATE_WINDOW,
    )
    if verdict.allowed:
        return None
    response = render(request, "care/questionnaire_refused.html", {"message": TOO_MANY_TRIES}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


@allowed("questionnaire.answer")
@never_cache
def questionnaire(request, token: str):
    """The patient's page: anonymous, reachable only through a valid token; shows a first name and nothing else."""
    if refused := _too_many_tries(request):
        return refused
    try:
        link = services.questionnaire_link_check(token=token)
    except services.LinkRefused as refused:
        return render(
            request,
            "care/questionnaire_refused.html",
            {"message": LINK_REFUSALS[refused.reason]},
            status=410 if refused.reason != "invalid" else 404,
        )
    patient = link.referral.patient
    form = PatientQuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phq9, gad7 = form.scores()
        try:
            saved = services.questionnaire_submit(token=token, phq9=phq9, gad7=gad7)
        except services.LinkRefused as refused:
            return render(
                request, "care/questionnaire_refused.html", {"message": LINK_REFUSALS[refused.reason]}, status=410
            )
        except ValidationError as exc:
            for key, msgs in exc.message_dict.items():
                for m in msgs:
                    form.add_error(key if key in form.fields else None, m)
        else:
            flagged = any(a.item9 for a in saved)
            return render(
                request, "care/questionnaire_done.html", {"first_name": patient.first_name, "flagged": flagged}
            )
    audit_log(actor=None, action="questionnaire_opened", obj=link, patient_id=patient.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "care/questionnaire.html", {"form": form, "first_name": patient.first_name}, status=status)


@allowed("care.item9.record")
@require_POST
def item9_record(request, pk: int):
    """Fill the gap of a PHQ-9 whose item 9 was not asked: a score's (`assessment` in the form) or the
    referral's own PHQ-9."""
    referral = _referral(request, pk, action="item9_record")
    raw, assessment_id = request.POST.get("item9", ""), request.POST.get("assessment", "")
    item9 = int(raw) if raw.isdigit() else raw
    try:
        if assessment_id:
            assessment = queries.assessment_get(referral=referral, pk=assessment_id)
            services.assessment_item9_record(assessment=assessment, by=request.user, item9=item9)
        else:
            services.referral_item9_record(referral=referral, by=request.user, item9=item9)
    except ValidationError as exc:
        messages.error(request, "Item 9 was not recorded: " + " ".join(_messages(exc)))
    else:
        messages.success(request, f"Item 9 recorded: {item9} of 3.")
    return redirect(reverse("referrals:detail", args=[referral.pk]) + "#care")
