"""Checking one PHQ-9 or GAD-7 as given (items, a total, or both) before anything is written.

Every problem is named by the form field that shows it (`phq9_3`, `phq9_total`, `gad7_total`, ...), all at once.
"""

from dataclasses import dataclass

from liaison.care.instruments import ITEM9, spec


@dataclass(frozen=True)
class ScoreInput:
    """What was given for one instrument. `item9` is for a PHQ-9 known only by its total and its item 9."""

    items: list | None = None
    total: int | None = None
    item9: int | None = None
    difficulty: int | None = None

    @property
    def is_empty(self) -> bool:
        return not any(v is not None for v in (*(self.items or ()), self.total, self.item9, self.difficulty))


@dataclass(frozen=True)
class CleanScore:
    instrument: str
    items: list[int] | None
    total: int
    item9: int | None
    difficulty: int | None


def _is_answer(value, high=3) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= high


def _check_items(instrument: str, items: list, errors: dict) -> None:
    s = spec(instrument)
    if len(items) != s.item_count:
        errors[instrument] = [f"The {s.name} has {s.item_count} items; {len(items)} were given."]
        return
    for n, value in enumerate(items, start=1):
        if value is None:
            errors[f"{instrument}_{n}"] = [
                f"{s.name} item {n} has no answer; answer every item or give only the total."
            ]
        elif not _is_answer(value):
            errors[f"{instrument}_{n}"] = [f"{s.name} item {n} is scored 0 to 3, not {value!r}."]


def _check_total(instrument: str, score: ScoreInput, errors: dict) -> None:
    s = spec(instrument)
    if score.total is not None and not _is_answer(score.total, s.max_total):
        errors[f"{instrument}_total"] = [f"A {s.name} total is between 0 and {s.max_total}, not {score.total!r}."]
    elif score.total is not None and score.items and not errors and score.total != sum(score.items):
        errors[f"{instrument}_total"] = [
            f"The {s.name} total {score.total} does not match the items, which add up to {sum(score.items)}."
        ]


def _check_item9(score: ScoreInput, errors: dict) -> None:
    value = score.item9
    if value is None:
        return
    if not _is_answer(value):
        errors["phq9_item9"] = [f"PHQ-9 item 9 is scored 0 to 3, not {value!r}."]
    elif score.items and not errors and score.items[ITEM9 - 1] != value:
        errors["phq9_item9"] = ["Item 9 is given twice, with two different answers."]
    elif score.total is not None and isinstance(score.total, int) and value > score.total:
        errors["phq9_item9"] = [f"Item 9 ({value}) cannot be more than the total ({score.total})."]


def check_score(instrument: str, score: ScoreInput | None) -> tuple[CleanScore | None, dict]:
    """A clean score (or None when nothing was given) and the errors found, keyed by field."""
    if score is None or score.is_empty:
        return None, {}
    errors: dict[str, list[str]] = {}
    items = list(score.items) if score.items and any(v is not None for v in score.items) else None
    score = ScoreInput(items=items, total=score.total, item9=score.item9, difficulty=score.difficulty)
    if items is not None:
        _check_items(instrument, items, errors)
    elif score.total is None:
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
    item9 = items[ITEM9 - 1] if items and instrument == "phq9" else score.item9
    total = sum(items) if items else score.total
    return CleanScore(instrument, items, total, item9, score.difficulty), {}
