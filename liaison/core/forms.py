"""Form bases every Liaison form and admin page uses: each text field refuses control characters
(liaison.core.validators), so a line break typed or pasted into a name never reaches a letter's header.

A text area (a Textarea widget) may hold line breaks and tabs; every other text field is one line."""

from django import forms
from django.contrib import admin

from liaison.core.validators import multi_line, one_line


def guard_text_field(field: forms.Field) -> None:
    """Add the control-character check to a text field (once); other fields are left as they are."""
    if not isinstance(field, forms.CharField) or getattr(field, "control_guarded", False):
        return
    field.validators.append(multi_line if isinstance(field.widget, forms.Textarea) else one_line)
    field.control_guarded = True


class PlainTextMixin:
    """Checks every text field the form has when it is cleaned, fields added in __init__ included. The
    error is the field's own, so the page and the API name the field at fault."""

    def full_clean(self):
        for field in self.fields.values():  # a per-instance copy: the class's fields are not changed
            guard_text_field(field)
        super().full_clean()


class Form(PlainTextMixin, forms.Form):
    pass


class ModelForm(PlainTextMixin, forms.ModelForm):
    pass


class PlainTextAdmin(admin.ModelAdmin):
    """A model admin whose forms (the change form and list_editable rows) refuse control characters."""

    form = ModelForm
