"""Factories for the directory: taxonomy codes, referring practices and referring clinicians."""

import factory
from factory.django import DjangoModelFactory
from stdnum import luhn

from liaison.directory.choices import Channel, PracticeType, SourceType
from liaison.directory.models import Practice, Referrer, Taxonomy


def npi_from(first_nine: str) -> str:
    """A valid NPI: nine digits and the Luhn check digit over the prefix 80840 and those nine."""
    return first_nine + luhn.calc_check_digit("80840" + first_nine)


class TaxonomyFactory(DjangoModelFactory):
    """Get-or-create: the migration loads the real code set, but transactional tests flush it."""

    class Meta:
        model = Taxonomy
        django_get_or_create = ("code",)

    code = "2084P0800X"
    grouping = "Allopathic & Osteopathic Physicians"
    classification = "Psychiatry & Neurology"
    specialization = "Psychiatry"
    display_name = "Psychiatry Physician"


class PracticeFactory(DjangoModelFactory):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Practice {n}")
    practice_type = PracticeType.GROUP
    clinician_count = 4
    city = "Brooklyn"
    state = "NY"
    zip_code = "11201"


class ReferrerFactory(DjangoModelFactory):
    class Meta:
        model = Referrer

    npi = factory.Sequence(lambda n: npi_from(f"1{n:08d}"))
    first_name = "Rita"
    last_name = factory.Sequence(lambda n: f"Referrer{n}")
    credential = "MD"
    taxonomy = factory.SubFactory(TaxonomyFactory)
    source_type = SourceType.PSYCHIATRY
    practice = factory.SubFactory(PracticeFactory)
    phone = "+12125550142"
    preferred_channel = Channel.PORTAL
