"""The safety-critical screening rules (item 9, current ideation, a recent attempt) keep every part of their
effect, the number included: only their title and message are the practice's (decision 0021)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from liaison.referrals import screening
from liaison.referrals.intake_models import ScreeningRule

TRIED = {"enabled": False, "effect": "review", "category": "completeness", "number": 52}


@pytest.mark.django_db
@pytest.mark.parametrize("key", screening.SAFETY_CRITICAL)
@pytest.mark.parametrize("field", sorted(TRIED))
def test_each_field_of_a_safety_critical_rule_is_refused_by_name_and_by_the_database(key, field):
    rule = ScreeningRule.objects.get(key=key)
    setattr(rule, field, TRIED[field])
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert list(exc.value.message_dict) == [field]
    with pytest.raises(IntegrityError), transaction.atomic():
        ScreeningRule.objects.filter(key=key).update(**{field: TRIED[field]})


@pytest.mark.django_db
def test_the_admin_keeps_the_number_of_a_safety_critical_rule_empty(client_for, admin):
    rule = ScreeningRule.objects.get(key="recent-attempt")
    change = reverse("admin:referrals_screeningrule_change", args=[rule.pk])
    assert 'name="number"' not in client_for(admin).get(change).content.decode()  # shown, not editable
    form = {"title": rule.title, "message": "Our own words.", "number": "52", "order": str(rule.order)}
    assert client_for(admin).post(change, form).status_code == 302  # the words are saved, the number ignored
    rule.refresh_from_db()
    assert rule.number is None and rule.message == "Our own words." and rule.enabled and rule.effect == "urgent"
    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    row_form = django_admin.site._registry[ScreeningRule].get_changelist_form(RequestFactory().get("/"))
    row = row_form(instance=rule)  # a row of the rules list: the number is shown, disabled
    assert row.fields["number"].disabled and row.fields["enabled"].disabled


@pytest.mark.django_db
def test_an_ordinary_rule_keeps_its_number(client_for, admin):
    rule = ScreeningRule.objects.exclude(key__in=screening.SAFETY_CRITICAL).filter(number__isnull=False).first()
    rule.number += 1
    rule.full_clean()
    rule.save()
