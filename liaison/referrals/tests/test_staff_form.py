"""The staff phone/fax form: the faxed PDF attached (checked and cleaned as the portal's), the referrer found by name
or NPI through a small look-up, or added on the spot through the directory's service in the referral's own
transaction; bad input names its field and writes nothing; only the clinical team reaches it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from liaison.core.models import AuditEvent
from liaison.directory.models import Practice, Referrer
from liaison.directory.tests.factories import ReferrerFactory, npi_from
from liaison.referrals.intake_models import Attachment
from liaison.referrals.models import Referral, ReferralEvent
from liaison.referrals.tests import pdfs
from liaison.referrals.tests.factories import staff_form_post

pytestmark = pytest.mark.django_db
NEW_NPI = npi_from("177777777")


def counts():
    return Referral.objects.count(), Referrer.objects.count(), Practice.objects.count(), Attachment.objects.count()


def new_referrer(**over) -> dict:
    data = {
        "newref-add": "on", "newref-first_name": "Olivia", "newref-last_name": "Brennan", "newref-credential": "MD",
        "newref-npi": NEW_NPI, "newref-specialty": "psychiatry", "newref-practice": "Harbor Psychiatry Group",
        "newref-phone": "(212) 555-0100", "newref-fax": "(212) 555-0199",
    }  # fmt: skip
    return data | over


def post(client, data):
    return client.post(reverse("referrals:new"), data)


def test_the_faxed_pdf_is_stored_with_the_referral(client_for, coordinator, alice_referrer):
    fax = SimpleUploadedFile("fax.pdf", pdfs.with_active("open-action"), content_type="application/pdf")
    response = post(client_for(coordinator), staff_form_post(referrer=alice_referrer) | {"files-files": [fax]})
    assert response.status_code == 302
    referral = Referral.objects.get()
    item = Attachment.objects.get(referral=referral)
    assert item.filename == "fax.pdf" and item.message_id is None
    assert ReferralEvent.objects.filter(referral=referral, reason__contains="JavaScript removed").exists()


def test_a_file_that_is_not_a_pdf_is_refused_on_its_field_and_nothing_is_written(
    client_for, coordinator, alice_referrer
):
    before = counts()
    fax = SimpleUploadedFile("fax.pdf", b"II*\x00 a tiff", content_type="application/pdf")
    response = post(client_for(coordinator), staff_form_post(referrer=alice_referrer) | {"files-files": [fax]})
    assert response.status_code == 400 and "“fax.pdf” is not a PDF" in response.content.decode()
    assert counts() == before


def test_a_new_referrer_is_added_with_the_referral(client_for, coordinator):
    response = post(
        client_for(coordinator), staff_form_post(referrer=None) | {"referral-self_referral": ""} | new_referrer()
    )
    assert response.status_code == 302
    referral = Referral.objects.select_related("referrer__practice").get()
    made = referral.referrer
    assert (made.npi, made.last_name, made.credential, made.source_type) == (NEW_NPI, "Brennan", "MD", "psychiatry")
    assert (
        made.practice.name == "Harbor Psychiatry Group" and made.phone == "+12125550100" and made.fax == "+12125550199"
    )
    assert AuditEvent.objects.filter(action="create", object_type="directory.referrer", object_id=str(made.pk)).exists()


def test_a_new_referrer_joins_a_practice_already_in_the_directory(client_for, coordinator, practice_a):
    data = (
        staff_form_post(referrer=None)
        | {"referral-self_referral": ""}
        | new_referrer(**{"newref-practice": "riverside psychiatry"})
    )
    assert post(client_for(coordinator), data).status_code == 302
    assert Referrer.objects.get(npi=NEW_NPI).practice == practice_a and Practice.objects.count() == 1


@pytest.mark.parametrize(
    ("over", "problem"),
    [
        ({"newref-npi": NEW_NPI[:-1] + str((int(NEW_NPI[-1]) + 1) % 10)}, "check digit is wrong"),
        ({"newref-npi": "12345"}, "exactly 10 digits"),
        ({"newref-last_name": ""}, "Give the new referrer&#x27;s last name."),
        ({"newref-fax": "12"}, "wrong number of digits"),
    ],
)
def test_a_bad_new_referrer_names_the_field_and_writes_nothing(over, problem, client_for, coordinator):
    before = counts()
    data = staff_form_post(referrer=None) | {"referral-self_referral": ""} | new_referrer(**over)
    response = post(client_for(coordinator), data)
    assert response.status_code == 400 and problem in response.content.decode()
    assert counts() == before


def test_a_known_npi_is_pointed_to_the_directory(client_for, coordinator, alice_referrer):
    data = (
        staff_form_post(referrer=None)
        | {"referral-self_referral": ""}
        | new_referrer(**{"newref-npi": alice_referrer.npi})
    )
    response = post(client_for(coordinator), data)
    assert response.status_code == 400 and "is already in the directory (Alice Adams" in response.content.decode()


def test_a_bad_referral_writes_no_new_referrer_either(client_for, coordinator):
    before = counts()
    data = (
        staff_form_post(referrer=None)
        | {"referral-self_referral": "", "patient-date_of_birth": "2199-01-01"}
        | new_referrer()
    )
    response = post(client_for(coordinator), data)
    assert response.status_code == 400 and "The date of birth is in the future." in response.content.decode()
    assert counts() == before


def test_a_picked_referrer_and_a_new_one_together_are_refused(client_for, coordinator, alice_referrer):
    data = staff_form_post(referrer=alice_referrer) | new_referrer()
    response = post(client_for(coordinator), data)
    assert response.status_code == 400 and "not both" in response.content.decode()


def test_the_form_offers_no_list_of_every_referrer(client_for, coordinator):
    ReferrerFactory.create_batch(12, last_name="Zimmer")
    page = client_for(coordinator).get(reverse("referrals:new")).content.decode()
    assert "Zimmer" not in page and 'name="q"' in page and '<select name="referral-referrer"' not in page


# ---------------------------------------------------------------- the look-up


def lookup(client, q):
    return client.get(reverse("referrals:referrer_lookup"), {"q": q})


def test_the_look_up_finds_by_name_in_any_order_or_by_npi(client_for, coordinator, alice_referrer, bob_referrer):
    client = client_for(coordinator)
    for q in ("adams", "Alice Ad", "adams alice", alice_referrer.npi):
        page = lookup(client, q).content.decode()
        assert f'value="{alice_referrer.pk}"' in page and "Baker" not in page, q
    assert "No referrer in the directory matches" in lookup(client, "nobody").content.decode()
    assert "at least two letters" in lookup(client, "a").content.decode()


def test_the_look_up_offers_ten_at_most(client_for, coordinator):
    ReferrerFactory.create_batch(12, last_name="Smith")
    page = lookup(client_for(coordinator), "smi").content.decode()
    assert page.count('type="radio"') == 10 and "The first 10 matches" in page


def test_the_page_without_scripts_searches_too(client_for, coordinator, alice_referrer):
    page = client_for(coordinator).get(reverse("referrals:new"), {"q": "adams"}).content.decode()
    assert f'value="{alice_referrer.pk}"' in page and 'form="new-referral"' in page


@pytest.mark.parametrize(("who", "status"), [("alice", 403), ("liaison", 403), ("admin", 403), ("anonymous", 302)])
def test_only_the_clinical_team_uses_the_form_and_the_look_up(who, status, request, client_for):
    client = client_for(None if who == "anonymous" else request.getfixturevalue(who))
    assert lookup(client, "adams").status_code == status
    before = counts()
    assert post(client, staff_form_post(referrer=None) | new_referrer()).status_code == status
    assert counts() == before


@pytest.mark.parametrize("who", ["coordinator", "clinician", "director"])
def test_the_clinical_team_looks_up_referrers(who, request, client_for, alice_referrer):
    assert lookup(client_for(request.getfixturevalue(who)), "adams").status_code == 200
