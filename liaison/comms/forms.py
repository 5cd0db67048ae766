from django import forms

from liaison.core.forms import Form


class LetterForm(Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Letter",
        widget=forms.Textarea(attrs={"rows": 22}),
        help_text="Plain text; a blank line starts a new paragraph. Fill every [[gap]] before signing.",
    )
