"""`liaison demo` opens on a practice that runs well, whatever day it is built: most letters on time, a few due
today or overdue this morning, the liaison's tasks done but this week's, relationships at every step of the road.
Built once, full size, by the command itself, with the clock where it really is."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from liaison.comms.choices import PENDING
from liaison.comms.models import DueCommunication
from liaison.comms.sla import practice_figures
from liaison.crm.choices import Stage, TaskStatus
from liaison.crm.models import Relationship, Task
from liaison.demo.story import TASK_GRACE


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", no_serve=True)
        yield timezone.now()
        transaction.set_rollback(True)


@pytest.mark.django_db
class TestAHealthyPractice:
    def test_at_least_nine_letters_in_ten_went_on_time(self, demo):
        practice, _ = practice_figures(days=90, at=demo)
        assert practice.due >= 100
        assert practice.on_time / practice.due >= 0.9, practice

    def test_a_few_letters_are_overdue_this_morning_and_some_are_due_later(self, demo):
        pending = DueCommunication.objects.filter(status__in=PENDING)
        overdue = list(pending.filter(due_at__lt=demo).values_list("due_at", "problem"))
        assert 1 <= len(overdue) <= 10
        assert all(demo - due_at < timedelta(days=1) and not problem for due_at, problem in overdue)
        assert pending.filter(due_at__gte=demo, due_at__lt=demo + timedelta(days=1)).exists()

    def test_no_task_is_more_than_a_few_days_late_and_the_week_has_work(self, demo):
        open_tasks = Task.objects.filter(status=TaskStatus.OPEN)
        assert not open_tasks.filter(due_at__lt=demo - TASK_GRACE - timedelta(minutes=5)).exists()
        assert open_tasks.filter(due_at__gte=demo, due_at__lt=demo + timedelta(days=7)).count() >= 5
        done = Task.objects.filter(status=TaskStatus.DONE, done_at__isnull=False)
        assert done.exists() and not done.filter(done_at__gt=demo).exists()

    def test_relationships_stand_on_every_step_from_target_to_champion(self, demo):
        stages = Counter(Relationship.objects.filter(referrer__isnull=False).values_list("stage", flat=True))
        road = (Stage.TARGET, Stage.CONTACTED, Stage.MEETING_SCHEDULED, Stage.MET, Stage.FIRST_REFERRAL)
        assert all(stages[s] for s in (*road, Stage.ACTIVE, Stage.CHAMPION)), stages
        assert stages[Stage.ACTIVE] + stages[Stage.CHAMPION] > stages[Stage.COOLING] + stages[Stage.DORMANT]
