"""Active content taken out of an attached PDF before it is stored.

A referral's PDF is opened by coordinators and clinicians on clinic machines. Whatever in it could run or open
something by itself is removed, with pikepdf (qpdf) doing the reading and writing: JavaScript (document-level,
open actions, page and field events, links), launch actions, form submissions and links into other files,
embedded files and file-attachment annotations, media annotations, and XFA forms with their scripts. Pages,
text, images, ordinary links (web addresses, pages in the same file) and form fields stay. A sound file with
nothing to remove is stored exactly as sent; a damaged one is stored as qpdf repaired it. An encrypted or
unreadable file is refused: we cannot look inside it."""

import io
import warnings
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name

# Action types (/S) that run code, start programs, send data or open other files, and what we call them.
ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "launch actions",
    "/SubmitForm": "form submissions",
    "/ImportData": "form data imports",
    "/GoToR": "links into other files",
    "/GoToE": "links into embedded files",
    "/Rendition": "media",
    "/Movie": "media",
    "/Sound": "media",
    "/RichMediaExecute": "media",
}
# A web link whose address is really a script or a local file.
SCRIPT_LINKS = ("javascript:", "vbscript:", "data:", "file:")
# Annotations that carry a file or a player: removed whole.
ACTIVE_ANNOTATIONS = {
    "/FileAttachment": "embedded files",
    "/RichMedia": "media",
    "/Movie": "media",
    "/Sound": "media",
    "/Screen": "media",
    "/3D": "3D content",
}

ENCRYPTED = "“{name}” is password-protected or encrypted; please send it without a password."
UNREADABLE = "“{name}” cannot be read as a PDF; it may be damaged. Please save it again and send the new file."
NO_PAGES = "“{name}” has no pages."
# A referral letter, a set of notes or a scan has hundreds to a few thousand parts (objects); checking each one
# takes time, so a file with far more is refused rather than hold the form for many seconds.
MAX_OBJECTS = 50_000
TOO_COMPLEX = (
    "“{name}” is too complex to check (more than 50,000 parts). Please print it to a new PDF, or scan it, and "
    "send that file."
)


