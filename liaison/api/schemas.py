"""The API's typed shapes. They mirror the referral form; the rules themselves live in
referrals.services.referral_receive, which both the form and the API call."""

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Strict, WithJsonSchema

from liaison.core.validators import MULTILINE_MESSAGE, ONE_LINE_MESSAGE, control_characters
from liaison.referrals.choices import AttemptHistory, Sex, StopReason, SubstanceUse, TrialResponse, Urgency
from liaison.referrals.intake import MAX_ATTACHMENT_BYTES


def _printable(value: str) -> str:
    """No NUL characters or lone surrogates: the database cannot store them."""
    if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("contains characters that are not text")
    return value


# The same rule as the validators, written for the OpenAPI schema (so that clients and fuzzers know it).
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]*$"
MULTI_LINE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]*$"


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


def _whole(value):
    """JSON Schema counts 3.0 as the integer 3; so do we (but not "3", nor true)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def Whole(ge: int, le: int):  # noqa: N802 - reads like a type
    """A whole number from `ge` to `le` (strict otherwise: In)."""
    return Annotated[int, Field(ge=ge, le=le), BeforeValidator(_whole)]


Count = Whole(0, 1000)


# ------------------------------------------------------------------ the rules the services apply, stated here
# Every rule the intake service would otherwise find on its own is written into the schema below, so that what the
# OpenAPI document allows is what the API accepts (liaison/api/tests/test_api_schemathesis.py runs schemathesis on it).
# The rules no schema can state are listed in ReferralIn's description.


class In(Schema):
    """Incoming JSON is taken as it is: no number read from a string, no true read from 1. Dates and choices are
    strings in JSON, so those fields say so themselves (Strict(False) below)."""

    model_config = ConfigDict(strict=True)


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value):
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("Give the date as YYYY-MM-DD.")
    return value


def _years_up_to(last: int) -> str:
    """A regex for the years 1900 to `last` (at most 2099)."""
    decade = last // 10 % 10
    parts = ["19[0-9]{2}"]
    if decade:
        parts.append(f"20[0-{decade - 1}][0-9]")
    parts.append(f"20{decade}[0-{last % 10}]")
    return "|".join(parts)


# A date of birth is in the past: the years 1900 to last year (nobody born this year is referred for ketamine
# therapy), which a pattern can say, unlike "before today".
BIRTH_PATTERN = rf"^({_years_up_to(date.today().year - 1)})-[0-9]{{2}}-[0-9]{{2}}$"


def _birth_date(value):
    if not isinstance(value, str) or not re.fullmatch(BIRTH_PATTERN, value):
        raise ValueError(f"Give the date of birth as YYYY-MM-DD, from 1900 to {date.today().year - 1}.")
    return value


Day = Annotated[date, Strict(False), BeforeValidator(_iso_date)]
BirthDate = Annotated[
    date,
    Strict(False),
    BeforeValidator(_birth_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": BIRTH_PATTERN}),
]


def Choice(choices):  # noqa: N802 - reads like a type
    """One of a choice list's values, given as its string."""
    return Annotated[choices, Strict(False)]


def _matching(pattern: str, message: str):
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


def Matching(max_length: int, pattern: str, message: str, **kwargs):  # noqa: N802 - reads like a type
    """One line of text that must also match `pattern` (stated in the schema, checked here)."""
    return Annotated[
        str,
        Field(max_length=max_length, json_schema_extra={"pattern": pattern}, **kwargs),
        AfterValidator(_printable),
        AfterValidator(_one_line),
        _matching(pattern, message),
    ]


# Names: at least one character that is not a space (the service strips them), and no control characters.
_HIDDEN = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069"
_PLAIN = rf"[^{_HIDDEN}]"
NAME_PATTERN = rf"^{_PLAIN}*[^\s{_HIDDEN}]{_PLAIN}*$"
# A US or Canadian number as people write it; every one of these is a number the intake service accepts.
PHONE_PATTERN = r"^((\+1 ?)?(\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .-]?)[2-9][0-9]{2}[ .-]?[0-9]{4})?$"
ZIP_PATTERN = r"^([0-9]{5})?$"
NPI_PATTERN = r"^([12][0-9]{9})?$"
ICD10_PATTERN = r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$"  # referrals.models.icd10_validator

Name = Matching(100, NAME_PATTERN, "Give a name (not only spaces).")
Phone = Matching(30, PHONE_PATTERN, "Give a US or Canadian phone number such as (212) 555-0142, or leave it empty.")
Zip = Matching(5, ZIP_PATTERN, "Give a five-digit ZIP code, or leave it empty.")
Npi = Matching(10, NPI_PATTERN, "Give a ten-digit NPI starting with 1 or 2, or leave it empty.")
Icd10 = Matching(8, ICD10_PATTERN, "Give an ICD-10-CM code such as F33.2 or F32.A.", examples=["F33.2"])


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("Give an email address such as name@example.org, or leave it empty.") from None
    return value


Email = Annotated[
    str,
    Field(max_length=254),
    AfterValidator(_printable),
    AfterValidator(_one_line),
    AfterValidator(_email),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "maxLength": 0}, {"type": "string", "format": "email", "maxLength": 254}]}
    ),
]


