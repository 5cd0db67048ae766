"""Importing targets from a CSV file: read every row, check every row, then write all or nothing.

Two shapes are understood: our own columns (npi, first_name, last_name, credential, taxonomy_code,
source_type, practice_name, practice_type, clinician_count, zip_code, city, state, phone, email), and
the NPPES download's columns ("NPI", "Provider Last Name (Legal Name)", ...), from which individual
clinicians (entity type 1) are taken with their primary taxonomy and practice location."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from liaison.core.audit import audit_log
from liaison.core.validators import control_characters
from liaison.crm import geo
from liaison.crm.choices import Stage
from liaison.crm.models import Relationship
from liaison.directory.choices import REFERRER_SOURCE_TYPES, PracticeType
from liaison.directory.models import Practice, Referrer, Taxonomy
from liaison.directory.services import shared_care_default
from liaison.directory.validators import normalize_phone, validate_npi

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
REQUIRED = ("npi", "first_name", "last_name")
SOURCE_VALUES = {value for value, _ in REFERRER_SOURCE_TYPES}
# What the directory can hold; a longer value is refused by name rather than cut short.
LONGEST = {"first_name": 100, "last_name": 100, "credential": 40, "practice_name": 200, "city": 100, "email": 254}

NPPES = {
    "npi": "NPI",
    "entity_type": "Entity Type Code",
    "last_name": "Provider Last Name (Legal Name)",
    "first_name": "Provider First Name",
    "credential": "Provider Credential Text",
    "practice_name": "Provider Organization Name (Legal Business Name)",
    "city": "Provider Business Practice Location Address City Name",
    "state": "Provider Business Practice Location Address State Name",
    "zip_code": "Provider Business Practice Location Address Postal Code",
    "phone": "Provider Business Practice Location Address Telephone Number",
}
NPPES_TAXONOMY_SLOTS = 15

# Taxonomy code prefixes (NUCC) to our source types; the longest match wins.
SOURCE_BY_TAXONOMY = {
    "2084P0800X": "psychiatry", "2084P0804X": "psychiatry", "2084P0805X": "psychiatry", "2084B0040X": "psychiatry",
    "363LP0808X": "psychiatry", "2084N0400X": "neurology", "208VP0014X": "pain", "208VP0000X": "pain",
    "2084P0301X": "psychiatry", "207Q": "primary_care", "207R": "primary_care", "208D": "primary_care",
    "363LF": "primary_care", "363LA": "primary_care", "363A": "primary_care", "103T": "therapy", "1041": "therapy",
    "101Y": "therapy", "106H": "therapy",
}  # fmt: skip


@dataclass
class Row:
    line: int
    data: dict
    errors: list[str] = field(default_factory=list)
    existing: bool = False


@dataclass
class Preview:
    rows: list[Row]
    problems: list[str] = field(default_factory=list)  # about the file as a whole

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows) and not any(r.errors for r in self.rows)

    @property
    def bad_rows(self) -> list[Row]:
        return [r for r in self.rows if r.errors]


def source_for_taxonomy(code: str) -> str:
    matches = [prefix for prefix in SOURCE_BY_TAXONOMY if code.startswith(prefix)]
    return SOURCE_BY_TAXONOMY[max(matches, key=len)] if matches else "other"


def _digits(value: str) -> str:
    """NPPES files opened in a spreadsheet come back as '688472944.0'; keep the digits."""
    value = (value or "").strip()
    if value.endswith(".0"):
        value = value[:-2]
    return "".join(ch for ch in value if ch.isdigit())


def _from_nppes(raw: dict) -> dict:
    data = {ours: (raw.get(theirs) or "").strip() for ours, theirs in NPPES.items()}
    data["entity_type"] = _digits(data["entity_type"])
    data["npi"] = _digits(data["npi"])
    zip_digits = _digits(data["zip_code"])
    data["zip_code"] = zip_digits.zfill(9)[:5] if len(zip_digits) > 5 else zip_digits.zfill(5) if zip_digits else ""
    data["phone"] = _digits(data["phone"])
    slots = range(1, NPPES_TAXONOMY_SLOTS + 1)
    codes = [(raw.get(f"Healthcare Provider Taxonomy Code_{i}") or "").strip() for i in slots]
    primary = [
        code for i, code in enumerate(codes, 1)
        if code and (raw.get(f"Healthcare Provider Primary Taxonomy Switch_{i}") or "").strip() == "Y"
    ]  # fmt: skip
    data["taxonomy_code"] = (primary or [c for c in codes if c] or [""])[0]
    data["first_name"], data["last_name"] = data["first_name"].title(), data["last_name"].title()
    data["city"] = data["city"].title()
    return data


# Files people upload by mistake, known by their first bytes.
NOT_CSV = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF-": "a PDF document",
    b"PK\x03\x04": "a zip archive or an Excel workbook (.xlsx)",
    b"\xd0\xcf\x11\xe0": "an older Excel workbook (.xls)",
}
SAVE_AS_CSV = "Save it from the spreadsheet as “CSV UTF-8” and upload that file."
MISSING = object()  # what csv.DictReader gives a column the line has no value for


def decode(raw: bytes) -> tuple[str, list[str]]:
    """The uploaded bytes as text, or the reason they are not a CSV file we can read. UTF-8 (with or without
    Excel's byte-order mark) and UTF-16 with its mark are read as such; other text as Windows-1252, which is
    what a spreadsheet on Windows saves."""
    if not raw:
        return "", ["The file is empty."]
    for magic, kind in NOT_CSV.items():
        if raw.startswith(magic):
            return "", [f"This is {kind}, not a CSV file. {SAVE_AS_CSV}"]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), []
        except UnicodeDecodeError:
            return "", [f"The file says it is UTF-16 text but is not. {SAVE_AS_CSV}"]
    if b"\x00" in raw:
        return "", [
            f"The file is not plain text (it holds zero bytes: binary data, or UTF-16 without its mark). {SAVE_AS_CSV}"
        ]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        if _some_lines_are_utf8(raw):  # pasted together from two sources: reading it either way garbles a part
            line = raw[: exc.start].count(b"\n") + 1
            return "", [f"Line {line} is in a different text encoding from other lines. {SAVE_AS_CSV}"]
    try:
        return raw.decode("cp1252"), []
    except UnicodeDecodeError:
        return raw.decode("latin-1"), []


def _some_lines_are_utf8(raw: bytes) -> bool:
    """Whether a line with letters beyond plain ASCII reads as UTF-8 (in Windows-1252 text that never happens
    by chance for real names)."""
    for line in raw.splitlines():
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            return True
    return False


def read_upload(raw: bytes) -> tuple[str, Preview]:
    """An uploaded file: its text (for the confirm step) and its preview."""
    text, problems = decode(raw[: MAX_BYTES + 1])
    return text, (Preview([], problems) if problems else read(text))


def read(text: str) -> Preview:
    """Parse and check every row; nothing is written."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        return Preview([], ["The file is larger than 5 MB; split it into smaller files."])
    if not text.strip():
        return Preview([], ["The file is empty."])
    if "\x00" in text:
        return Preview([], [f"The file is not plain text (it holds zero bytes). {SAVE_AS_CSV}"])
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect, restval=MISSING)
    lines = _Lines(reader)
    try:
        return _read_rows(reader, lines)
    except csv.Error:
        return Preview([], [f"Line {lines.start} cannot be read as CSV: look for a stray quote mark. {SAVE_AS_CSV}"])


