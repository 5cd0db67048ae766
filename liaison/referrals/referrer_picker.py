"""The staff referral form's referring clinician: found in the directory by name or NPI (a short list of matches,
not a dropdown of every referrer), or added on the spot through the directory's service, in the referral's own
transaction (directory.services.referrer_create)."""

from django import forms
from django.db.models import Q

from liaison.core.forms import Form
from liaison.directory import services as directory
from liaison.directory.models import Referrer
from liaison.directory.validators import validate_npi
from liaison.referrals.intake_forms import AttachmentsForm
from liaison.referrals.intake_services import SPECIALTIES, SPECIALTY_CHOICES, _taxonomy

MATCHES = 10  # at most this many matches are offered
FIELDS = ("id", "npi", "first_name", "last_name", "credential", "practice__name")


def referrer_matches(q: str, *, limit: int = MATCHES) -> list[dict]:
    """Referrers whose NPI begins with the digits typed, or whose names begin with each word typed (in any order:
    "adams alice", "Alice Ad"), by name. Directory data, not a patient's: the clinical team may look any up."""
    q = " ".join((q or "").split())[:60]
    if len(q) < 2:
        return []
    if q.isdigit():
        found = Referrer.objects.filter(npi__startswith=q)
    else:
        found = Referrer.objects.all()
        for word in q.replace(",", " ").split()[:3]:
            found = found.filter(Q(last_name__istartswith=word) | Q(first_name__istartswith=word))
    return list(found.order_by("last_name", "first_name", "id").values(*FIELDS)[:limit])


def chosen(pk) -> list[dict]:
    """The referrer already picked, shown as the first choice when the form comes back."""
    return list(Referrer.objects.filter(pk=pk).values(*FIELDS)) if str(pk or "").isdigit() else []


class NewReferrerForm(Form):
    """A referring clinician not yet in the directory, added with the referral."""

    add = forms.BooleanField(label="The referrer is not in the directory: add them", required=False)
    first_name = forms.CharField(label="First name", max_length=100, required=False)
    last_name = forms.CharField(label="Last name", max_length=100, required=False)
    credential = forms.CharField(label="Credentials", max_length=40, required=False, help_text="MD, DO, NP …")
    npi = forms.CharField(
        label="NPI", max_length=10, required=False, help_text="10 digits; checked by its check digit."
    )
    specialty = forms.ChoiceField(label="Specialty", choices=SPECIALTY_CHOICES, required=False)
    practice = forms.CharField(label="Practice", max_length=200, required=False)
    phone = forms.CharField(label="Phone", max_length=20, required=False)
    fax = forms.CharField(label="Fax", max_length=20, required=False)

    NEEDED = {"first_name": "first name", "last_name": "last name", "npi": "NPI", "specialty": "specialty"}

    def clean(self):
        data = super().clean()
        if not data.get("add"):
            return data
        for field, words in self.NEEDED.items():
            if not data.get(field) and field not in self.errors:
                self.add_error(field, f"Give the new referrer's {words}.")
        npi = data.get("npi") or ""
        if npi and "npi" not in self.errors:
            try:
                validate_npi(npi)
            except forms.ValidationError as exc:
                self.add_error("npi", exc)
            else:
                known = Referrer.objects.filter(npi=npi).first()
                if known is not None:
                    words = f"NPI {npi} is already in the directory ({known.display_name}): find them above."
                    self.add_error("npi", words)
        return data

    @property
    def adding(self) -> bool:
        return bool(self.is_bound and self.data.get(self.add_prefix("add")))

    def create(self, *, by) -> Referrer:
        """The new referrer, written in the caller's transaction (directory.services.referrer_create)."""
        data = self.cleaned_data
        code, name, source = SPECIALTIES[data["specialty"]]
        try:
            return directory.referrer_create(
                by=by, npi=data["npi"], first_name=data["first_name"], last_name=data["last_name"],
                credential=data["credential"], taxonomy=_taxonomy(code, name), source_type=source,
                practice_name=data["practice"], phone=data["phone"], fax=data["fax"],
            )  # fmt: skip
        except forms.ValidationError as exc:  # filed on this form's fields by forms.put_back
            raise forms.ValidationError({f"referrer.{k}": v for k, v in exc.message_dict.items()}) from None


class FaxAttachmentsForm(AttachmentsForm):
    """The faxed referral itself (and any other papers that came with it), as the portal's uploads: PDF only, checked
    and cleaned before anything is written (intake.check_attachments)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].label = "The faxed referral (PDF, optional)"
        self.fields["files"].help_text = "The fax as received, and any notes sent with it: up to 5 PDFs, 10 MB each."
