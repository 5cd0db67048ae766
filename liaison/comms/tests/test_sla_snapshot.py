"""The letters-on-time page's figures worked out ahead (decision 0033, the snapshot): a snapshot holds what the
live figures give; the page reads the newest in one query and says as of when; a missing or late one (the worker
down) is worked out live and the page says so; a person who sees only some referrals keeps their own live figures;
the worker, Celery beat, the command and the end of a bulk load take them. On SQLite and PostgreSQL."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liaison.accounts.models import User
from liaison.comms import sla_snapshot, worker
from liaison.comms.models import SlaSnapshot
from liaison.comms.queries import sla_figures_from_letters
from liaison.comms.sla import practice_figures
from liaison.demo.network import build_demo_network

pytestmark = pytest.mark.django_db


@pytest.fixture
def director():
    build_demo_network(seed=2026, referrers=12, referrals=60)
    return User.objects.get(username="director")


def _page(client, user, query=""):
    client.force_login(user)
    response = client.get("/comms/sla/" + query)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("days", sla_snapshot.WINDOWS)
def test_a_snapshot_holds_the_live_figures(director, days):
    at = timezone.now()
    snapshot = sla_snapshot.take(days, at=at)
    shown = sla_snapshot.shown(user=director, days=days, now=at + timedelta(minutes=5))
    live = practice_figures(days=days, at=at, top=sla_snapshot.TOP)
    assert (shown.practice, shown.referrers) == live and shown.as_of == snapshot.computed_at == at
    letters = sla_figures_from_letters(user=director, days=days, at=at, top=sla_snapshot.TOP)
    # the letters' own figures (the order of referrers tied on overdue and due is each path's own)
    assert live[0] == letters[0] and {r.referrer_id: r for r in live[1]} == {r.referrer_id: r for r in letters[1]}
    assert shown.referrers and shown.practice.due


def test_the_page_reads_the_newest_snapshot_in_one_query(director, client):
    old = sla_snapshot.take(90, at=timezone.now() - timedelta(minutes=12))
    new = sla_snapshot.take(90)
    assert list(SlaSnapshot.objects.filter(days=90)) == [new]  # the older one went
    assert old.pk != new.pk
    _page(client, director)  # warm
    with CaptureQueriesContext(connection) as captured:
        page = _page(client, director)
    assert page.context["figures"].as_of == new.computed_at
    assert (
        "Figures as of" in page.text
        and "worked out every 10 minutes" in page.text
        and 'href="/comms/">work queue' in page.text
    )
    reads = [q["sql"] for q in captured.captured_queries if "comms_" in q["sql"]]
    assert len(reads) == 1 and "comms_slasnapshot" in reads[0]
    assert SlaSnapshot.objects.count() == 1  # nothing taken


def test_a_late_snapshot_is_worked_out_live_and_the_page_says_so(director, client):
    late = sla_snapshot.take(90, at=timezone.now() - sla_snapshot.STALE - timedelta(minutes=1))
    page = _page(client, director)
    figures = page.context["figures"]
    assert figures.as_of is None and figures.live_because == "stale" and figures.stale_as_of == late.computed_at
    assert "background worker may be down" in page.text
    assert (figures.practice, figures.referrers) == practice_figures(days=90, top=sla_snapshot.TOP)
    assert list(SlaSnapshot.objects.all()) == [late]  # left late, so the page keeps saying so


def test_a_missing_snapshot_is_worked_out_live_and_stored(director, client):
    page = _page(client, director, "?days=30")
    assert page.context["figures"].live_because == "missing" and "Worked out just now" in page.text
    stored = SlaSnapshot.objects.get()
    assert stored.days == 30
    again = _page(client, director, "?days=30")
    assert again.context["figures"].as_of == stored.computed_at
    assert (again.context["practice"], again.context["referrers"]) == (
        page.context["practice"],
        page.context["referrers"],
    )


def test_a_window_not_offered_is_worked_out_live(director, client):
    page = _page(client, director, "?days=45")
    assert page.context["figures"].live_because == "window" and not SlaSnapshot.objects.exists()
    assert "Worked out just now for this window" in page.text


def test_a_person_who_sees_only_some_referrals_keeps_their_own_figures(director):
    sla_snapshot.refresh_all()
    referrer = User.objects.get(username="referrer")
    assert not referrer.sees_all_referrals
    shown = sla_snapshot.shown(user=referrer, days=90)
    assert shown.live_because == "scoped" and shown.as_of is None
    mine = sla_figures_from_letters(user=referrer, days=90, top=sla_snapshot.TOP)
    assert (shown.practice.due, shown.practice.on_time) == (mine[0].due, mine[0].on_time)
    assert shown.practice.due < sla_snapshot.shown(user=director, days=90).practice.due


def test_refresh_takes_the_missing_and_the_ten_minutes_old_only(director):
    now = timezone.now()
    assert sla_snapshot.refresh(now=now) == len(sla_snapshot.WINDOWS)
    assert sla_snapshot.refresh(now=now + timedelta(minutes=9)) == 0
    SlaSnapshot.objects.filter(days=90).delete()
    assert sla_snapshot.refresh(now=now + timedelta(minutes=9)) == 1
    assert sla_snapshot.refresh(now=now + sla_snapshot.EVERY) == len(sla_snapshot.WINDOWS) - 1
    assert SlaSnapshot.objects.count() == len(sla_snapshot.WINDOWS)


def test_the_worker_beat_command_and_bulk_load_take_them(director):
    from liaison.celery import app
    from liaison.demo.rebuilds import REBUILDS

    assert worker._periodic["comms.sla_snapshot"] == (60, sla_snapshot.refresh)
    assert app.conf.beat_schedule["comms-sla-snapshot"] == {"task": "comms.sla_snapshot", "schedule": 60.0}
    assert ("comms.slasnapshot", "liaison.comms.sla_snapshot", "refresh_all") in REBUILDS
    out = io.StringIO()
    call_command("sla_snapshot", stdout=out)
    assert f"Took {len(sla_snapshot.WINDOWS)} snapshots" in out.getvalue()
    assert sorted(SlaSnapshot.objects.values_list("days", flat=True)) == sorted(sla_snapshot.WINDOWS)
