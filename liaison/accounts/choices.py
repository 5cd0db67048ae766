from django.db import models


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Referral coordinator"
    CLINICIAN = "clinician", "Treating clinician"
    LIAISON = "liaison", "Liaison"
    DIRECTOR = "director", "Medical director"
    ADMIN = "admin", "Administrator"
    REFERRER = "referrer", "Referring clinician"
    REFERRER_ADMIN = "referrer_admin", "Referring practice administrator"


STAFF_ROLES = frozenset({Role.COORDINATOR, Role.CLINICIAN, Role.LIAISON, Role.DIRECTOR, Role.ADMIN})
# Staff who work with patients' records: every referral of the clinic is theirs to see. Not the liaison
# (relationships and counts) and not the IT administrator (accounts and settings): see accounts/access.py.
CLINICAL_STAFF_ROLES = frozenset({Role.COORDINATOR, Role.CLINICIAN, Role.DIRECTOR})
OUTSIDE_ROLES = frozenset({Role.REFERRER, Role.REFERRER_ADMIN})
