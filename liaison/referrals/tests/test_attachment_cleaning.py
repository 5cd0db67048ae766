"""Attached PDFs lose their active content before they are stored, whichever way they arrive (the public form,
the API, the intake service); the page itself survives; an encrypted or unreadable PDF is refused with the
field named and nothing written. The stored file is inspected with pikepdf, independently of the cleaner."""

import hashlib
import io

import hypothesis
import pikepdf
import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import strategies as st
from pikepdf import Array, Dictionary, Name
from pypdf import PdfReader

from liaison.referrals import pdf_clean
from liaison.referrals.choices import EventKind
from liaison.referrals.intake_models import Attachment
from liaison.referrals.models import Referral, ReferralEvent
from liaison.referrals.services import referral_receive
from liaison.referrals.tests import pdfs
from liaison.referrals.tests.factories import (
    DiagnosisDataFactory,
    PatientDataFactory,
    ReferralDataFactory,
    TrialDataFactory,
)
from liaison.referrals.tests.test_intake_forms import form_data

EVERY_KIND = list(pdfs.ACTIVE)
RUNS_OR_OPENS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def active_content(content: bytes) -> list[str]:
    """Everything in the PDF that could run or open something, found by walking every object."""
    found = []
    with pikepdf.open(io.BytesIO(content)) as pdf:
        names = pdf.Root.get("/Names")
        if isinstance(names, Dictionary):
            found += [f"Names {key}" for key in ("/JavaScript", "/EmbeddedFiles") if key in names]
        form = pdf.Root.get("/AcroForm")
        if isinstance(form, Dictionary) and "/XFA" in form:
            found.append("XFA")
        for obj in pdf.objects:
            found += _active_in(obj)
    return found


def _active_in(obj) -> list[str]:
    if isinstance(obj, pikepdf.Stream):
        kind = obj.stream_dict.get("/Type")
        return ["embedded file stream"] if kind == Name.EmbeddedFile else []
    if isinstance(obj, Array):
        return [
            f for item in obj if isinstance(item, Dictionary | Array) and not item.is_indirect for f in _active_in(item)
        ]
    if not isinstance(obj, Dictionary):
        return []
    found = [key for key in ("/JS", "/AA", "/EF") if key in obj]
    if str(obj.get("/S", "")) in RUNS_OR_OPENS:
        found.append(str(obj["/S"]))
    if str(obj.get("/URI", "")).lower().startswith("javascript:"):
        found.append("script link")
    if obj.get("/Subtype") == Name.FileAttachment:
        found.append("file attachment annotation")
    for value in obj.values():
        if isinstance(value, Dictionary | Array) and not value.is_indirect:
            found += _active_in(value)
    return found


def page_text(content: bytes) -> str:
    return PdfReader(io.BytesIO(content)).pages[0].extract_text()


# ---------------------------------------------------------------- the cleaner, kind by kind


@pytest.mark.parametrize("kind", EVERY_KIND)
def test_each_kind_of_active_content_is_removed_and_the_page_survives(kind):
    original = pdfs.with_active(kind)
    assert active_content(original), "the test PDF must carry the active content"
    cleaned = pdf_clean.clean_pdf(original)
    assert cleaned.removed == pdfs.ACTIVE[kind][1]
    assert active_content(cleaned.content) == []
    assert pdfs.PAGE_TEXT in page_text(cleaned.content)


def test_form_fields_stay_without_their_scripts():
    cleaned = pdf_clean.clean_pdf(pdfs.with_active("form-scripts"))
    with pikepdf.open(io.BytesIO(cleaned.content)) as pdf:
        assert [str(f.T) for f in pdf.Root.AcroForm.Fields] == ["dose"]
        assert "/NeedsRendering" not in pdf.Root


def test_ordinary_links_stay():
    pdf = pdfs.letter()
    web = Dictionary(S=Name.URI, URI=pikepdf.String("https://clinic.example.org/"))
    pdf.pages[0].obj.Annots = Array([Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 9, 9]), A=web)])
    pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])  # open at the first page
    original = pdfs.to_bytes(pdf)
    assert pdf_clean.clean_pdf(original) == pdf_clean.Cleaned(original, [])  # nothing to remove: stored as sent


def test_a_chain_of_actions_without_end_is_refused_not_a_crash():
    pdf = pdfs.letter()
    action = pdf.make_indirect(pdfs.javascript())
    for _ in range(5000):
        action = pdf.make_indirect(Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit]), Next=action))
    pdf.Root.OpenAction = action
    try:
        cleaned = pdf_clean.clean_pdf(pdfs.to_bytes(pdf))
    except pdf_clean.Refused as refused:
        assert refused.message == pdf_clean.UNREADABLE
    else:
        assert cleaned.removed == ["JavaScript"] and active_content(cleaned.content) == []


def test_a_file_of_too_many_parts_is_refused_quickly():
    pdf = pdfs.letter()
    pdf.Root.Parts = Array([pdf.make_indirect(Dictionary(N=i)) for i in range(pdf_clean.MAX_OBJECTS)])
    with pytest.raises(pdf_clean.Refused) as refused:
        pdf_clean.clean_pdf(pdfs.to_bytes(pdf))
    assert refused.value.message == pdf_clean.TOO_COMPLEX


def test_a_damaged_pdf_is_stored_as_repaired():
    original = pdfs.plain()
    damaged = original.replace(b"trailer", b"trailor")
    cleaned = pdf_clean.clean_pdf(damaged)
    assert cleaned.removed == [] and cleaned.content != damaged
    assert pdfs.PAGE_TEXT in page_text(cleaned.content)
    with pikepdf.open(io.BytesIO(cleaned.content)) as pdf:
        assert pdf.get_warnings() == []


