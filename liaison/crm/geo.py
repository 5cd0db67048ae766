"""Distances from the clinic: ZIP centroids from the `zipcodes` package (its data ships inside the wheel,
so nothing is fetched at run time) and the haversine formula. Each practice ZIP's distance to the
nearest active clinic location is cached in ZipDistance so that the target list filters and sorts in SQL."""

import math
from functools import lru_cache

import zipcodes
from django.db import transaction

from liaison.crm.models import ClinicLocation, ZipDistance
from liaison.directory.models import Practice

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
    return len(rows)


def distances_fill_missing() -> int:
    """Add the ZIP codes of practices created since the last rebuild (one query when there are none)."""
    missing = list(_practice_zips().exclude(zip_code__in=ZipDistance.objects.values("zip_code")))
    if not missing:
        return 0
    points = _clinic_points()
    rows = [ZipDistance(zip_code=z, miles=nearest_miles(z, points)) for z in missing]
    ZipDistance.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)
