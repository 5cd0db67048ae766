"""Outcome definitions, once (PRODUCT §4, REFERENCE §2). Pages, letters and reports all call these.

- baseline: the PHQ-9 at the evaluation; if none, at the first treatment session; if neither, the earliest PHQ-9;
- current: the latest PHQ-9 after the baseline;
- response: a drop of at least 50% from baseline; partial response: 25% up to 50%; otherwise non-response;
- remission: a current PHQ-9 below 5.

Percentages are compared in whole numbers (drop × 100 against baseline × 50), so 20 → 10 is a response
and 20 → 11 is not, with no rounding in between.

The same rules are also written as SQL (`baseline_rank_sql`, `response_sql`, `remission_sql`), built here from the
same constants, for the nightly reconcile of stored outcomes in sets (care.stored_outcomes, decision 0024);
tests/test_stored_outcomes.py proves the two agree on every pair of scores and on random histories.
"""

from dataclasses import dataclass
from datetime import date

from liaison.care.choices import SessionKind

RESPONSE = "response"
PARTIAL = "partial"
NON_RESPONSE = "non_response"
RESPONSE_LABELS = {RESPONSE: "Response", PARTIAL: "Partial response", NON_RESPONSE: "Non-response"}
REMISSION_BELOW = 5
RESPONSE_DROP = 50  # percent of the baseline
PARTIAL_DROP = 25
# Where the baseline comes from, in order of preference: the evaluation, then a treatment session.
BASELINE_KINDS = ((SessionKind.EVALUATION,), (SessionKind.ACUTE, SessionKind.MAINTENANCE))


@dataclass(frozen=True)
class Score:
    """One PHQ-9 total on a date; `kind` is the session's kind when it was taken at one."""

    on: date
    total: int
    kind: str = ""


@dataclass(frozen=True)
class Outcome:
    baseline: Score | None
    current: Score | None
    scores: int

    @property
    def change(self) -> int | None:
        if self.baseline is None or self.current is None:
            return None
        return self.current.total - self.baseline.total

    @property
    def percent_change(self) -> int | None:
        if self.change is None or not self.baseline.total:
            return None
        return round(100 * self.change / self.baseline.total)

    @property
    def response(self) -> str | None:
        if self.current is None:
            return None
        return classify_response(self.baseline.total, self.current.total)

    @property
    def response_label(self) -> str:
        return RESPONSE_LABELS.get(self.response, "")

    @property
    def remission(self) -> bool | None:
        return None if self.current is None else is_remission(self.current.total)


def classify_response(baseline: int, current: int) -> str | None:
    """Response, partial or non-response; None when the baseline is 0 (there is nothing to drop)."""
    if baseline <= 0:
        return None
    drop = baseline - current
    if drop * 100 >= baseline * RESPONSE_DROP:
        return RESPONSE
    if drop * 100 >= baseline * PARTIAL_DROP:
        return PARTIAL
    return NON_RESPONSE


def is_remission(total: int) -> bool:
    return total < REMISSION_BELOW


def pick_baseline(scores: list[Score]) -> Score | None:
    """The evaluation's PHQ-9, else the first treatment session's, else the earliest (scores in date order)."""
    for kinds in BASELINE_KINDS:
        found = [s for s in scores if s.kind in kinds]
        if found:
            return found[0]
    return scores[0] if scores else None


def outcome(scores: list[Score]) -> Outcome:
    """The outcome of one referral from its PHQ-9 totals (any order)."""
    ordered = sorted(scores, key=lambda s: s.on)
    baseline = pick_baseline(ordered)
    later = [s for s in ordered if s is not baseline and s.on >= baseline.on] if baseline else []
    return Outcome(baseline=baseline, current=later[-1] if later else None, scores=len(ordered))


# ---------------------------------------------------------------- the same rules in SQL (for sets of referrals)


def _literal(value: str) -> str:
    if not value.replace("_", "").isalnum():
        raise ValueError(f"Not a plain word: {value!r}")
    return f"'{value}'"


def baseline_rank_sql(kind: str) -> str:
    """pick_baseline's preference over a column of session kinds: 0 first, then 1, then the rest (ties go to
    the earlier date, then the earlier row)."""
    whens = " ".join(
        f"WHEN {kind} IN ({', '.join(_literal(k) for k in kinds)}) THEN {rank}"
        for rank, kinds in enumerate(BASELINE_KINDS)
    )
    return f"CASE {whens} ELSE {len(BASELINE_KINDS)} END"


def response_sql(baseline: str, current: str) -> str:
    """classify_response over two integer columns; NULL where there is no current score or no baseline above 0."""
    drop = f"({baseline} - {current}) * 100"
    return (
        f"CASE WHEN {current} IS NULL OR {baseline} IS NULL OR {baseline} <= 0 THEN NULL "
        f"WHEN {drop} >= {baseline} * {RESPONSE_DROP} THEN {_literal(RESPONSE)} "
        f"WHEN {drop} >= {baseline} * {PARTIAL_DROP} THEN {_literal(PARTIAL)} "
        f"ELSE {_literal(NON_RESPONSE)} END"
    )


def remission_sql(current: str) -> str:
    """is_remission over an integer column; NULL where there is no current score."""
    return f"({current} < {REMISSION_BELOW})"
