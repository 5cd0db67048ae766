"""In-process times of the referrer's and the practice's relationship pages against `/accounts/me/` (issue 13,
decision 0031), through bench/render_profile.py's measure, profile and SQL listing:

    LIAISON_MODE=demo DATABASE_URL=postgres://postgres@127.0.0.1:5432/h8_1m DATABASE_CONN_MAX_AGE=600 \
        .venv/bin/python bench/relationship_profile.py measure 100
    ... bench/relationship_profile.py sql "referrer, the busiest"
    ... bench/relationship_profile.py profile "referrer, the busiest" 50

Four pages: the referrer with the most referrals (the worst case), the middle referrer by id, the practice with
the most clinicians and the middle practice by id.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import render_profile  # noqa: E402  (sets Django up)
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

from liaison.directory.models import Practice, Referrer  # noqa: E402
from liaison.referrals.models import Referral  # noqa: E402


def pages() -> dict[str, tuple[str, str]]:
    busiest = Referral.objects.exclude(referrer=None).values("referrer_id").annotate(n=Count("id")).order_by("-n")
    largest = Referrer.objects.exclude(practice=None).values("practice_id").annotate(n=Count("id")).order_by("-n")
    referrers = Referrer.objects.order_by("pk").values_list("pk", flat=True)
    practices = Practice.objects.order_by("pk").values_list("pk", flat=True)
    return {
        "referrer, the busiest": ("liaison", f"/crm/referrers/{busiest[0]['referrer_id']}/"),
        "referrer, the middle one": ("liaison", f"/crm/referrers/{referrers[referrers.count() // 2]}/"),
        "practice, the largest": ("liaison", f"/crm/practices/{largest[0]['practice_id']}/"),
        "practice, the middle one": ("liaison", f"/crm/practices/{practices[practices.count() // 2]}/"),
    }


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("measure", "sql", "profile"):
        raise SystemExit(__doc__)
    found = pages()
    print(connection.settings_dict["NAME"], found, f"load {os.getloadavg()[0]:.2f}")
    if sys.argv[1] == "measure":
        render_profile.measure(found, int(sys.argv[2]) if len(sys.argv) > 2 else 100, set())
    elif sys.argv[1] == "sql":
        render_profile.show_queries(found, sys.argv[2])
    else:
        render_profile.profile(found, sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 50, 40)


if __name__ == "__main__":
    main()
