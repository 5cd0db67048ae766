"""Numbers said in words in the letters: each PHQ-9 with its severity band, and the response class and remission
with baseline and current scores."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from liaison.care.choices import Route, SessionKind
from liaison.care.scoring import ScoreInput
from liaison.care.services import SessionInput, session_record
from liaison.care.tests.factories import evaluation_slot
from liaison.comms import letters, services
from liaison.comms.tests.helpers import keys, referral_for, staff
from liaison.referrals.services import referral_transition

NY = ZoneInfo("America/New_York")


def _course(scores, *, model="integrated"):
    """Evaluation with the first score, then one acute session per remaining score; the series completed."""
    coordinator, clinician = staff()
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=NY), tick=False) as clock_:
        referral = referral_for(model=model, coordinator=coordinator, clinician=clinician)
        evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
        referral = referral_transition(referral=referral, to="eval_scheduled", by=coordinator)
        _session(referral, clinician, SessionKind.EVALUATION, scores[0], planned=None)
        for step in ("evaluated", "accepted"):
            referral = referral_transition(referral=referral, to=step, by=clinician)
        for score in scores[1:]:
            clock_.shift(timedelta(days=2))
            _session(referral, clinician, SessionKind.ACUTE, score, planned=len(scores) - 1)
        clock_.shift(timedelta(days=1))
        referral.refresh_from_db()
        referral_transition(referral=referral, to="acute_complete", by=clinician)
    return referral, clinician


def _session(referral, clinician, kind, phq9, planned):
    data = SessionInput(kind=kind, held_on=timezone.localdate(), route=Route.IV, planned=planned)
    session_record(referral=referral, by=clinician, data=data, phq9=ScoreInput(total=phq9))


def test_the_outcome_summary_of_22_to_3_says_response_in_remission(protocol, clinic):
    referral, clinician = _course([22, 18, 14, 10, 7, 5, 3])
    letter = services.letter_draft(due=keys(referral)["outcome"], by=clinician)
    assert "The PHQ-9 went from 22 (severe) at baseline to 3 (none to minimal) at the end: response, in remission." in (
        letter.body
    )
    html = letters.render_html(letter)
    assert "22 / 27, severe" in html and "3 / 27, none to minimal" in html and "yes: PHQ-9 below 5" in html


@pytest.mark.parametrize(
    ("scores", "words"),
    [
        ([20, 17, 15, 14, 12, 10], "10 (moderate) now: response, not in remission"),  # a 50 % drop, on a cut-off
        ([20, 19, 18, 17, 16, 15], "15 (moderately severe) now: partial response, not in remission"),  # 25 %
        ([20, 20, 19, 18, 17, 16], "16 (moderately severe) now: non-response, not in remission"),  # 20 %
    ],
)
def test_treatment_updates_name_the_response_class_and_remission(scores, words, protocol, clinic):
    referral, clinician = _course(scores)
    update = keys(referral)["update:4"]
    letter = services.letter_draft(due=update, by=clinician)
    assert f"The PHQ-9 was 20 (severe) at baseline and is {words}." in letter.body
