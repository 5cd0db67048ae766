"""Real PDFs for tests, built with pikepdf: a one-page letter, and the same letter carrying each kind of
active content a hostile sender could put in it."""

import io

import pikepdf
from pikepdf import Array, Dictionary, Name, String

PAGE_TEXT = "Referral letter for Quinn"


def letter() -> pikepdf.Pdf:
    """An open pikepdf document: one page with a line of text."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    page = pdf.pages[0].obj
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    page.Resources = Dictionary(Font=Dictionary(F1=font))
    page.Contents = pdf.make_stream(f"BT /F1 18 Tf 72 720 Td ({PAGE_TEXT}) Tj ET".encode())
    return pdf


def to_bytes(pdf: pikepdf.Pdf, **save) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **save)
    return out.getvalue()


def plain() -> bytes:
    return to_bytes(letter())


def javascript(code: str = "app.alert('hello')") -> Dictionary:
    return Dictionary(S=Name.JavaScript, JS=String(code))


def _document_javascript(pdf):
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("start"), pdf.make_indirect(javascript())])))


def _open_action(pdf):
    pdf.Root.OpenAction = pdf.make_indirect(javascript())


def _page_actions(pdf):
    pdf.pages[0].obj.AA = Dictionary(O=javascript(), C=javascript())


def _link_javascript(pdf):
    _annotate(pdf, Subtype=Name.Link, A=javascript())


def _chained_javascript(pdf):  # a harmless first step whose /Next runs a script
    _annotate(
        pdf, Subtype=Name.Link, A=Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit]), Next=javascript())
    )


def _script_link(pdf):  # a "web link" whose address is a script
    _annotate(pdf, Subtype=Name.Link, A=Dictionary(S=Name.URI, URI=String("javascript:app.alert('x')")))


def _launch(pdf):
    _annotate(pdf, Subtype=Name.Link, A=Dictionary(S=Name.Launch, F=String("cmd.exe"), NewWindow=True))


def _embedded_file(pdf):
    stream = pdf.make_stream(b"MZ pretend program", Type=Name.EmbeddedFile)
    spec = Dictionary(Type=Name.Filespec, F=String("invoice.exe"), UF=String("invoice.exe"), EF=Dictionary(F=stream))
    pdf.Root.Names = Dictionary(EmbeddedFiles=Dictionary(Names=Array([String("invoice.exe"), pdf.make_indirect(spec)])))


def _file_attachment_annotation(pdf):
    stream = pdf.make_stream(b"MZ pretend program", Type=Name.EmbeddedFile)
    spec = Dictionary(Type=Name.Filespec, F=String("run.exe"), EF=Dictionary(F=stream))
    _annotate(pdf, Subtype=Name.FileAttachment, FS=spec, Name=Name.PushPin)


def _form_scripts(pdf):
    field = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String("dose"), Rect=Array([72, 600, 300, 620]),
            P=pdf.pages[0].obj, AA=Dictionary(K=javascript("event.rc = true"), C=javascript("AFSimple_Calculate()")),
        )
    )  # fmt: skip
    _add_annotation(pdf, field)
    xfa = pdf.make_stream(b"<xdp:xdp><script>xfa.host.messageBox('x')</script></xdp:xdp>")
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]), XFA=xfa)
    pdf.Root.NeedsRendering = True


def _annotate(pdf, **annotation):
    _add_annotation(pdf, pdf.make_indirect(Dictionary(Type=Name.Annot, Rect=Array([72, 700, 300, 740]), **annotation)))


def _add_annotation(pdf, annot):
    page = pdf.pages[0].obj
    page.Annots = Array([*page.get("/Annots", Array()), annot])


# Each kind of active content: how to add it, and what the cleaner reports having removed.
ACTIVE = {
    "document-javascript": (_document_javascript, ["JavaScript"]),
    "open-action": (_open_action, ["JavaScript"]),
    "page-actions": (_page_actions, ["JavaScript"]),
    "link-javascript": (_link_javascript, ["JavaScript"]),
    "chained-javascript": (_chained_javascript, ["JavaScript"]),
    "script-link": (_script_link, ["JavaScript"]),
    "launch": (_launch, ["launch actions"]),
    "embedded-file": (_embedded_file, ["embedded files"]),
    "file-attachment-annotation": (_file_attachment_annotation, ["embedded files"]),
    "form-scripts": (_form_scripts, ["JavaScript", "XFA form scripts"]),
}


def with_active(*kinds: str) -> bytes:
    pdf = letter()
    for kind in kinds:
        ACTIVE[kind][0](pdf)
    return to_bytes(pdf)


def encrypted(user_password: str = "secret") -> bytes:  # noqa: S107 - a test file's password
    return to_bytes(letter(), encryption=pikepdf.Encryption(owner="owner-pw", user=user_password))
