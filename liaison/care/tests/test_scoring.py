"""Checking a PHQ-9 or GAD-7 as given, before anything is written; tried on real answers too."""

import csv
from pathlib import Path

import pytest

from liaison.care.scoring import ScoreInput, check_score

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "external" / "phq-gad"


def test_items_make_the_total_and_item9():
    clean, errors = check_score("phq9", ScoreInput(items=[3, 3, 2, 2, 1, 1, 0, 0, 2], difficulty=2))
    assert not errors and clean.total == 14 and clean.item9 == 2 and clean.difficulty == 2


def test_an_item_outside_0_to_3_is_refused_by_name():
    _, errors = check_score("phq9", ScoreInput(items=[0, 0, 4, 0, 0, 0, 0, 0, -1]))
    assert set(errors) == {"phq9_3", "phq9_9"}
    assert "PHQ-9 item 3 is scored 0 to 3, not 4" in errors["phq9_3"][0]


def test_a_total_that_contradicts_its_items_is_refused():
    _, errors = check_score("gad7", ScoreInput(items=[1] * 7, total=9))
    assert errors == {"gad7_total": ["The GAD-7 total 9 does not match the items, which add up to 7."]}


def test_a_total_alone_is_accepted_and_item9_is_unknown():
    clean, errors = check_score("phq9", ScoreInput(total=17))
    assert not errors and clean.total == 17 and clean.items is None and clean.item9 is None


@pytest.mark.parametrize(("instrument", "total"), [("phq9", 28), ("gad7", 22), ("phq9", -1), ("phq9", True)])
def test_a_total_out_of_range_is_refused(instrument, total):
    _, errors = check_score(instrument, ScoreInput(total=total))
    assert list(errors) == [f"{instrument}_total"]


def test_some_items_missing_make_an_incomplete_questionnaire_with_no_total():
    clean, errors = check_score("phq9", ScoreInput(items=[1, 1, None, 1, 1, 1, 1, None, 0]))
    assert not errors and clean.total is None and not clean.complete
    assert clean.items == [1, 1, None, 1, 1, 1, 1, None, 0] and clean.item9 == 0


def test_an_incomplete_questionnaire_with_a_total_names_the_total():
    _, errors = check_score("phq9", ScoreInput(items=[1, 1, None, 1, 1, 1, 1, None, 0], total=7))
    assert list(errors) == ["phq9_total"] and "Items 3, 8 have no answer" in errors["phq9_total"][0]


def test_item9_with_a_total_cannot_exceed_it_or_contradict_the_items():
    assert "phq9_item9" in check_score("phq9", ScoreInput(total=1, item9=2))[1]
    assert "phq9_item9" in check_score("phq9", ScoreInput(items=[0] * 9, item9=1))[1]
    assert "gad7_item9" in check_score("gad7", ScoreInput(total=3, item9=1))[1]


def test_nothing_given_is_no_score():
    assert check_score("phq9", ScoreInput(items=[None] * 9)) == (None, {})


def _rows(name):
    with open(DATA / name, newline="", encoding="utf-8-sig") as f:
        yield from csv.DictReader(f)


@pytest.mark.skipif(not DATA.exists(), reason="the shared data folder is not beside the repository")
def test_real_nhanes_answers_score_as_published():
    """NHANES 2017–18 (DPQ_J): 7 and 9 are 'refused' and 'don't know'; complete answers sum to the total."""
    checked = alerts = 0
    for row in _rows("DPQ_J.csv"):
        raw = [row[f"DPQ0{n}0"] for n in range(1, 10)]
        if any(v == "" for v in raw):
            continue
        answers = [int(float(v)) for v in raw]
        clean, errors = check_score("phq9", ScoreInput(items=answers))
        if any(v > 3 for v in answers):
            assert errors
            continue
        assert not errors and clean.total == sum(answers) and clean.item9 == answers[8]
        checked += 1
        alerts += clean.item9 > 0
    assert checked > 5000 and 0 < alerts < checked / 10


@pytest.mark.skipif(not DATA.exists(), reason="the shared data folder is not beside the repository")
def test_real_survey_answers_score_both_instruments():
    for row in _rows("Psychological_aspects.csv"):
        if not row.get("D1"):
            continue
        phq9, e1 = check_score("phq9", ScoreInput(items=[int(row[f"D{n}"]) for n in range(1, 10)]))
        gad7, e2 = check_score("gad7", ScoreInput(items=[int(row[f"A{n}"]) for n in range(1, 8)]))
        assert not e1 and not e2 and 0 <= phq9.total <= 27 and 0 <= gad7.total <= 21
