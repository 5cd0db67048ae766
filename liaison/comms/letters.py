"""Letters from the record: one function builds the facts a letter is filled from, one drafts the
words, one renders a letter to HTML (for the email and the PDF), one to PDF (WeasyPrint).

Templates live in templates/letters/<letter_type>.txt (the editable words) and .html (the letter
around them, with the facts). They are rendered strictly: a template that names a field the record
does not have raises LetterTemplateError, which the work queue shows; every value is escaped."""

import re
from datetime import date
from functools import cache

from django.contrib.staticfiles import finders
from django.template import Context, Engine
from django.utils import timezone

from liaison.care.bookings import evaluation_facts
from liaison.care.charts import score_chart
from liaison.comms import record
from liaison.comms.choices import LetterType
from liaison.core.models import Clinic
from liaison.referrals.choices import EventKind, Status

MISSING = "\x00MISSING[%s]\x00"
MISSING_RE = re.compile("\x00MISSING\\[(.*?)\\]\x00")
PLACEHOLDER_RE = re.compile(r"\[\[(.+?)\]\]")

SUBJECTS = {
    LetterType.ACKNOWLEDGMENT: "We have your referral for {patient}",
    LetterType.INFO_REQUEST: "A few details we need for {patient}",
    LetterType.EVALUATION_SUMMARY: "Evaluation summary for {patient}",
    LetterType.TREATMENT_UPDATE: "Treatment update for {patient}",
    LetterType.OUTCOME_SUMMARY: "Outcome of the acute series for {patient}",
    LetterType.PROGRESS_UPDATE: "Monthly progress update for {patient}",
    LetterType.SAFETY_ALERT: "Safety concern for {patient}: please read today",
    LetterType.FIRST_REFERRAL_THANKS: "Thank you for your first referral",
    LetterType.APPOINTMENT_NOTICE: "Evaluation booked for {patient}",
}


class LetterTemplateError(Exception):
    """A letter template refers to something that is not in the record."""

    def __init__(self, template: str, names: list[str]):
        self.template, self.names = template, names
        super().__init__(f"The letter template {template} uses fields the record does not have: {', '.join(names)}.")


@cache
def engine() -> Engine:
    return Engine(
        app_dirs=True,
        string_if_invalid=MISSING,
        builtins=[
            "django.contrib.humanize.templatetags.humanize",
            "liaison.care.templatetags.severity",
            "liaison.comms.templatetags.letter_tags",
        ],
    )


def render_strict(name: str, context: dict) -> str:
    text = engine().get_template(name).render(Context(context, autoescape=not name.endswith(".txt")))
    missing = sorted(set(MISSING_RE.findall(text)))
    if missing:
        raise LetterTemplateError(name, missing)
    return text


def render_strict_string(source: str, context: dict) -> str:
    """Like render_strict, for a template given as text (tests; a future template editor)."""
    text = engine().from_string(source).render(Context(context, autoescape=False))
    missing = sorted(set(MISSING_RE.findall(text)))
    if missing:
        raise LetterTemplateError("(given)", missing)
    return text


def clinic_facts() -> dict:
    clinic = Clinic.objects.order_by("pk").first()
    if clinic is None:
        return {"name": "Liaison", "address": "", "phone": "", "fax": "", "email": ""}
    return {f: getattr(clinic, f) for f in ("name", "address", "phone", "fax", "email")}


# Credentials that make their holder "Dr." (compared without dots or case: "M.D." is MD).
DOCTORATES = frozenset(
    {"MD", "DO", "MBBS", "MBCHB", "PHD", "PSYD", "EDD", "DNP", "DSW", "DRPH", "DDS", "DMD", "DPM", "DC", "OD"}
)
# NUCC taxonomy codes whose holders are doctors whatever credential was typed: allopathic and osteopathic
# physicians (20…), dentists (122…), podiatrists (213E…), chiropractors (111N…), optometrists (152W…).
DOCTOR_TAXONOMIES = ("20", "122", "213E", "111N", "152W")


def salutation(referrer) -> str:
    """How a letter greets its referrer: "Dr. Brennan" for a doctor (from the credentials, else the specialty's
    taxonomy code), otherwise the whole name, "Alex Kim": the directory does not say Mr., Ms. or Mx., and we do
    not guess it from a first name."""
    if referrer is None:
        return ""
    credentials = {c.replace(".", "").strip().upper() for c in re.split(r"[,;/ ]+", referrer.credential or "")}
    if credentials & DOCTORATES or (referrer.taxonomy_id or "").startswith(DOCTOR_TAXONOMIES):
        return f"Dr. {referrer.last_name}"
    return f"{referrer.first_name} {referrer.last_name}".strip()


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%B %-d, %Y") if moment else ""


