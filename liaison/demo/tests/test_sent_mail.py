"""The demo's mail catcher and its Sent mail page: a letter signed in the demo goes out through the worker, lands in
the catcher on 127.0.0.1 and is readable on the page, whole; the page is for the clinical team, and outside demo mode
it does not exist."""

import pytest
from django.test import override_settings

from liaison.comms import services, worker
from liaison.comms.models import DueCommunication
from liaison.comms.seed import seed_protocol
from liaison.comms.tests.helpers import keys, referral_for
from liaison.core.models import AuditEvent, Clinic
from liaison.demo import mailcatcher
from liaison.demo.models import CaughtMail

DEMO_URLS = "liaison.demo.tests.demo_urls"


@pytest.fixture
def demo_mode(settings):
    settings.MODE = "demo"
    settings.ROOT_URLCONF = DEMO_URLS


@pytest.fixture
def catcher():
    caught = mailcatcher.start()  # a free port on 127.0.0.1, chosen now
    with override_settings():
        mailcatcher.use(caught)
        yield caught
    caught.stop()


def _signed_letter(coordinator):
    seed_protocol()
    Clinic.objects.get_or_create(name="Harbor Ketamine Clinic", defaults={"phone": "+17185550100"})
    referral = referral_for(email="olivia.brennan@riverside.example", coordinator=coordinator)
    due = keys(referral)["ack"]
    letter = services.letter_draft(due=due, by=coordinator)
    services.letter_approve(letter=letter, by=coordinator)
    return due, letter


def test_the_catcher_listens_on_this_computer_only(catcher):
    assert catcher.controller.hostname == "127.0.0.1" == mailcatcher.HOST
    assert catcher.port > 0


@pytest.mark.django_db(transaction=True)
def test_a_signed_letter_is_sent_by_the_worker_caught_and_shown_on_the_sent_mail_page(
    demo_mode, catcher, coordinator, client_for
):
    due, letter = _signed_letter(coordinator)
    assert worker.run_once(worker="test") == {"sent": 1}
    assert DueCommunication.objects.get(pk=due.pk).status == "delivered"
    mail = CaughtMail.objects.get()
    assert mail.recipients == "olivia.brennan@riverside.example" and mail.subject == letter.subject

    client = client_for(coordinator)
    listing = client.get("/demo/mail/").content.decode()
    assert "Sent mail" in listing and "olivia.brennan@riverside.example" in listing
    assert listing.count(letter.subject) == 1  # once, in the table (no "messages" banner borrowed by mistake)
    page = client.get(f"/demo/mail/{mail.pk}/").content.decode()
    assert "Thank you for referring" in page and f"{letter.referral.reference}-acknowledgment.pdf" in page
    html = client.get(f"/demo/mail/{mail.pk}/html/")
    assert html["Content-Security-Policy"].startswith("default-src 'none'")
    assert b"Harbor Ketamine Clinic" in html.content
    pdf = client.get(f"/demo/mail/{mail.pk}/parts/{_pdf_part(client, mail)}/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    actions = list(AuditEvent.objects.filter(object_type="demo.caughtmail").values_list("action", flat=True))
    assert actions.count("list") == 1 and "view" in actions and "download" in actions


def _pdf_part(client, mail) -> int:
    from liaison.demo import sent_mail

    return next(p.number for p in sent_mail.show(mail).attachments if p.content_type == "application/pdf")


@pytest.fixture
def one_mail(db):
    raw = (
        b"From: Liaison <liaison@localhost>\r\nTo: doc@practice.example\r\nSubject: A letter\r\n"
        b"Message-ID: <letter-1.1@localhost>\r\n\r\nDear Dr. Brennan,\r\n"
    )
    return mailcatcher.keep("liaison@localhost", ["doc@practice.example"], raw)


@pytest.mark.parametrize(
    ("who", "status"),
    [("coordinator", 200), ("clinician", 200), ("director", 200), ("liaison", 403), ("admin", 403), ("alice", 403)],
)
def test_the_page_is_for_the_clinical_team(demo_mode, one_mail, client_for, request, who, status):
    client = client_for(request.getfixturevalue(who))
    assert client.get("/demo/mail/").status_code == status
    assert client.get(f"/demo/mail/{one_mail.pk}/").status_code == status


def test_signed_out_people_are_sent_to_sign_in(demo_mode, one_mail, client):
    response = client.get("/demo/mail/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_empty_catcher_says_so(demo_mode, coordinator, client_for):
    assert "No mail yet" in client_for(coordinator).get("/demo/mail/").content.decode()


def test_a_missing_message_or_part_is_404(demo_mode, one_mail, coordinator, client_for):
    client = client_for(coordinator)
    assert client.get(f"/demo/mail/{one_mail.pk + 1}/").status_code == 404
    assert client.get(f"/demo/mail/{one_mail.pk}/parts/0/").status_code == 404
    assert client.get(f"/demo/mail/{one_mail.pk}/html/").status_code == 404  # plain text only


def test_outside_demo_mode_the_page_does_not_exist(one_mail, coordinator, client_for, settings):
    client = client_for(coordinator)
    assert settings.MODE == "test"
    assert client.get("/demo/mail/").status_code == 404  # not routed
    settings.ROOT_URLCONF = DEMO_URLS  # routed, yet still not there outside demo mode
    assert client.get("/demo/mail/").status_code == 404
    assert client.get(f"/demo/mail/{one_mail.pk}/").status_code == 404


def test_the_demo_command_points_mail_at_its_catcher_unless_email_host_is_set(monkeypatch, settings):
    from io import StringIO

    from liaison.demo.management.commands.demo import Command

    monkeypatch.delenv("EMAIL_HOST", raising=False)
    command = Command(stdout=StringIO())
    with override_settings():
        caught = command._catch_mail(url="http://127.0.0.1:8205/")
        try:
            from django.conf import settings as live

            assert ("127.0.0.1", caught.port, False) == (live.EMAIL_HOST, live.EMAIL_PORT, live.EMAIL_USE_TLS)
        finally:
            caught.stop()
    assert "http://127.0.0.1:8205/demo/mail/" in command.stdout.getvalue()
    monkeypatch.setenv("EMAIL_HOST", "smtp.practice.example")
    assert command._catch_mail(url="http://127.0.0.1:8205/") is None


def test_links_in_the_demos_emails_point_at_the_port_it_serves_on(settings, monkeypatch):
    from liaison.demo.management.commands.demo import use_site_url
    from liaison.notify.compose import url

    monkeypatch.delenv("LIAISON_SITE_URL", raising=False)
    use_site_url("127.0.0.1", "8190")
    assert settings.SITE_URL == "http://127.0.0.1:8190"
    assert url("/referrals/1/") == "http://127.0.0.1:8190/referrals/1/"
    monkeypatch.setenv("LIAISON_SITE_URL", "https://liaison.example.test")
    settings.SITE_URL = "https://liaison.example.test"
    use_site_url("127.0.0.1", "8190")
    assert settings.SITE_URL == "https://liaison.example.test"  # the operator's own address stays
