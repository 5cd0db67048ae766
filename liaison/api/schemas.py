"""The API's typed shapes. They mirror the referral form; the rules themselves live in
referrals.services.referral_receive, which both the form and the API call."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator

from liaison.core.validators import MULTILINE_MESSAGE, ONE_LINE_MESSAGE, control_characters
from liaison.referrals.choices import AttemptHistory, Sex, StopReason, SubstanceUse, TrialResponse, Urgency


def _printable(value: str) -> str:
    """No NUL characters or lone surrogates: the database cannot store them."""
    if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("contains characters that are not text")
    return value


# The same rule as the validators, written for the OpenAPI schema (so that clients and fuzzers know it).
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
MULTI_LINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


def _one_line(value: str) -> str:
    """No control characters at all (liaison.core.validators): the value may reach an email header."""
    if control_characters(value):
        raise ValueError(ONE_LINE_MESSAGE)
    return value


def _multi_line(value: str) -> str:
    if control_characters(value, multiline=True):
        raise ValueError(MULTILINE_MESSAGE)
    return value


def Text(max_length: int, *, multiline: bool = False, **kwargs):  # noqa: N802 - reads like a type
    """A string of at most `max_length` characters: one line of plain text unless `multiline` (line breaks and
    tabs allowed). A control character is a 422 that names the field."""
    check, pattern = (_multi_line, MULTI_LINE_PATTERN) if multiline else (_one_line, ONE_LINE_PATTERN)
    field = Field(max_length=max_length, json_schema_extra={"pattern": pattern}, **kwargs)
    return Annotated[str, field, AfterValidator(_printable), AfterValidator(check)]


Count = Annotated[int, Field(ge=0, le=1000)]


class PatientIn(Schema):
    first_name: Text(100)
    last_name: Text(100)
    date_of_birth: date
    sex: Sex = Sex.UNKNOWN
    phone: Text(30) = ""
    email: Text(254) = ""
    zip_code: Text(10) = ""


class DiagnosisIn(Schema):
    code: Text(8, examples=["F33.2"])
    description: Text(300) = ""


class TrialIn(Schema):
    drug: Text(100, examples=["sertraline"])
    daily_dose_mg: Decimal | None = Field(None, gt=0, le=99999, max_digits=7, decimal_places=2)
    weeks_at_dose: int | None = Field(None, ge=0, le=520)
    response: TrialResponse = TrialResponse.UNKNOWN
    reason_stopped: StopReason = StopReason.INEFFICACY
    is_augmentation: bool = False
    in_current_episode: bool = True


class AttachmentIn(Schema):
    filename: Text(200)
    content_base64: str = Field(max_length=14_000_000, description="The PDF, base64-encoded.")


class ReferralIn(Schema):
    """A referral from an EHR. With a practice administrator's token, name the referring clinician
    by `referrer_npi` (one of the practice's clinicians); with a clinician's token it is them."""

    patient: PatientIn
    referrer_npi: Text(10) = ""
    urgency: Urgency = Urgency.ROUTINE
    reason: Text(5000, multiline=True) = ""
    diagnoses: list[DiagnosisIn] = Field(default_factory=list, max_length=10)
    episode_months: Count | None = None
    prior_episodes: Count | None = None
    trials: list[TrialIn] = Field(default_factory=list, max_length=20)
    current_medications: Text(2000, multiline=True) = ""
    psychotherapy_type: Text(200) = ""
    psychotherapy_months: Count | None = None
    psychotherapy_ongoing: bool | None = None
    suicidal_ideation_current: bool = False
    suicide_attempt_history: AttemptHistory = AttemptHistory.NONE
    substance_use: SubstanceUse = SubstanceUse.NONE
    psychosis_or_mania_history: bool = False
    uncontrolled_hypertension: bool = False
    cardiac_disease: bool = False
    aneurysmal_vascular_disease: bool = False
    intracerebral_haemorrhage: bool = False
    pregnancy: bool = False
    seizures: bool = False
    safety_other: Text(2000, multiline=True) = ""
    phq9_total: int | None = Field(None, ge=0, le=27)
    phq9_items: list[Annotated[int, Field(ge=0, le=3)]] | None = Field(None, min_length=9, max_length=9)
    phq9_date: date | None = None
    coordination_name: Text(200) = ""
    coordination_phone: Text(30) = ""
    coordination_email: Text(254) = ""
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=5)


class FindingOut(Schema):
    rule: str
    title: str
    category: str
    outcome: str
    text: str


class ScreeningOut(Schema):
    resistance: str
    safety: str
    findings: list[FindingOut]
    still_needed: list[str]


class PatientOut(Schema):
    first_name: str
    last_name: str
    date_of_birth: date


class ReferralOut(Schema):
    id: int
    reference: str
    status: str
    status_label: str
    urgency: str
    received_at: datetime
    next_action: str
    next_action_due_at: datetime | None
    patient: PatientOut
    referrer_npi: str | None
    screening: ScreeningOut | None


class ReferralPage(Schema):
    items: list[ReferralOut]
    next_offset: int | None


class ErrorOut(Schema):
    message: str
    errors: dict[str, list[str]] = {}


class CodeOut(Schema):
    code: str
    description: str