def letter_context(referral, due=None) -> dict:
    """The facts a letter is filled from (JSON-safe: they are kept with the letter as drafted)."""
    referrer = referral.referrer
    care = record.care_facts(referral)
    events = {e.to_status: e.at for e in referral.events.filter(kind=EventKind.TRANSITION).order_by("-at")}
    alerts = record.safety_concerns(referral)
    alert = next((a for a in alerts if due is not None and due.key == f"alert:{a[0]}"), alerts[-1] if alerts else None)
    return {
        "reference": referral.reference,
        "patient": {
            "name": f"{referral.patient.first_name} {referral.patient.last_name}",
            "first_name": referral.patient.first_name,
            "date_of_birth": referral.patient.date_of_birth.strftime("%B %-d, %Y"),
        },
        "referrer": {
            "name": referrer.display_name if referrer else "",
            "last_name": referrer.last_name if referrer else "",
            "salutation": salutation(referrer),
            "practice": str(referrer.practice) if referrer and referrer.practice else "",
        },
        "clinic": clinic_facts(),
        "received_on": _local(referral.received_at),
        "evaluated_on": _local(events.get(Status.EVALUATED)),
        "eval_scheduled": bool(events.get(Status.EVAL_SCHEDULED)),
        "evaluation": evaluation_facts(referral),  # the booked evaluation, or {} (decision 0040)
        "completed_on": _local(events.get(Status.ACUTE_COMPLETE)),
        "reason": referral.reason,
        "diagnoses": [f"{d.code} {d.description}".strip() for d in referral.diagnoses.all()],
        "trials": [t.drug for t in referral.trials.all()],
        "referral_phq9": referral.phq9_score,
        "care": {
            "sessions_done": care.acute_done,
            "sessions_planned": care.acute_planned,
            "maintenance_done": care.maintenance_done,
            "baseline_phq9": care.baseline_phq9 if care.baseline_phq9 is not None else referral.phq9_score,
            "current_phq9": care.current_phq9,
            "response": care.response or "Not yet measured",
            "percent_change": care.percent_change,
            "remission": care.remission,
            "course": course_words(care.response, care.remission),
            "phq9_points": [[on.isoformat(), total] for on, total in care.phq9_points],
        },
        "concern": alert[2] if alert else "",
        "concern_on": _local(alert[1]) if alert else "",
        "missing": record.screening_gaps(referral),
        "status": referral.get_status_display(),
    }


def course_words(response: str, remission: bool | None) -> str:
    """'response, in remission', 'partial response, not in remission'; '' before a second PHQ-9."""
    if not response or remission is None:
        return ""
    return f"{response.lower()}, {'in remission' if remission else 'not in remission'}"


def draft_words(letter_type: str, facts: dict) -> tuple[str, str]:
    """The subject and the editable words of a new letter."""
    subject = SUBJECTS[letter_type].format(patient=facts["patient"]["name"])
    referrer = facts.get("referrer") or {}
    if "salutation" not in referrer:  # facts made without letter_context (the bulk network's): greet by name
        facts = {**facts, "referrer": {**referrer, "salutation": referrer.get("name", "")}}
    return subject, render_strict(f"letters/{letter_type}.txt", facts).strip() + "\n"


CONFIDENTIAL = (
    "This letter contains confidential health information about a patient you referred to us. "
    "If it reached you by mistake, please tell us and delete it."
)
CHART_LETTERS = frozenset({LetterType.TREATMENT_UPDATE, LetterType.OUTCOME_SUMMARY})


def phq9_chart(letter_type: str, facts: dict) -> str:
    """The PHQ-9 trajectory (the referral page's chart, liaison.care.charts) for a treatment update or an outcome
    summary, from the scores kept with the letter as drafted; none with fewer than two scores: one point is not a
    trajectory, and the table above it already gives that score."""
    points = (facts.get("care") or {}).get("phq9_points") or []
    if letter_type not in CHART_LETTERS or len(points) < 2:
        return ""
    return score_chart("phq9", [(date.fromisoformat(on), total) for on, total in points])


def render_html(letter, *, facts: dict | None = None, inline: bool = False, stylesheet_url: str = "") -> str:
    """The letter as HTML: letterhead, facts, the words (escaped, paragraphs kept), the signature."""
    facts = facts if facts is not None else letter.facts
    context = {
        "letter": {
            "subject": letter.subject,
            "body": letter.body,
            "signature": letter.signature,
            "signed_on": _local(letter.signed_at),
            "type_label": letter.get_letter_type_display(),
            "is_signed": letter.is_frozen,
        },
        "facts": facts,
        "chart": phq9_chart(letter.letter_type, facts),
        "confidential": CONFIDENTIAL,
        "today": _local(letter.signed_at or timezone.now()),
        "inline_css": _stylesheet() if inline else "",
        "stylesheet_url": stylesheet_url,
    }
    return render_strict(f"letters/{letter.letter_type}.html", context)


@cache
def _stylesheet() -> str:
    with open(finders.find("comms/letter.css"), encoding="utf-8") as f:
        return f.read()


def render_text(letter) -> str:
    lines = [letter.subject, "", letter.body.strip(), ""]
    if letter.signature:
        lines += [letter.signature, f"Signed {_local(letter.signed_at)}"]
    return "\n".join(lines) + "\n"


def _refuse_remote(url: str, *args, **kwargs):
    raise ValueError(f"Letters load nothing from outside: {url}")


def render_pdf(letter) -> bytes:
    from weasyprint import CSS, HTML

    html = render_html(letter)
    stylesheet = CSS(filename=finders.find("comms/letter.css"))
    return HTML(string=html, url_fetcher=_refuse_remote).write_pdf(stylesheets=[stylesheet, _page_footer()])


@cache
def _page_footer():
    """The confidentiality notice and the page number in every printed page's bottom margin (letter.css hides the
    notice's paragraph in print), so no page is left holding only the notice."""
    from weasyprint import CSS

    notice = CONFIDENTIAL.replace("\\", "\\\\").replace('"', '\\"')
    return CSS(
        string=f'@page {{ @bottom-left {{ content: "{notice}"; }} '
        '@bottom-right { content: "Page " counter(page) " of " counter(pages); } }'
    )


def placeholders(body: str) -> list[str]:
    """The [[...]] gaps a drafted letter leaves for the clinician to fill."""
    return PLACEHOLDER_RE.findall(body)