# A dose as a JSON number, or as a decimal string ("150", "37.5"): from 0.02 to 99999.99 mg, two decimal places.
# (Not 0.01: the trial model's MinValueValidator(0.01) compares with a float and so refuses exactly 0.01.)
DOSE_PATTERN = r"^([1-9][0-9]{0,4}(\.[0-9]{1,2})?|0?\.([1-9][0-9]?|0[2-9]))$"
DOSE_MESSAGE = 'Give the dose in mg, from 0.02 to 99999.99, as a number or a string such as "37.5".'


def _dose(value):
    """A number is kept to two decimal places; a string must already be written with at most two."""
    if isinstance(value, str) and re.fullmatch(DOSE_PATTERN, value):
        return Decimal(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not (0.02 <= value <= 99999.99):
        raise ValueError(DOSE_MESSAGE)
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


Dose = Annotated[
    Decimal,
    BeforeValidator(_dose),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0.02, "maximum": 99999.99},
                {"type": "string", "pattern": DOSE_PATTERN},
            ],
            "description": "Highest daily dose in mg; a number is kept to two decimal places.",
        }
    ),
]


class PatientIn(In):
    first_name: Name
    last_name: Name
    date_of_birth: BirthDate
    sex: Choice(Sex) = Sex.UNKNOWN
    phone: Phone = ""
    email: Email = ""
    zip_code: Zip = ""


class DiagnosisIn(In):
    code: Icd10
    description: Text(300) = ""


class TrialIn(In):
    drug: Text(100, min_length=1, examples=["sertraline"])
    daily_dose_mg: Dose | None = None
    weeks_at_dose: Whole(1, 520) | None = None
    response: Choice(TrialResponse) = TrialResponse.UNKNOWN
    reason_stopped: Choice(StopReason) = StopReason.INEFFICACY
    is_augmentation: bool = False
    in_current_episode: bool = True


# A PDF (it begins "%PDF-") of at most 10 MB, base64-encoded with padding (referrals.intake.check_attachments).
PDF_BASE64_PATTERN = r"^JVBE(Ri0=|Ri0[A-Za-z0-9+/]([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$"
PDF_BASE64_MAX = 4 * -(-MAX_ATTACHMENT_BYTES // 3)


class AttachmentIn(In):
    filename: Text(200)
    content_base64: Matching(
        PDF_BASE64_MAX,
        PDF_BASE64_PATTERN,
        "This is not a base64-encoded PDF.",
        description="The PDF (at most 10 MB), base64-encoded.",
    )


class ReferralIn(In):
    """A referral from an EHR. With a practice administrator's token, name the referring clinician
    by `referrer_npi` (one of the practice's clinicians); with a clinician's token it is them.

    Every rule this schema states is the rule applied. A few no schema can state are answered 422 with the
    field named: `referrer_npi` that is not one of the practice's clinicians; `phq9_total`, `phq9_items` or
    `phq9_item9` that contradict each other; an attachment (`attachments.N`) that is not a readable PDF or is
    encrypted; an `Idempotency-Key` already used for a different referral; a trial's dose or weeks that cannot be
    right, or that are unusual and not confirmed (`confirm_unusual`)."""

    patient: PatientIn
    referrer_npi: Npi = ""
    urgency: Choice(Urgency) = Urgency.ROUTINE
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
    suicide_attempt_history: Choice(AttemptHistory) = AttemptHistory.NONE
    substance_use: Choice(SubstanceUse) = SubstanceUse.NONE
    psychosis_or_mania_history: bool = False
    uncontrolled_hypertension: bool = False
    cardiac_disease: bool = False
    aneurysmal_vascular_disease: bool = False
    intracerebral_haemorrhage: bool = False
    pregnancy: bool = False
    seizures: bool = False
    safety_other: Text(2000, multiline=True) = ""
    phq9_total: Whole(0, 27) | None = None
    phq9_items: list[Whole(0, 3) | None] | None = Field(
        None,
        min_length=9,
        max_length=9,
        description="The nine answers in order; null for an item left unanswered (the PHQ-9 is then incomplete, "
        "with no total).",
    )
    phq9_item9: Whole(0, 3) | Literal["not_asked"] | None = Field(
        None,
        description='Item 9 (the safety question) when only the total is known: 0-3, or "not_asked". Left out '
        "with a total alone, it is kept as not asked: a gap the practice's clinician resolves.",
    )
    phq9_date: Day | None = None
    coordination_name: Text(200) = ""
    coordination_phone: Phone = ""
    coordination_email: Email = ""
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=5)
    confirm_unusual: bool = Field(
        False,
        description="Send true to confirm doses or weeks the service found unusual (a 422 naming them and "
        "`confirm_unusual` says so): well above the drug's usual maximum, or more than two years at one dose. "
        "Values that cannot be right (five times the usual maximum, 0 weeks, more weeks than the patient's life) "
        "are refused whatever this says.",
    )


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


class CodeOut(Schema):
    code: str
    description: str