class _Lines:
    """The rows of a DictReader with the line each starts on (a quoted value may span lines)."""

    def __init__(self, reader: csv.DictReader):
        self.reader, self.start = reader, 1

    def __iter__(self):
        self.reader.fieldnames  # noqa: B018 - reads the first line
        self.start = self.reader.line_num + 1
        for row in self.reader:
            yield self.start, row
            self.start = self.reader.line_num + 1


def _read_rows(reader: csv.DictReader, lines: _Lines) -> Preview:
    header = [h.strip() for h in (reader.fieldnames or [])]
    if problem := _header_problem(header):
        return Preview([], [problem])
    nppes = "NPI" in header and NPPES["last_name"] in header
    rows = []
    for line, raw in lines:
        if len(rows) >= MAX_ROWS:
            return Preview([], [f"The file has more than {MAX_ROWS:,} rows; split it into smaller files."])
        values = [v for v in raw.values() if isinstance(v, str)] + (raw.get(None) or [])
        if not any(v.strip() for v in values):
            continue  # a blank line, or one of empty cells
        shape = _shape_errors(raw)
        raw = {_key(k, nppes): ("" if v is MISSING else v) for k, v in raw.items() if k is not None}
        data = _from_nppes(raw) if nppes else {k: v.strip() for k, v in raw.items()}
        rows.append(Row(line=line, data=data, errors=shape))
    preview = Preview(rows)
    if not rows:
        preview.problems.append("The file has the line of column names but no rows to import.")
    _check_all(preview)
    return preview


