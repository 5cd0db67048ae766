"""Who a run of wrong passwords locks (decision 0016), given to axes as its AXES_LOCKOUT_PARAMETERS callable.

axes counts failures per group of parameters and locks when any group reaches AXES_FAILURE_LIMIT. We count:
- per account, from any address, and per account at one address (axes' own groups), at AXES_FAILURE_LIMIT;
- per address only once that address has failed AXES_ADDRESS_FAILURE_LIMIT times across every account (someone
  trying many accounts): a practice behind one shared address is not locked out by one person's bad morning.
The address group joins the list only when its own, higher, limit is reached; from then on its count is over
AXES_FAILURE_LIMIT too, so axes locks the address by its usual rule."""

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

ACCOUNT = ["username", ["username", "ip_address"]]


def lockout_parameters(request_or_attempt, credentials=None) -> list:
    ip_address = getattr(request_or_attempt, "axes_ip_address", None) or getattr(request_or_attempt, "ip_address", "")
    if ip_address and address_failures(ip_address) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
        return [*ACCOUNT, "ip_address"]
    return list(ACCOUNT)


def counting() -> Q:
    """The attempts that still count: those since the cool-off began (all of them when there is no cool-off)."""
    cool_off = get_cool_off()
    return Q(attempt_time__gte=timezone.now() - cool_off) if cool_off else Q()


def address_failures(ip_address: str) -> int:
    attempts = AccessAttempt.objects.filter(counting(), ip_address=ip_address)
    return attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0


def failures_of(field: str, outer: str = None) -> Coalesce:
    """A subquery for annotating rows: the counting failures with the same `field` (username or ip_address)."""
    same = AccessAttempt.objects.filter(counting(), **{field: OuterRef(outer or field)}).order_by()
    total = same.values(field).annotate(failures=Sum("failures_since_start")).values("failures")
    return Coalesce(Subquery(total, output_field=IntegerField()), 0)


def locked_account(failures: int) -> bool:
    return failures >= settings.AXES_FAILURE_LIMIT


def locked_address(failures: int) -> bool:
    return failures >= settings.AXES_ADDRESS_FAILURE_LIMIT
