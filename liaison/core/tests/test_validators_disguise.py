"""Invisible characters that disguise a name are refused like line breaks; the joiners some scripts need are not."""

import pytest
from django.core.exceptions import ValidationError

from liaison.core.validators import flatten_to_one_line, refuse_control_characters

DISGUISES = ["\u202e", "\u202d", "\u2066", "\u2069", "\u200b", "\u2060", "\ufeff"]


@pytest.mark.parametrize("ch", DISGUISES)
@pytest.mark.parametrize("multiline", [False, True])
def test_a_direction_override_or_zero_width_space_is_refused(ch, multiline):
    with pytest.raises(ValidationError) as refused:
        refuse_control_characters(f"Ann{ch}a Smith", multiline=multiline)
    assert "invisible character" in refused.value.messages[0]


@pytest.mark.parametrize(
    "name", ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0915\u094d\u200d\u0937", "Zoë O'Brien-Łukasz"]
)
def test_names_that_need_joiners_or_accents_pass(name):
    refuse_control_characters(name)


def test_a_stored_disguise_is_flattened_for_a_subject():
    assert flatten_to_one_line("Ann\u202ea Smith") == "Ann a Smith"