def _key(name: str, nppes: bool) -> str:
    return name.strip() if nppes else name.strip().lower()


def _header_problem(header: list[str]) -> str | None:
    nppes = "NPI" in header and NPPES["last_name"] in header
    if not nppes and not set(REQUIRED) <= {h.lower() for h in header}:
        return f"The first line must name the columns, at least: {', '.join(REQUIRED)}."
    names = [h if nppes else h.lower() for h in header]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return f"The first line names a column more than once: {', '.join(repr(n) for n in twice)}."
    return None


def _shape_errors(raw: dict) -> list[str]:
    """A line with more or fewer values than the first line has column names."""
    extra = raw.get(None)
    if extra:
        shown = ", ".join(repr(v) for v in extra[:3]) + (", ..." if len(extra) > 3 else "")
        return [f"This line has {len(extra)} more value{'s' if len(extra) > 1 else ''} than there are columns "
                f"({shown}); check for a comma inside a name that is not in quotes."]  # fmt: skip
    missing = [k.strip() for k, v in raw.items() if v is MISSING]
    if missing:
        return [f"This line stops early: no value for {', '.join(missing)}."]
    return []


def _check_all(preview: Preview) -> None:
    taxonomies = set(Taxonomy.objects.values_list("code", flat=True))
    npis = [r.data.get("npi", "") for r in preview.rows]
    existing = set(Referrer.objects.filter(npi__in=npis).values_list("npi", flat=True))
    seen: dict[str, int] = {}
    for row in preview.rows:
        _check_row(row, taxonomies)
        npi = row.data.get("npi", "")
        if npi in seen:
            row.errors.append(f"NPI {npi} is also on line {seen[npi]}.")
        seen.setdefault(npi, row.line)
        row.existing = npi in existing


def _check_row(row: Row, taxonomies: set[str]) -> None:
    d, errors = row.data, row.errors
    if errors:  # the line's values are out of step with the columns: checking them would only confuse
        return
    if d.get("entity_type") == "2":
        errors.append("This is an organisation (entity type 2); import individual clinicians.")
        return
    for name, value in d.items():
        if control_characters(value):
            errors.append(f"{name}: remove the line break, tab or other invisible character.")
    for name in REQUIRED:
        if not d.get(name):
            errors.append(f"{name}: this column is empty.")
    if d.get("npi"):
        try:
            validate_npi(d["npi"])
        except ValidationError as exc:
            errors.append(f"npi: {exc.messages[0]}")
    code = d.get("taxonomy_code", "")
    if not code:
        errors.append("taxonomy_code: give the specialty's taxonomy code, such as 2084P0800X.")
    elif code not in taxonomies:
        errors.append(f"taxonomy_code: {code} is not a taxonomy code we know.")
    source = d.get("source_type") or source_for_taxonomy(code)
    if source not in SOURCE_VALUES:
        errors.append(f"source_type: {source!r} is not one of {', '.join(sorted(SOURCE_VALUES))}.")
    d["source_type"] = source
    _check_practice(d, errors)
    _check_contact(d, errors)


