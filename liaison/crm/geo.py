"""Distances from the clinic: ZIP centroids from the `zipcodes` package (its data ships inside the wheel,
so nothing is fetched at run time) and the haversine formula. Each practice ZIP's distance to the
nearest active clinic location is cached in ZipDistance, and each referrer's in ReferrerDistance (indexed), so
that the target list filters and sorts in SQL and reads "within N miles, nearest first" off one index."""

import math
from functools import lru_cache

import zipcodes
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from liaison.crm.models import ClinicLocation, ReferrerDistance, ZipDistance
from liaison.directory.models import Practice, Referrer

EARTH_RADIUS_MILES = 3958.8


@lru_cache(maxsize=65536)
def centroid(zip_code: str) -> tuple[float, float] | None:
    """(latitude, longitude) of a five-digit US ZIP code, or None if it is not one."""
    try:
        rows = zipcodes.matching(zip_code)
    except (TypeError, ValueError):
        return None
    if not rows or not rows[0].get("lat"):
        return None
    return float(rows[0]["lat"]), float(rows[0]["long"])


def is_known_zip(zip_code: str) -> bool:
    return centroid(zip_code) is not None


def haversine_miles(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def _clinic_points() -> list[tuple[float, float]]:
    zips = ClinicLocation.objects.filter(is_active=True).values_list("zip_code", flat=True)
    return [p for p in (centroid(z) for z in zips) if p is not None]


def nearest_miles(zip_code: str, points: list[tuple[float, float]]) -> float | None:
    here = centroid(zip_code)
    if here is None or not points:
        return None
    return round(min(haversine_miles(here, p) for p in points), 1)


def _practice_zips():
    return Practice.objects.exclude(zip_code="").order_by().values_list("zip_code", flat=True).distinct()


def distances_rebuild() -> int:
    """Recompute every practice ZIP's distance (after the clinic's locations change)."""
    points = _clinic_points()
    rows = [ZipDistance(zip_code=z, miles=nearest_miles(z, points)) for z in _practice_zips()]
    with transaction.atomic():
        ZipDistance.objects.all().delete()
        ZipDistance.objects.bulk_create(rows, batch_size=2000)
        ReferrerDistance.objects.update(miles=_zip_miles(OuterRef("zip_code")))
        referrer_distances_sync()
    return len(rows)


def _zip_miles(zip_code):
    return Subquery(ZipDistance.objects.filter(zip_code=zip_code).values("miles")[:1])


def distances_fill_missing() -> int:
    """Add the ZIP codes of practices created since the last rebuild (one query when there are none)."""
    missing = list(_practice_zips().exclude(zip_code__in=ZipDistance.objects.values("zip_code")))
    if not missing:
        return 0
    points = _clinic_points()
    rows = [ZipDistance(zip_code=z, miles=nearest_miles(z, points)) for z in missing]
    ZipDistance.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def _zip_rows(zips: set[str]) -> dict[str, float | None]:
    """Miles for these ZIP codes, measuring (and caching) any not yet in ZipDistance."""
    known = dict(ZipDistance.objects.filter(zip_code__in=zips).values_list("zip_code", "miles"))
    missing = [z for z in zips if z and z not in known]
    if missing:
        points = _clinic_points()
        rows = [ZipDistance(zip_code=z, miles=nearest_miles(z, points)) for z in missing]
        ZipDistance.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        known.update((row.zip_code, row.miles) for row in rows)
    return known


def referrer_distances_sync(referrers=None) -> int:
    """Give each referrer (all, or this queryset) a distance row; rows measured from a ZIP code that is no longer
    their practice's (a practice moved, a referrer changed practice) are measured again. One query finds the
    missing and stale rows (none on a quiet day), one upsert writes them. Returns how many were written."""
    qs = (referrers if referrers is not None else Referrer.objects.all()).order_by()
    qs = qs.annotate(now_zip=Coalesce("practice__zip_code", Value("")), had_zip=F("distance__zip_code"))
    stale = list(qs.filter(Q(had_zip__isnull=True) | ~Q(had_zip=F("now_zip"))).values_list("pk", "now_zip"))
    if not stale:
        return 0
    miles = _zip_rows({z for _, z in stale})
    rows = [ReferrerDistance(referrer_id=pk, zip_code=z, miles=miles.get(z)) for pk, z in stale]
    ReferrerDistance.objects.bulk_create(
        rows, batch_size=2000, update_conflicts=True, unique_fields=["referrer"], update_fields=["zip_code", "miles"]
    )
    return len(rows)
