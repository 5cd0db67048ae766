"""The one rule for text that may reach an email header: no control characters (liaison.core.validators),
and the form base that applies it to every text field (liaison.core.forms)."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from liaison.core.forms import Form
from liaison.core.validators import control_characters, refuse_control_characters


@pytest.mark.parametrize(
    "text", ["Ann\nLee", "Ann\rLee", "Ann\tLee", "Ann\x00", "A\x1b[31m", "A\x7f", "A\x85", "A\u2028B"]
)
def test_a_one_line_value_with_a_control_character_is_refused(text):
    with pytest.raises(ValidationError) as caught:
        refuse_control_characters(text)
    assert caught.value.code == "control_characters"


@pytest.mark.parametrize("text", ["Ann Lee", "Zoë O'Brien-Núñez", "李小龍", "José 🙂", ""])
def test_plain_text_in_any_script_passes(text):
    refuse_control_characters(text)
    refuse_control_characters(text, multiline=True)


def test_a_text_area_may_hold_line_breaks_and_tabs_but_nothing_else():
    refuse_control_characters("line one\r\nline two\n\tindented", multiline=True)
    with pytest.raises(ValidationError):
        refuse_control_characters("bell\x07", multiline=True)
    assert control_characters("a\nb\x00c\n") == ["\\n", "\\x00"]


@given(st.text())
def test_the_rule_is_exactly_unicode_category_cc_for_one_line(text):
    import unicodedata

    expected = any(unicodedata.category(c) == "Cc" or c in "\u2028\u2029" for c in text)
    assert bool(control_characters(text)) == expected


class Sample(Form):
    name = forms.CharField(max_length=50)
    email = forms.EmailField(required=False)
    notes = forms.CharField(widget=forms.Textarea, required=False)
    count = forms.IntegerField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["late"] = forms.CharField(required=False)  # added after the class was built


def test_the_form_base_names_each_field_at_fault_and_leaves_text_areas_their_lines():
    form = Sample({"name": "Ann\nLee", "email": "a@b.test\r\nBcc: x@y.test", "notes": "one\ntwo", "late": "x\ty"})
    assert not form.is_valid()
    assert set(form.errors) == {"name", "email", "late"}
    assert "single line of plain text" in form.errors["name"][0]
    assert Sample({"name": "Ann Lee", "notes": "one\ntwo\tthree"}).is_valid()
    assert not Sample({"name": "Ann", "notes": "one\x0btwo"}).is_valid()


def test_the_check_is_added_once_and_only_to_this_form():
    form = Sample({"name": "Ann"})
    form.is_valid()
    form.full_clean()
    assert len(form.fields["name"].validators) == len(Sample.base_fields["name"].validators) + 1


def test_text_we_write_from_stored_values_is_flattened_to_one_line():
    from liaison.core.validators import flatten_to_one_line

    assert flatten_to_one_line("Acknowledgment: Sam \r\n Quinn") == "Acknowledgment: Sam Quinn"
    assert flatten_to_one_line("Zoë\u2028Núñez\x00") == "Zoë Núñez"
    assert flatten_to_one_line("  plain  ") == "  plain  "  # nothing to flatten: left exactly as it was
