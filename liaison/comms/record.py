"""What comms reads from the rest of the record, in one place: acute sessions, safety alerts and the
outcome (PHQ-9 baseline, current, response) from liaison.care when that app is installed; nothing
otherwise. Every read here is bounded to one referral."""

from dataclasses import dataclass
from datetime import date, datetime

from django.apps import apps


@dataclass(frozen=True)
class CareFacts:
    acute_done: int = 0
    acute_planned: int | None = None
    acute_session_times: tuple[datetime, ...] = ()  # when each acute session was recorded
    acute_session_days: tuple[date, ...] = ()  # ... and the day it was held, in the same order
    maintenance_done: int = 0
    baseline_phq9: int | None = None
    baseline_on: object = None
    current_phq9: int | None = None
    current_on: object = None
    response: str = ""
    percent_change: int | None = None
    remission: bool | None = None
    phq9_points: tuple[tuple[object, int], ...] = ()  # (taken on, total), oldest first: the trajectory chart


def care_installed() -> bool:
    return apps.is_installed("liaison.care")


def care_facts(referral) -> CareFacts:
    if not care_installed():
        return CareFacts()
    from liaison.care import outcomes
    from liaison.care.choices import Instrument, SessionKind
    from liaison.care.models import Assessment, Session

    sessions = list(Session.objects.filter(referral_id=referral.pk).order_by("held_on", "id"))
    kinds = {s.pk: s.kind for s in sessions}
    acute = [s for s in sessions if s.kind == SessionKind.ACUTE]
    scores = [
        outcomes.Score(a.taken_on, a.total, kinds.get(a.session_id, ""))
        for a in Assessment.objects.filter(referral_id=referral.pk, instrument=Instrument.PHQ9, total__isnull=False)
    ]
    result = outcomes.outcome(scores)
    return CareFacts(
        acute_done=len(acute),
        acute_planned=max((s.planned for s in acute), default=None),
        acute_session_times=tuple(s.created_at for s in acute),
        acute_session_days=tuple(s.held_on for s in acute),
        maintenance_done=sum(1 for s in sessions if s.kind == SessionKind.MAINTENANCE),
        baseline_phq9=result.baseline.total if result.baseline else None,
        baseline_on=result.baseline.on if result.baseline else None,
        current_phq9=result.current.total if result.current else None,
        current_on=result.current.on if result.current else None,
        response=result.response_label,
        percent_change=result.percent_change,
        remission=result.remission,
        phq9_points=tuple(sorted((s.on, s.total) for s in scores)),
    )


def safety_concerns(referral) -> list[tuple[int, datetime, str]]:
    """(id, raised at, summary) of every safety alert on this referral."""
    if not care_installed():
        return []
    from liaison.care.models import SafetyAlert

    rows = SafetyAlert.objects.filter(referral_id=referral.pk).order_by("raised_at", "id")
    return list(rows.values_list("id", "raised_at", "summary"))


def screening_gaps(referral) -> list[str]:
    """What screening found missing for the assessment, in its own words (empty when nothing, or not screened)."""
    from liaison.referrals.intake_models import ScreeningResult

    findings = ScreeningResult.objects.filter(referral_id=referral.pk).values_list("findings", flat=True).first()
    return [f["text"] for f in findings or [] if f.get("outcome") == "missing"]


def open_evaluation_booking(referral):
    """The referral's open evaluation booking (decision 0040), or None."""
    if not care_installed():
        return None
    from liaison.care.choices import BookingKind, BookingStatus
    from liaison.care.models import Booking

    rows = Booking.objects.filter(referral_id=referral.pk, kind=BookingKind.EVALUATION, status=BookingStatus.BOOKED)
    return rows.only("id", "created_at").first()


def acknowledgment_signed_at(referral) -> datetime | None:
    """When the referral's acknowledgment was signed (and so its words fixed), or None while it is not."""
    from liaison.comms.models import Letter

    letter = Letter.objects.filter(referral_id=referral.pk, due__key="ack", signed_at__isnull=False)
    return letter.values_list("signed_at", flat=True).first()
