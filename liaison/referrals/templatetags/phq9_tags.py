"""The PHQ-9's items as people read them: each question with its answer in words (core.phq9)."""

from django import template

from liaison.core import phq9

register = template.Library()
ANSWER = dict(phq9.ANSWERS)


@register.filter
def phq9_answers(items) -> list[tuple[str, str]]:
    """[(question, answer in words)] for the nine answers; an item left empty reads "not answered"."""
    return [
        (phq9.question(n), f"{value} · {ANSWER[value]}" if value in ANSWER else "not answered")
        for n, value in enumerate(items or [], start=1)
    ]
