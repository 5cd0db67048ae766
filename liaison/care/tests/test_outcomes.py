"""Scoring, bands, response and remission on a table of cases that covers every boundary."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liaison.care import outcomes
from liaison.care.instruments import GAD7, PHQ9, band, loinc_answers
from liaison.care.outcomes import NON_RESPONSE, PARTIAL, RESPONSE, Score

D0 = date(2025, 2, 3)


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (0, "None to minimal"),
        (4, "None to minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ],
)
def test_phq9_bands_at_every_boundary(total, label):
    assert band("phq9", total).label == label


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ],
)
def test_gad7_bands_at_every_boundary(total, label):
    assert band("gad7", total).label == label


@pytest.mark.parametrize(("instrument", "total"), [("phq9", -1), ("phq9", 28), ("gad7", 22)])
def test_a_total_outside_the_range_has_no_band(instrument, total):
    with pytest.raises(ValueError, match="outside"):
        band(instrument, total)


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (20, 10, RESPONSE),  # exactly half
        (20, 11, PARTIAL),  # 45%
        (20, 15, PARTIAL),  # exactly a quarter
        (20, 16, NON_RESPONSE),  # 20%
        (20, 0, RESPONSE),
        (20, 20, NON_RESPONSE),
        (20, 25, NON_RESPONSE),  # worse
        (21, 10, RESPONSE),  # 52%
        (21, 11, PARTIAL),  # 48%
        (21, 12, PARTIAL),  # 43%
        (27, 14, PARTIAL),  # 48%, not rounded up
        (27, 13, RESPONSE),
        (4, 3, PARTIAL),  # 25% of 4
        (4, 2, RESPONSE),
        (1, 1, NON_RESPONSE),
        (0, 0, None),  # nothing to drop from
    ],
)
def test_response_partial_and_non_response(baseline, current, expected):
    assert outcomes.classify_response(baseline, current) == expected


@pytest.mark.parametrize(("total", "remission"), [(0, True), (4, True), (5, False), (27, False)])
def test_remission_is_below_five(total, remission):
    assert outcomes.is_remission(total) is remission


@given(st.integers(1, 27), st.integers(0, 27))
def test_response_matches_its_definition_in_whole_numbers(baseline, current):
    got = outcomes.classify_response(baseline, current)
    drop = (baseline - current) / baseline
    if drop >= 0.5:
        assert got == RESPONSE
    elif drop >= 0.25:
        assert got == PARTIAL
    else:
        assert got == NON_RESPONSE


def test_the_baseline_is_the_evaluations_phq9_even_if_an_earlier_score_exists():
    scores = [Score(D0, 24, ""), Score(D0 + timedelta(7), 20, "evaluation"), Score(D0 + timedelta(21), 9, "acute")]
    result = outcomes.outcome(scores)
    assert result.baseline.total == 20 and result.current.total == 9
    assert result.change == -11 and result.percent_change == -55
    assert result.response == RESPONSE and result.response_label == "Response" and result.remission is False


def test_without_an_evaluation_score_the_first_session_is_the_baseline():
    scores = [Score(D0 + timedelta(14), 11, "acute"), Score(D0, 22, ""), Score(D0 + timedelta(7), 20, "acute")]
    result = outcomes.outcome(scores)
    assert result.baseline.total == 20 and result.current.total == 11 and result.response == PARTIAL


def test_one_score_is_a_baseline_and_no_outcome_yet():
    result = outcomes.outcome([Score(D0, 18, "evaluation")])
    assert result.baseline.total == 18 and result.current is None
    assert result.response is None and result.remission is None and result.change is None


def test_no_scores_no_outcome():
    result = outcomes.outcome([])
    assert result.baseline is None and result.response is None and result.scores == 0


def test_remission_from_twenty_to_four_and_not_to_five():
    assert outcomes.outcome([Score(D0, 20, "evaluation"), Score(D0 + timedelta(30), 4, "acute")]).remission is True
    assert outcomes.outcome([Score(D0, 20, "evaluation"), Score(D0 + timedelta(30), 5, "acute")]).remission is False


def test_loinc_codes_are_kept_with_each_instrument():
    assert PHQ9.panel_loinc == "44249-1" and PHQ9.total_loinc == "44261-6" and PHQ9.item_loinc[8] == "44260-8"
    assert GAD7.panel_loinc == "69737-5" and GAD7.total_loinc == "70274-6" and len(GAD7.item_loinc) == 7
    assert loinc_answers("phq9", [0, 1, 2, 3, 0, 0, 0, 0, 1])["44260-8"] == "LA6569-3"
