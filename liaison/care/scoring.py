"""Checking one PHQ-9 or GAD-7 as given (items, a total, or both) before anything is written.

Every problem is named by the form field that shows it (`phq9_3`, `phq9_total`, `phq9_item9`, ...), all at once.

Three things the safety of a PHQ-9 depends on (decision 0018):
- a questionnaire with some items unanswered ("don't know") is kept as *incomplete*: every answered item, no
  total, no band;
- item 9 known only by its total: a total of 25 or more means item 9 is at least 1 (the other eight items add
  up to 24 at most), so `item9_floor` is above 0 and the score alerts even when item 9 was not asked;
- with a total alone, item 9 is asked separately: 0–3, or NOT_ASKED (kept as a gap a clinician resolves).
"""

from dataclasses import dataclass

from liaison.care.instruments import ITEM9, spec

NOT_ASKED = "not_asked"
OTHER_ITEMS_MAX = 24  # the PHQ-9's first eight items, all answered 3


@dataclass(frozen=True)
class ScoreInput:
    """What was given for one instrument. `item9` is PHQ-9's safety answer given on its own (0–3, or NOT_ASKED)
    when only the total is known; None means it was not given at all."""

    items: list | None = None
    total: int | None = None
    item9: int | str | None = None
    difficulty: int | None = None

    @property
    def is_empty(self) -> bool:
        values = (*(self.items or ()), self.total, self.difficulty)
        return not any(v is not None for v in values) and self.item9 in (None, NOT_ASKED)


@dataclass(frozen=True)
class CleanScore:
    instrument: str
    items: list[int | None] | None
    total: int | None  # None: the questionnaire is incomplete
    item9: int | None  # None: item 9 is not known (not asked, or unanswered)
    difficulty: int | None

    @property
    def complete(self) -> bool:
        return self.total is not None

    @property
    def item9_floor(self) -> int:
        """The least item 9 can be: its answer when known, else what a total of 25 or more implies."""
        return minimum_item9(self.item9, self.total)


def minimum_item9(item9: int | None, total: int | None) -> int:
    if item9 is not None:
        return item9
    return max(0, (total or 0) - OTHER_ITEMS_MAX)


def alerts(clean: "CleanScore | None") -> bool:
    """A PHQ-9 that must raise the item-9 safety alert: item 9 above 0, known or implied by the total."""
    return clean is not None and clean.instrument == "phq9" and clean.item9_floor > 0


def _is_answer(value, high=3) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= high


def _check_items(instrument: str, items: list, errors: dict) -> None:
    s = spec(instrument)
    if len(items) != s.item_count:
        errors[instrument] = [f"The {s.name} has {s.item_count} items; {len(items)} were given."]
        return
    for n, value in enumerate(items, start=1):
        if value is not None and not _is_answer(value):
            errors[f"{instrument}_{n}"] = [f"{s.name} item {n} is scored 0 to 3, not {value!r}."]


def _check_total(instrument: str, score: ScoreInput, errors: dict) -> None:
    s = spec(instrument)
    items = score.items
    if score.total is not None and not _is_answer(score.total, s.max_total):
        errors[f"{instrument}_total"] = [f"A {s.name} total is between 0 and {s.max_total}, not {score.total!r}."]
    elif score.total is None or not items or errors:
        return
    elif any(v is None for v in items):
        gaps = ", ".join(str(n) for n, v in enumerate(items, start=1) if v is None)
        errors[f"{instrument}_total"] = [
            f"Items {gaps} have no answer, so the {s.name} has no total: leave the total blank (it is kept as an "
            "incomplete questionnaire) or answer every item."
        ]
    elif score.total != sum(items):
        errors[f"{instrument}_total"] = [
            f"The {s.name} total {score.total} does not match the items, which add up to {sum(items)}."
        ]


def _check_item9(score: ScoreInput, errors: dict) -> None:
    value = score.item9
    from_items = score.items[ITEM9 - 1] if score.items and len(score.items) == 9 else None
    if value is None or (value == NOT_ASKED and from_items is None):
        return
    if value == NOT_ASKED:
        errors["phq9_item9"] = [f"Item 9 is answered {from_items} in the items; it cannot also be “not asked”."]
    elif not _is_answer(value):
        errors["phq9_item9"] = [f"PHQ-9 item 9 is scored 0 to 3 (or “not asked”), not {value!r}."]
    elif from_items is not None and from_items != value:
        errors["phq9_item9"] = [f"Item 9 is given twice, with two different answers ({from_items} and {value})."]
    elif isinstance(score.total, int) and "phq9_total" not in errors:
        _check_item9_against_total(value, score.total, errors)


def _check_item9_against_total(value: int, total: int, errors: dict) -> None:
    if value > total:
        errors["phq9_item9"] = [f"Item 9 ({value}) cannot be more than the total ({total})."]
    elif value < total - OTHER_ITEMS_MAX:
        errors["phq9_item9"] = [
            f"A total of {total} means item 9 is at least {total - OTHER_ITEMS_MAX} (the other eight items add up "
            f"to {OTHER_ITEMS_MAX} at most), not {value}."
        ]


def check_score(instrument: str, score: ScoreInput | None) -> tuple[CleanScore | None, dict]:
    """A clean score (or None when nothing was given) and the errors found, keyed by field."""
    if score is None or score.is_empty:
        return None, {}
    errors: dict[str, list[str]] = {}
    items = list(score.items) if score.items and any(v is not None for v in score.items) else None
    score = ScoreInput(items=items, total=score.total, item9=score.item9, difficulty=score.difficulty)
    if items is not None:
        _check_items(instrument, items, errors)
    elif score.total is None and not (instrument == "phq9" and _is_answer(score.item9)):
        errors[f"{instrument}_total"] = [f"Give the {spec(instrument).name} items or its total."]
    _check_total(instrument, score, errors)
    if instrument == "phq9":
        _check_item9(score, errors)
    elif score.item9 is not None:
        errors[f"{instrument}_item9"] = ["Only the PHQ-9 has an item 9 safety question."]
    if score.difficulty is not None and not _is_answer(score.difficulty):
        errors[f"{instrument}_difficulty"] = [f"The difficulty answer is 0 to 3, not {score.difficulty!r}."]
    if errors:
        return None, errors
    return _clean(instrument, items, score), {}


def _clean(instrument: str, items: list | None, score: ScoreInput) -> CleanScore:
    complete = items is not None and all(v is not None for v in items)
    total = sum(items) if complete else (score.total if items is None else None)
    item9 = items[ITEM9 - 1] if items and instrument == "phq9" else None
    if item9 is None and instrument == "phq9" and score.item9 != NOT_ASKED:
        item9 = score.item9
    if items is None and total is None:  # item 9 alone: an incomplete questionnaire of one answer
        items = [None] * (ITEM9 - 1) + [item9]
    return CleanScore(instrument, items, total, item9, score.difficulty)
