"""A password validator on zxcvbn's estimate of how many guesses a password takes.

It refuses keyboard walks (`qwertyuiop12`), repeats (`aaaaaaaaaaaa`) and common passwords with a twist, and a
password built from the person's own username, names or email with only digits or signs added
(`olivia.brennan2024`): with those parts taken out, some letters must be left."""

import re

from django.core.exceptions import ValidationError
from zxcvbn import zxcvbn

MIN_SCORE = 3  # zxcvbn's scale of 0-4: 3 is "safely unguessable", about 10^8 guesses
LONGEST = 200  # zxcvbn's time grows with length; past this a password is long enough to pass unmeasured


class GuessablePasswordValidator:
    def validate(self, password: str, user=None) -> None:
        if len(password) > LONGEST:
            return
        inputs = _user_inputs(user)
        result = zxcvbn(password, user_inputs=inputs)
        if _built_from_own_names(password, inputs):
            raise ValidationError(
                "This password is built from your own name, username or email. Choose one that is not about you.",
                code="password_own_name",
            )
        if result["score"] < MIN_SCORE:
            raise ValidationError(
                "This password is too easy to guess (a keyboard pattern, a repeat, or a common word with "
                "digits). A few unrelated words together work well.",
                code="password_guessable",
            )

    def get_help_text(self) -> str:
        return "Not a keyboard pattern, a repeat, or your own name with digits."


def _user_inputs(user) -> list[str]:
    if user is None:
        return []
    values = [getattr(user, name, "") or "" for name in ("username", "first_name", "last_name", "email")]
    words = [word for value in values for word in re.split(r"[^\w]+|_", value.lower()) if len(word) >= 3]
    return sorted({value.lower() for value in values if value} | set(words))


def _built_from_own_names(password: str, inputs: list[str]) -> bool:
    """With the person's own names taken out, what is left of the password holds no letters."""
    rest = password.lower()
    for word in sorted(inputs, key=len, reverse=True):
        rest = rest.replace(word, " ")
    return rest != password.lower() and not re.search(r"[^\W\d_]", rest)