def test_a_plain_pdf_is_stored_exactly_as_sent():
    original = pdfs.plain()
    assert pdf_clean.clean_pdf(original) == pdf_clean.Cleaned(original, [])


# ---------------------------------------------------------------- through the public form, the API, the service


def test_the_public_form_stores_the_cleaned_file_and_says_what_was_removed(anonymous_client, client_for, coordinator):
    upload = SimpleUploadedFile("letter.pdf", pdfs.with_active(*EVERY_KIND), content_type="application/pdf")
    response = anonymous_client.post(reverse("intake:refer"), {**form_data(), "files-files": [upload]})
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = Attachment.objects.get()
    assert_clean_and_recorded(stored)
    page = client_for(coordinator).get(f"/referrals/{stored.referral_id}/").content.decode()
    assert "XFA form scripts, embedded files, launch actions removed before the file was stored" in page
    download = client_for(coordinator).get(reverse("intake:attachment", args=[stored.referral_id, stored.pk]))
    assert download.status_code == 200 and active_content(download.content) == []


def assert_clean_and_recorded(stored: Attachment):
    content = bytes(Attachment.objects.only("content").get(pk=stored.pk).content)
    assert active_content(content) == []
    assert pdfs.PAGE_TEXT in page_text(content)
    assert stored.size == len(content) and stored.sha256 == hashlib.sha256(content).hexdigest()
    note = ReferralEvent.objects.get(referral=stored.referral, kind=EventKind.NOTE)
    removed = ["JavaScript", "XFA form scripts", "embedded files", "launch actions"]
    assert note.detail == {"attachment": "letter.pdf", "removed": removed}
    assert note.reason == (
        "“letter.pdf”: JavaScript, XFA form scripts, embedded files, launch actions removed before the file was "
        "stored. Its pages are kept."
    )


def test_a_clean_file_is_stored_as_sent_and_leaves_no_note(anonymous_client):
    content = pdfs.plain()
    upload = SimpleUploadedFile("letter.pdf", content, content_type="application/pdf")
    assert anonymous_client.post(reverse("intake:refer"), {**form_data(), "files-files": [upload]}).status_code == 302
    assert bytes(Attachment.objects.only("content").get().content) == content
    assert not ReferralEvent.objects.filter(kind=EventKind.NOTE).exists()


# ---------------------------------------------------------------- refused


REFUSED = {
    "broken": (b"%PDF-1.7\n" + b"\x00 this is not the rest of a PDF \xff" * 40, "cannot be read as a PDF"),
    "encrypted": (pdfs.encrypted(), "is password-protected or encrypted"),
    "owner-password-only": (pdfs.encrypted(user_password=""), "is password-protected or encrypted"),
}


def counts():
    return Referral.objects.count(), Attachment.objects.count(), ReferralEvent.objects.count()


@pytest.mark.parametrize("case", list(REFUSED))
def test_an_unreadable_or_encrypted_pdf_is_refused_on_the_form(anonymous_client, case):
    content, message = REFUSED[case]
    before = counts()
    upload = SimpleUploadedFile("scan.pdf", content, content_type="application/pdf")
    response = anonymous_client.post(reverse("intake:refer"), {**form_data(), "files-files": [upload]})
    assert response.status_code == 400
    assert f"“scan.pdf” {message}" in response.content.decode()
    assert response.context["attachments_form"].errors["files"] == [pdf_clean_message(case, "scan.pdf")]
    assert counts() == before


@pytest.mark.parametrize("case", list(REFUSED))
def test_the_service_names_the_attachment_it_refuses(case):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        referral_receive(
            by=None,
            patient=PatientDataFactory(),
            referral=ReferralDataFactory(),
            diagnoses=[DiagnosisDataFactory()],
            trials=[TrialDataFactory()],
            channel="web",
            attachments=[
                {"filename": "good.pdf", "content": pdfs.plain()},
                {"filename": "scan.pdf", "content": REFUSED[case][0]},
            ],
        )
    assert refused.value.message_dict == {"attachments.1": [pdf_clean_message(case, "scan.pdf")]}
    assert counts() == before


def pdf_clean_message(case: str, name: str) -> str:
    template = pdf_clean.UNREADABLE if case == "broken" else pdf_clean.ENCRYPTED
    return template.format(name=name)


HOSTILE = pdfs.with_active(*EVERY_KIND)


@hypothesis.settings(max_examples=120, deadline=None)
@hypothesis.given(
    cut=st.integers(min_value=8, max_value=len(HOSTILE)),
    changes=st.lists(st.tuples(st.integers(0, len(HOSTILE) - 1), st.integers(0, 255)), max_size=12),
)
def test_a_damaged_pdf_is_cleaned_or_refused_never_an_error(cut, changes):
    damaged = bytearray(HOSTILE[:cut])
    for at, value in changes:
        if at < len(damaged):
            damaged[at] = value
    try:
        cleaned = pdf_clean.clean_pdf(bytes(damaged))
    except pdf_clean.Refused as refused:
        assert refused.message in (pdf_clean.UNREADABLE, pdf_clean.ENCRYPTED, pdf_clean.NO_PAGES)
    else:  # whatever qpdf could still read, written again without the active parts
        assert active_content(cleaned.content) == []
        if cleaned.content == bytes(damaged):  # kept as sent only when qpdf found nothing to repair
            with pikepdf.open(io.BytesIO(cleaned.content)) as pdf:
                assert pdf.get_warnings() == []