def _check_practice(d: dict, errors: list[str]) -> None:
    if d.get("zip_code") and not geo.is_known_zip(d["zip_code"]):
        errors.append(f"zip_code: {d['zip_code']} is not a US ZIP code we know.")
    if d.get("practice_type") and d["practice_type"] not in PracticeType.values:
        errors.append(f"practice_type: {d['practice_type']!r} is not one of {', '.join(PracticeType.values)}.")
    size = d.get("clinician_count", "")
    if size and not (size.isdigit() and int(size) >= 1):
        errors.append(f"clinician_count: {size!r} is not a whole number of at least 1.")
    if d.get("state") and not (len(d["state"]) == 2 and d["state"].isalpha()):
        errors.append(f"state: {d['state']!r} is not a two-letter state code.")


def _check_contact(d: dict, errors: list[str]) -> None:
    try:
        d["phone"] = normalize_phone(d.get("phone", ""))
    except ValidationError as exc:
        errors.append(f"phone: {exc.messages[0]}")
    if d.get("email"):
        try:
            validate_email(d["email"])
        except ValidationError:
            errors.append(f"email: {d['email']!r} is not an email address.")
    for name, most in LONGEST.items():
        if len(d.get(name) or "") > most:
            errors.append(f"{name}: at most {most} characters ({len(d[name])} given).")


def targets_import(*, by, text: str) -> int:
    """Check the whole file again and, if every row is good, write all of it in one transaction.
    New clinicians join the directory; everyone in the file becomes a target owned by `by`."""
    preview = read(text)
    if not preview.ok:
        raise ValidationError({f"line {r.line}": r.errors for r in preview.bad_rows} or {"file": preview.problems})
    now = timezone.now()
    with transaction.atomic():
        for row in preview.rows:
            referrer = Referrer.objects.filter(npi=row.data["npi"]).first() or _new_referrer(row.data)
            relationship, made = Relationship.objects.get_or_create(
                referrer=referrer, defaults={"stage": Stage.TARGET, "owner": by, "stage_changed_at": now}
            )
            if not made and relationship.owner_id is None:
                Relationship.objects.filter(pk=relationship.pk).update(owner=by)
        audit_log(actor=by, action="crm.targets.import", detail={"rows": len(preview.rows)})
        geo.referrer_distances_sync(Referrer.objects.filter(npi__in=[row.data["npi"] for row in preview.rows]))
    return len(preview.rows)


def _new_referrer(d: dict) -> Referrer:
    practice = None
    name = d.get("practice_name") or (f"{d['first_name']} {d['last_name']} practice" if d.get("zip_code") else "")
    if name:
        practice = Practice.objects.filter(
            name=name, zip_code=d.get("zip_code", "")
        ).first() or Practice.objects.create(
            name=name[:200],
            practice_type=d.get("practice_type") or PracticeType.SOLO,
            clinician_count=int(d.get("clinician_count") or 1),
            city=d.get("city", "")[:100],
            state=d.get("state", "").upper(),
            zip_code=d.get("zip_code", ""),
        )
    return Referrer.objects.create(
        npi=d["npi"],
        first_name=d["first_name"][:100],
        last_name=d["last_name"][:100],
        credential=d.get("credential", "").replace(".", "")[:40],
        taxonomy_id=d["taxonomy_code"],
        source_type=d["source_type"],
        practice=practice,
        shared_care_model=shared_care_default(practice),  # a new clinician follows their practice's agreement
        phone=d.get("phone", ""),
        email=d.get("email", ""),
    )
