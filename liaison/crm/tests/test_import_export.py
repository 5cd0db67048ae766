"""The targets export and import with hostile or broken files: no cell of the export runs as a spreadsheet
formula, and no file, however malformed, gets a server error or writes anything; each problem is named by
line and column, or for the whole file."""

import codecs
import csv
import io
import zipfile

import hypothesis
import pytest
from hypothesis import strategies as st

from liaison.core.exports import safe_cell, safe_row
from liaison.crm import importer
from liaison.crm.models import Relationship
from liaison.directory.models import Practice, Referrer
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory, npi_from

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x","y")'

# ---------------------------------------------------------------- export


def exported(client) -> list[list[str]]:
    response = client.get("/crm/targets/export.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_no_exported_cell_starts_like_a_formula(client_for, liaison):
    practice = PracticeFactory(name="+1 212 555 0100 Midtown", clinician_count=3, zip_code="10011")
    hostile = ReferrerFactory(first_name=HYPERLINK, last_name="Ortiz", practice=practice)
    ReferrerFactory(first_name="@SUM(A1)", last_name="Cho", practice=PracticeFactory(name="\tTabbed", zip_code=""))
    ReferrerFactory(first_name="-2+3", last_name="Diaz", practice=PracticeFactory(name="\rReturn"))
    plain = ReferrerFactory(first_name="Ana", last_name="Bell", practice=PracticeFactory(name="Bell Psychiatry"))
    rows = exported(client_for(liaison))
    header, body = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[1] == "Name"
    row = body[hostile.npi]
    assert row["Name"] == "'" + HYPERLINK + " Ortiz, MD"  # shown as typed, never run
    assert row["Practice"] == "'+1 212 555 0100 Midtown"  # phone-like text is quoted too
    assert row["Clinicians"] == "3"  # numbers stay numbers
    assert {body[r.npi]["Name"] for r in Referrer.objects.exclude(pk__in=[hostile.pk, plain.pk])} == {
        "'@SUM(A1) Cho, MD",
        "'-2+3 Diaz, MD",
    }
    assert {r["Practice"] for r in body.values()} >= {"'\tTabbed", "'\rReturn", "Bell Psychiatry"}
    assert body[plain.npi]["Name"] == "Ana Bell, MD"  # ordinary text is untouched
    for cells in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells), cells


def test_a_safe_cell_quotes_formula_text_and_passes_numbers():
    assert safe_cell(HYPERLINK) == "'" + HYPERLINK
    assert safe_cell("+12125550142") == "'+12125550142"
    assert safe_cell(-3) == -3 and safe_cell(-2.5) == -2.5 and safe_cell(None) is None
    assert safe_row(["Ana", "=1+1", 0]) == ["Ana", "'=1+1", 0]


# ---------------------------------------------------------------- import

HEADER = "npi,first_name,last_name,credential,taxonomy_code,source_type,practice_name,zip_code,clinician_count\n"


def good_line(n: int, last: str = "Ortiz") -> str:
    return f"{npi_from(f'1555000{n:02d}')},Ana,{last},MD,2084P0800X,psychiatry,Ortiz Psychiatry,10011,3\n"


def nothing_written():
    return (Referrer.objects.count(), Practice.objects.count(), Relationship.objects.count())


@pytest.fixture
def importing(client_for, liaison):
    """Upload `raw` through the page, then (for a readable file) confirm it; and import its text directly.
    Returns the preview the page showed."""
    client = client_for(liaison)

    def run(raw: bytes, name: str = "targets.csv"):
        before = nothing_written()
        response = client.post("/crm/targets/import/", {"file": _named(raw, name)})
        assert response.status_code == 200
        preview = response.context["preview"]
        if response.context["text"]:
            confirm = client.post("/crm/targets/import/", {"confirm": "1", "text": response.context["text"]})
            assert confirm.status_code == 200  # shown again with its problems, not imported
            with pytest.raises(importer.ValidationError):
                importer.targets_import(by=liaison, text=response.context["text"])
        assert nothing_written() == before
        return preview, response.content.decode()

    return run


def _named(raw: bytes, name: str):
    upload = io.BytesIO(raw)
    upload.name = name
    return upload


def test_a_line_with_an_extra_value_is_named_not_a_server_error(importing):
    raw = (HEADER + good_line(1) + good_line(2, "Cho").rstrip("\n") + ",surplus,more\n").encode()
    preview, page = importing(raw)
    assert [(r.line, r.errors) for r in preview.bad_rows] == [
        (3, ["This line has 2 more values than there are columns ('surplus', 'more'); "
             "check for a comma inside a name that is not in quotes."]),
    ]  # fmt: skip
    assert "1 row needs fixing" in page and "surplus" in page


def test_a_line_that_stops_early_names_the_missing_columns(importing):
    raw = (HEADER + good_line(1) + f"{npi_from('155500002')},Ben,Cho,MD,2084P0800X\n").encode()
    preview, _ = importing(raw)
    assert [(r.line, r.errors) for r in preview.bad_rows] == [
        (3, ["This line stops early: no value for source_type, practice_name, zip_code, clinician_count."]),
    ]


def test_a_name_with_a_line_break_is_refused_by_column(importing):
    raw = (HEADER + good_line(1) + f'{npi_from("155500002")},"Ben\nJamin",Cho,MD,2084P0800X,,Cho,10011,1\n').encode()
    preview, _ = importing(raw)
    assert [(r.line, r.errors) for r in preview.bad_rows] == [
        (3, ["first_name: remove the line break, tab or other invisible character."]),
    ]


