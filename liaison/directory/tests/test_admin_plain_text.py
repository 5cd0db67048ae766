"""The admin pages refuse a control character in a one-line field, as every form does (liaison.core.forms):
the directory's referrers and practices, the communication settings, the clinic."""

import pytest
from django.contrib import admin as django_admin
from django.test import RequestFactory

from liaison.comms.models import CommsSettings
from liaison.core.models import Clinic
from liaison.directory.models import Referrer
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory


def admin_form(instance, user, **changes):
    """The admin's change form for `instance`, posted back as it is shown, with `changes`."""
    model_admin = django_admin.site._registry[type(instance)]
    request = RequestFactory().get("/")
    request.user = user
    form_class = model_admin.get_form(request, instance)
    shown = form_class(instance=instance)
    data = {}
    for name in shown.fields:
        value = shown[name].value()
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = str(value)
    data.update(changes)
    return form_class(data, instance=instance)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: ReferrerFactory(), "last_name"),
        (lambda: ReferrerFactory(), "email"),
        (lambda: PracticeFactory(), "name"),
        (lambda: CommsSettings.objects.create(from_email="letters@clinic.example"), "from_email"),
        (lambda: Clinic.objects.create(name="Harbor", email="care@harbor.example", phone="(718) 555-0100"), "name"),
    ],
)
def test_an_admin_form_refuses_a_line_break_and_names_the_field(admin, make, field):
    instance = make()
    assert admin_form(instance, admin).is_valid(), admin_form(instance, admin).errors  # as shown, it saves
    value = getattr(instance, field) or "x"
    form = admin_form(instance, admin, **{field: f"{value}\nBcc: everyone@example.test"})
    assert not form.is_valid()
    assert list(form.errors) == [field]
    assert any("single line of plain text" in message for message in form.errors[field])


@pytest.mark.django_db
def test_the_admin_page_shows_the_error_and_writes_nothing(admin, client_for):
    referrer = ReferrerFactory(last_name="Lee")
    data = admin_form(referrer, admin, last_name="Lee\r\nSmith").data
    response = client_for(admin).post(f"/admin/directory/referrer/{referrer.pk}/change/", data)
    assert response.status_code == 200 and list(response.context["adminform"].form.errors) == ["last_name"]
    assert Referrer.objects.get(pk=referrer.pk).last_name == "Lee"
