"""Users, one factory per role."""

import factory
from factory.django import DjangoModelFactory

from liaison.accounts.choices import Role
from liaison.accounts.models import User
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory

PASSWORD = "a long enough test password"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"Staff{n}")
    last_name = "Member"
    email = factory.LazyAttribute(lambda o: f"{o.username}@clinic.test")
    role = Role.COORDINATOR
    password = factory.django.Password(PASSWORD)


class CoordinatorFactory(UserFactory):
    role = Role.COORDINATOR


class ClinicianFactory(UserFactory):
    role = Role.CLINICIAN


class LiaisonFactory(UserFactory):
    role = Role.LIAISON


class DirectorFactory(UserFactory):
    role = Role.DIRECTOR


class AdminFactory(UserFactory):
    """The clinic's administrator; the only role that may use Django's admin."""

    role = Role.ADMIN
    is_staff = True
    is_superuser = True


class ReferrerUserFactory(UserFactory):
    """A referring clinician's sign-in, tied to their directory record."""

    role = Role.REFERRER
    referrer = factory.SubFactory(ReferrerFactory)


class ReferrerAdminFactory(UserFactory):
    """A referring practice's administrator, tied to the practice."""

    role = Role.REFERRER_ADMIN
    practice = factory.SubFactory(PracticeFactory)


FACTORY_FOR_ROLE = {
    Role.COORDINATOR: CoordinatorFactory,
    Role.CLINICIAN: ClinicianFactory,
    Role.LIAISON: LiaisonFactory,
    Role.DIRECTOR: DirectorFactory,
    Role.ADMIN: AdminFactory,
    Role.REFERRER: ReferrerUserFactory,
    Role.REFERRER_ADMIN: ReferrerAdminFactory,
}
