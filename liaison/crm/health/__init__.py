"""Relationship health: the daily refresh of every referrer, and the same for one referrer on each referral.

The whole network is done in chunks of referrers by id range; each chunk costs a fixed handful of
set-based aggregate queries (GROUP BY referrer), never a query per referrer, and memory stays bounded
by the chunk size. `assess()` turns one referrer's figures into a score, a flag and reasons in words;
it is a pure function so that the rules can be tested on hand-built histories.

Along its seams: scoring.py (the rules), figures.py (the aggregate queries), playbooks.py (stage moves, playbook
and cadence tasks) and refresh.py (the entry points). Callers import from here.
"""

from liaison.crm.health.figures import figures_for_range, overdue_letters_by_referrer
from liaison.crm.health.playbooks import next_anniversary, next_stage
from liaison.crm.health.refresh import RefreshResult, health_refresh, health_refresh_one
from liaison.crm.health.scoring import Figures, Verdict, assess, usual_interval

__all__ = [
    "Figures",
    "RefreshResult",
    "Verdict",
    "assess",
    "figures_for_range",
    "health_refresh",
    "health_refresh_one",
    "next_anniversary",
    "next_stage",
    "overdue_letters_by_referrer",
    "usual_interval",
]
