"""The CRM's forms refuse control characters in one-line fields (liaison.core.forms) and keep line breaks in
their text areas."""

import pytest

from liaison.crm.forms import ConcernForm, MeetingNotesForm, SaveListForm

pytestmark = pytest.mark.django_db  # the forms read choices from the database


def test_a_list_name_with_a_line_break_is_refused():
    form = SaveListForm({"name": "Cardiology\nBcc: everyone@example.test"})
    assert not form.is_valid() and list(form.errors) == ["name"]


def test_a_concern_note_is_one_line():
    form = ConcernForm({"tag": ConcernForm.base_fields["tag"].choices[0][0], "note": "cost\tand access"})
    assert not form.is_valid() and list(form.errors) == ["note"]


@pytest.mark.parametrize(("notes", "valid"), [("Asked about cost.\nThen access.", True), ("bell\x07", False)])
def test_meeting_notes_keep_their_line_breaks_but_no_other_control_character(notes, valid):
    form = MeetingNotesForm({"listening_notes": notes})
    assert form.is_valid() is valid, form.errors