def test_a_value_longer_than_the_directory_holds_is_named_not_cut_or_crashed(importing):
    email = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".org"  # a valid address of 308 characters
    line = f"{npi_from('155500002')},{'Ann' * 40},Cho,MD,2084P0800X,,Cho,10011,1,{email}\n"
    preview, _ = importing((HEADER.rstrip() + ",email\n" + good_line(1).rstrip() + ",\n" + line).encode())
    assert [(r.line, r.errors) for r in preview.bad_rows] == [
        (3, ["first_name: at most 100 characters (120 given).", "email: at most 254 characters (308 given)."]),
    ]


def test_a_latin1_file_from_a_spreadsheet_is_read_with_its_accents(liaison):
    text = HEADER + good_line(1, "Nuñez") + good_line(2, "O’Brien")
    preview = importer.read_upload(text.encode("cp1252"))[1]
    assert preview.ok, [r.errors for r in preview.rows]
    assert [r.data["last_name"] for r in preview.rows] == ["Nuñez", "O’Brien"]
    assert importer.targets_import(by=liaison, text=importer.decode(text.encode("cp1252"))[0]) == 2
    assert Referrer.objects.filter(last_name="O’Brien").exists()


def test_a_file_mixing_two_encodings_names_the_first_odd_line(importing):
    raw = (HEADER + good_line(1, "Nuñez")).encode() + good_line(2, "Muñoz").encode("cp1252")
    preview, page = importing(raw)
    assert preview.problems == [
        "Line 3 is in a different text encoding from other lines. "
        "Save it from the spreadsheet as “CSV UTF-8” and upload that file."
    ]


def test_a_utf16_file_with_its_mark_is_read_and_one_without_is_refused(importing):
    text = (HEADER + good_line(1)).replace(",", "\t")  # Excel's "Unicode text": UTF-16, tab-separated
    assert importer.read_upload(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))[1].ok
    preview, page = importing(text.encode("utf-16-le"))
    assert preview.problems == [
        "The file is not plain text (it holds zero bytes: binary data, or UTF-16 without its mark). "
        "Save it from the spreadsheet as “CSV UTF-8” and upload that file."
    ]
    assert "The file cannot be read" in page


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("targets.csv", HEADER + good_line(1))
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (PNG, "This is a PNG image, not a CSV file."),
        (_zip(), "This is a zip archive or an Excel workbook (.xlsx), not a CSV file."),
        (b"\x00\x01\x02\x03binary\xff\xfe", "The file is not plain text (it holds zero bytes"),
        (b"\xff\xfe\x00\xd8", "The file says it is UTF-16 text but is not."),
        (b"   \n\n", "The file is empty."),
        (HEADER.encode(), "The file has the line of column names but no rows to import."),
        (b"name,phone\nAna,1\n", "The first line must name the columns, at least: npi, first_name, last_name."),
        ((HEADER.rstrip() + ",NPI\n" + good_line(1)).encode(), "The first line names a column more than once: 'npi'."),
    ],
    ids=["png", "zip", "binary", "broken-utf16", "blank", "header-only", "wrong-columns", "column-twice"],
)
def test_a_file_that_is_not_a_usable_csv_gets_one_clear_message(importing, raw, problem):
    preview, page = importing(raw, "targets.csv")
    assert len(preview.problems) == 1 and preview.problems[0].startswith(problem), preview.problems
    assert "The file cannot be read" in page


def test_an_empty_upload_is_refused_by_the_form(client_for, liaison):
    response = client_for(liaison).post("/crm/targets/import/", {"file": _named(b"", "empty.csv")})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert importer.read_upload(b"")[1].problems == ["The file is empty."]


def test_a_stray_quote_is_a_file_message_not_a_server_error(importing):
    raw = (HEADER + good_line(1) + '"' + "x" * (csv.field_size_limit() + 10)).encode()
    preview, _ = importing(raw)
    assert preview.problems and preview.problems[0].startswith("Line 3 cannot be read as CSV")


def test_every_problem_of_a_text_posted_to_the_confirm_step_is_read_not_crashed(liaison):
    text = HEADER + good_line(1) + "x,y\x00z\n"
    with pytest.raises(importer.ValidationError) as caught:
        importer.targets_import(by=liaison, text=text)
    assert "zero bytes" in str(caught.value)
    assert Referrer.objects.count() == 0


CSVISH = st.text(
    alphabet=st.sampled_from(list(',;\t"\n\r xyzé’=+-@0123456789') + ["\x00", "\x85", "\u2028"]), max_size=300
)


@hypothesis.settings(
    max_examples=150, deadline=None, suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture]
)
@hypothesis.given(body=st.one_of(st.binary(max_size=400), CSVISH.map(str.encode)))
def test_no_file_whatever_its_bytes_breaks_the_reader(body):
    for raw in (body, HEADER.encode() + body, (HEADER + good_line(1)).encode() + body):
        text, preview = importer.read_upload(raw)
        assert preview.problems or preview.rows or not text.strip()
        for row in preview.rows:
            assert all(isinstance(e, str) for e in row.errors)


def test_a_name_typed_into_the_public_form_is_exported_quoted(client_for, liaison):
    from django.core.cache import cache

    from liaison.referrals.tests.test_intake_forms import NEW_NPI, form_data

    cache.clear()  # the public form's rate limit
    response = client_for(None).post("/refer/", form_data(**{"me-first_name": HYPERLINK, "me-last_name": "Hill"}))
    assert response.status_code == 302, response.content.decode()[:2000]
    row = next(r for r in exported(client_for(liaison))[1:] if r[0] == NEW_NPI)
    assert row[1].startswith("'" + HYPERLINK)
