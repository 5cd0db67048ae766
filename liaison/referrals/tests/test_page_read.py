"""The staff referral page's reads, compiled to SQL once per process (queries.CompiledOnce): they must give what the
ORM gives, for any referral, and refuse what does not exist."""

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from liaison.referrals import queries
from liaison.referrals.models import Referral
from liaison.referrals.tests.factories import DiagnosisFactory, MedicationTrialFactory, ReferralFactory

pytestmark = pytest.mark.django_db

RELATED = ("patient", "referrer", "referrer__practice", "referrer__taxonomy", "next_action_owner")


def orm_read(pk: int) -> Referral:
    return (
        Referral.objects.select_related(*queries.PAGE_RELATED)
        .annotate(**queries.PAGE_ANNOTATIONS)
        .prefetch_related("diagnoses", "trials")
        .get(pk=pk)
    )


def fields_of(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def fields_of_related(obj, path: str) -> dict | None:
    for part in path.split("__"):
        obj = getattr(obj, part) if obj is not None else None
    return fields_of(obj) if obj is not None else None


@pytest.mark.parametrize("status", ["received", "acute", "declined_by_patient"])
def test_the_compiled_read_gives_what_the_orm_gives(coordinator, status):
    referral = ReferralFactory(status=status)
    DiagnosisFactory.create_batch(2, referral=referral)
    MedicationTrialFactory.create_batch(3, referral=referral)
    ReferralFactory()  # another referral, whose rows must not appear
    for _ in range(3):  # the first call compiles; the later ones run the kept statement
        got, want = queries.referral_get(user=coordinator, pk=referral.pk), orm_read(referral.pk)
        assert fields_of(got) == fields_of(want)
        for name in RELATED:
            assert fields_of_related(got, name) == fields_of_related(want, name)
        for name in queries.PAGE_ANNOTATIONS:
            assert getattr(got, name) == getattr(want, name)
        with CaptureQueriesContext(connection) as captured:
            diagnoses, trials = list(got.diagnoses.all()), list(got.trials.all())
        assert not captured.captured_queries  # read with the referral, as prefetch_related leaves them
        assert [fields_of(d) for d in diagnoses] == [fields_of(d) for d in want.diagnoses.all()]
        assert [fields_of(t) for t in trials] == [fields_of(t) for t in want.trials.all()]
        assert [e.pk for e in queries.referral_timeline(got)] == list(
            want.events.order_by("at", "id").values_list("pk", flat=True)
        )


def test_the_compiled_read_refuses_a_referral_that_does_not_exist(coordinator):
    with pytest.raises(Http404):
        queries.referral_get(user=coordinator, pk=987_654)


def test_the_statement_is_written_once_and_run_with_each_id(coordinator):
    first, second = ReferralFactory(), ReferralFactory()
    read = queries.CompiledOnce(Referral, lambda pk: Referral.objects.select_related("patient").filter(pk=pk))
    assert [r.pk for r in read(first.pk)] == [first.pk]
    kept = dict(read._compiled)
    assert [r.patient.last_name for r in read(second.pk)] == [second.patient.last_name]
    assert read._compiled == kept  # not compiled again
    assert read(987_654) == []


def test_a_read_that_takes_its_value_twice_is_refused():
    read = queries.CompiledOnce(Referral, lambda pk: Referral.objects.filter(pk=pk, patient_id=pk))
    with pytest.raises(ValueError, match="once"):
        read(1)
