"""The PHQ-9's nine questions and its answers, in our own words (faithful to what each item asks: REFERENCE §2),
shared by every page that shows the items: the referral forms and pages, and the care app's instrument."""

QUESTIONS = (
    "Little interest or enjoyment in doing things",
    "Feeling low, depressed or without hope",
    "Trouble getting to sleep or staying asleep, or sleeping far too much",
    "Feeling tired or having little energy",
    "A poor appetite, or eating too much",
    "Feeling bad about yourself: that you are a failure or have let yourself or your family down",
    "Trouble concentrating, for example on reading or television",
    "Moving or speaking so slowly that others could notice, or being so restless you moved around far more than usual",
    "Thinking you would be better off dead, or thinking of hurting yourself in some way",
)
ANSWERS = ((0, "Not at all"), (1, "On several days"), (2, "On more than half the days"), (3, "Nearly every day"))


def question(number: int) -> str:
    """Item `number` (1–9) as a label: "3. Trouble getting to sleep …"."""
    return f"{number}. {QUESTIONS[number - 1]}"