class Refused(Exception):
    """The PDF cannot be taken: `message` says why, with a `{name}` for the file's name."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Cleaned:
    content: bytes
    removed: list[str]  # the kinds of active content taken out, each once, in alphabetical order


def clean_pdf(content: bytes) -> Cleaned:
    """The PDF without its active content, and what was taken out; Refused if it cannot be read."""
    try:
        pdf = pikepdf.open(io.BytesIO(content))
    except pikepdf.PasswordError:
        raise Refused(ENCRYPTED) from None
    except (pikepdf.PdfError, ValueError, RuntimeError):
        raise Refused(UNREADABLE) from None
    with pdf:
        if pdf.is_encrypted:
            raise Refused(ENCRYPTED)
        try:
            return _clean(pdf, content)
        except (pikepdf.PdfError, RuntimeError, ValueError, TypeError):
            # A damaged object found on the way, nesting without end, a name that is not text: whatever we cannot
            # read we cannot vouch for, so the file is refused rather than stored.
            raise Refused(UNREADABLE) from None


def _clean(pdf: pikepdf.Pdf, content: bytes) -> Cleaned:
    if len(pdf.pages) == 0:
        raise Refused(NO_PAGES)
    if len(pdf.objects) > MAX_OBJECTS:
        raise Refused(TOO_COMPLEX)
    found: set[str] = set()
    _clean_catalog(pdf.Root, found)
    for page in pdf.pages:
        _clean_annotations(page.obj, found)
    for obj in pdf.objects:
        _sweep(obj, found)
    if not found and not pdf.get_warnings():
        return Cleaned(content, [])
    # Written again: without what was removed, and for a damaged file, as qpdf repaired it, so that no viewer
    # repairs it differently and finds something we did not see.
    if "/Size" not in pdf.trailer:  # a rebuilt trailer lacks it; qpdf writes the true count where the key exists
        pdf.trailer.Size = 0
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pikepdf.PikepdfWarning)  # advice about how Acrobat shows odd forms
        pdf.save(out)
    return Cleaned(out.getvalue(), sorted(found))


def _clean_catalog(root: Dictionary, found: set[str]) -> None:
    """Document-level scripts and attachments (name trees), and XFA forms."""
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        for key, kind in (("/JavaScript", "JavaScript"), ("/EmbeddedFiles", "embedded files")):
            if key in names:
                found.add(kind)
                del names[key]
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary) and "/XFA" in form:
        found.add("XFA form scripts")
        del form["/XFA"]
        if "/NeedsRendering" in root:
            del root["/NeedsRendering"]


def _clean_annotations(page: Dictionary, found: set[str]) -> None:
    annots = page.get("/Annots")
    if not isinstance(annots, Array):
        return
    keep = [a for a in annots if not _active_annotation(a, found)]
    if len(keep) != len(annots):
        page.Annots = Array(keep)


def _active_annotation(annot, found: set[str]) -> bool:
    kind = ACTIVE_ANNOTATIONS.get(str(annot.get("/Subtype", ""))) if isinstance(annot, Dictionary) else None
    if kind:
        found.add(kind)
    return kind is not None


def _sweep(obj, found: set[str]) -> None:
    """Clean one object and the dictionaries written inside it (indirect ones are swept on their own)."""
    if isinstance(obj, pikepdf.Stream):
        if obj.stream_dict.get("/Type") == Name.EmbeddedFile:  # a file inside the file, wherever it hangs
            found.add("embedded files")
            obj.write(b"")
            del obj.stream_dict["/Type"]
        return
    if isinstance(obj, Dictionary):
        _clean_dictionary(obj, found)
        children = list(obj.values())
    elif isinstance(obj, Array):
        children = list(obj)
    else:
        return
    for child in children:
        if isinstance(child, Dictionary | Array) and not child.is_indirect:
            _sweep(child, found)


def _clean_dictionary(d: Dictionary, found: set[str]) -> None:
    if "/AA" in d:  # actions run on events: opening a page, leaving a field, printing ...
        aa = d["/AA"]
        kinds = set().union(*(_active_kinds(a) for a in aa.values())) if isinstance(aa, Dictionary) else set()
        found.update(kinds or {"automatic actions"})
        del d["/AA"]
    for key in ("/OpenAction", "/A", "/Next"):
        if key in d and (kinds := _active_kinds(d[key])):
            found.update(kinds)
            del d[key]
    if "/JS" in d:
        found.add("JavaScript")
        del d["/JS"]
    _disarm(d, found)
    _disarm_annotation(d, found)
    if "/EF" in d:  # a file specification holding the file itself (whatever a damaged /Type says)
        found.add("embedded files")
        del d["/EF"]


def _disarm(d: Dictionary, found: set[str]) -> None:
    """An action we did not meet under a key we know (a damaged or unusual file) loses its type and target, so that
    no viewer can run it wherever it hangs."""
    if kinds := _own_kinds(d):
        found.update(kinds)
        for key in ("/S", "/F", "/URI", "/Win", "/Mac", "/Unix"):
            if key in d:
                del d[key]


def _disarm_annotation(d: Dictionary, found: set[str]) -> None:
    """An attachment or player annotation that no page lists (a damaged file can hang one anywhere) loses what it
    carries and becomes a hidden note, so that no viewer can open it."""
    kind = ACTIVE_ANNOTATIONS.get(str(d.get("/Subtype", "")))
    if not kind or d.get("/Type", Name.Annot) != Name.Annot:
        return
    found.add(kind)
    for key in ("/FS", "/Sound", "/Movie", "/RichMediaContent", "/RichMediaSettings", "/3DD", "/3DA", "/RD"):
        if key in d:
            del d[key]
    d.Subtype, d.F = Name.Text, 2  # 2: hidden


def _active_kinds(action, seen: set | None = None) -> set[str]:
    """What an action, or a chain or list of actions, would do that we remove."""
    seen = set() if seen is None else seen
    if isinstance(action, Array):
        return set().union(*(_active_kinds(a, seen) for a in action))
    if not isinstance(action, Dictionary):
        return set()
    if action.is_indirect:
        if action.objgen in seen:
            return set()
        seen.add(action.objgen)
    kinds = _own_kinds(action)
    if "/Next" in action:
        kinds |= _active_kinds(action["/Next"], seen)
    return kinds


def _own_kinds(action: Dictionary) -> set[str]:
    """What this one action does that we remove (not the actions chained after it)."""
    kinds = {ACTIVE_ACTIONS[str(action["/S"])]} if str(action.get("/S", "")) in ACTIVE_ACTIONS else set()
    # Whatever /S says (a damaged file may have lost it), an address that is a script is removed.
    if str(action.get("/URI", "")).strip().lower().startswith(SCRIPT_LINKS):
        kinds.add("JavaScript")
    if "/JS" in action:
        kinds.add("JavaScript")
    return kinds
