"""The letters-on-time page read from stored days (decision 0033) shows what the letters themselves give: the demo
network written through the services keeps the days current as it goes; then letters moved, cancelled and delivered
at random (around the services), the nightly rebuild, and the page's figures compared with the letters' at random
moments and windows, on SQLite and PostgreSQL."""

import io
import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from liaison.accounts.models import User
from liaison.comms import letter_days
from liaison.comms.choices import DueStatus
from liaison.comms.models import DueCommunication, LetterDay
from liaison.comms.queries import sla_figures_from_letters
from liaison.comms.sla import sla_figures
from liaison.demo.network import build_demo_network

pytestmark = pytest.mark.django_db


def _stored() -> dict:
    return {
        (c.day, c.referrer_pk): (c.owed, c.delivered, c.on_time)
        for c in LetterDay.objects.all()
        if (c.owed, c.delivered, c.on_time) != (0, 0, 0)
    }


def _from_letters() -> dict:
    return {
        (r["cell_day"], r["cell_referrer"]): (r["owed"], r["delivered"], r["on_time"])
        for r in letter_days.grouped_from_letters()
    }


def _figures(practice, referrers) -> tuple:
    rows = {r.referrer_id: (r.due, r.on_time, r.overdue_now, r.median_ack_hours) for r in referrers}
    return (practice.due, practice.on_time, practice.overdue_now, practice.median_ack_hours), rows


@pytest.fixture
def network():
    build_demo_network(seed=2026, referrers=12, referrals=60)
    return User.objects.get(username="director")


def test_the_services_keep_the_days_as_a_rebuild_makes_them(network):
    assert DueCommunication.objects.filter(status=DueStatus.DELIVERED).exists()
    assert _stored() == _from_letters()
    assert letter_days.rebuild_letter_days() == LetterDay.objects.count()
    assert _stored() == _from_letters()
    out = io.StringIO()
    call_command("rebuild_letter_days", stdout=out)  # the nightly job's command
    assert f"Rebuilt {LetterDay.objects.count()} letter days" in out.getvalue() and _stored() == _from_letters()


def test_stored_days_show_what_the_letters_show_at_random(network):
    rng = random.Random(13)
    now = timezone.now()
    letters = list(DueCommunication.objects.all())
    for due in rng.sample(letters, len(letters) // 2):  # written around the services: the rebuild puts it right
        due.due_at = now + timedelta(hours=rng.uniform(-24 * 120, 24 * 20))
        due.status = rng.choice(list(DueStatus))
        due.delivered_at = due.due_at + timedelta(hours=rng.uniform(-48, 72)) if due.status == "delivered" else None
        due.save(update_fields=["due_at", "status", "delivered_at"])
    letter_days.rebuild_letter_days()
    assert _stored() == _from_letters()
    director = network
    for _ in range(12):
        at = now + timedelta(hours=rng.uniform(-24 * 30, 24 * 10))
        days = rng.choice([1, 2, 7, 30, 90, 365])
        stored = sla_figures(user=director, days=days, at=at, top=1000)
        raw = sla_figures_from_letters(user=director, days=days, at=at, top=1000)
        assert _figures(*stored) == _figures(*raw), (at, days)
        shown = sla_figures(user=director, days=days, at=at, top=5)[1]
        order = [(-r.overdue_now, -r.due) for r in shown]
        assert order == sorted(order) and order == [(-r.overdue_now, -r.due) for r in raw[1][:5]]


def test_a_window_starting_at_midnight_has_no_partial_first_day(network):
    director = network
    at = letter_days.day_start(letter_days.day_of(timezone.now()))  # since is a midnight too
    for days in (1, 3):
        stored = sla_figures(user=director, days=days, at=at, top=1000)
        assert _figures(*stored) == _figures(*sla_figures_from_letters(user=director, days=days, at=at, top=1000))


def test_the_page_reads_the_stored_days(network, client):
    client.force_login(network)
    page = client.get("/comms/sla/?days=30")
    assert page.status_code == 200
    practice = page.context["practice"]
    raw, _ = sla_figures_from_letters(user=network, days=30)
    assert (practice.due, practice.on_time, practice.overdue_now) == (raw.due, raw.on_time, raw.overdue_now)
