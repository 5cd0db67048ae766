"""The patient's questionnaire page writes the practice's number as people write it, not as stored (E.164)."""

from django.test import Client

from liaison.care.links import questionnaire_link_create
from liaison.core.models import Clinic


def test_the_practice_number_on_the_questionnaire_page_is_written_for_people(accepted, coordinator):
    Clinic.objects.create(name="Harbor Ketamine Clinic", phone="+12125550100")
    _, token = questionnaire_link_create(referral=accepted, by=coordinator)
    body = Client().get(f"/care/q/{token}/").content.decode()
    assert "(212) 555-0100" in body and "+12125550100" not in body
