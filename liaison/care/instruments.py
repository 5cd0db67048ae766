"""The two instruments: their items (in our own words), LOINC codes (REFERENCE §1.4) and severity bands.

Answers are 0–3 per item. PHQ-9 item 9 is the safety question: see services.assessment_record.
"""

from dataclasses import dataclass

from liaison.care.choices import Instrument
from liaison.core import phq9

ANSWERS = list(phq9.ANSWERS)
ANSWER_LOINC = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
DIFFICULTY_ANSWERS = [(0, "Not difficult at all"), (1, "Somewhat difficult"), (2, "Very difficult"), (3, "Extremely")]
ITEM9 = 9  # 1-based number of PHQ-9's safety item


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str
    tone: str  # a CSS/SVG tone name: none, mild, moderate, modsevere, severe


@dataclass(frozen=True)
class Spec:
    code: str
    name: str
    panel_loinc: str
    total_loinc: str
    item_loinc: tuple[str, ...]
    items: tuple[str, ...]
    bands: tuple[Band, ...]

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def max_total(self) -> int:
        return 3 * self.item_count


PHQ9 = Spec(
    code=Instrument.PHQ9,
    name="PHQ-9",
    panel_loinc="44249-1",
    total_loinc="44261-6",
    item_loinc=(
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ),
    items=phq9.QUESTIONS,
    bands=(
        Band(0, 4, "None to minimal", "none"),
        Band(5, 9, "Mild", "mild"),
        Band(10, 14, "Moderate", "moderate"),
        Band(15, 19, "Moderately severe", "modsevere"),
        Band(20, 27, "Severe", "severe"),
    ),
)
PHQ9_DIFFICULTY_LOINC = "69722-7"
PHQ9_DIFFICULTY_TEXT = "If any of these troubled you, how hard did they make your work, home life or time with others?"

GAD7 = Spec(
    code=Instrument.GAD7,
    name="GAD-7",
    panel_loinc="69737-5",
    total_loinc="70274-6",
    item_loinc=("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"),
    items=(
        "Feeling nervous, anxious or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about many different things",
        "Finding it hard to relax",
        "Being so restless that it is hard to sit still",
        "Getting easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
    ),
    bands=(
        Band(0, 4, "Minimal", "none"),
        Band(5, 9, "Mild", "mild"),
        Band(10, 14, "Moderate", "moderate"),
        Band(15, 21, "Severe", "severe"),
    ),
)

SPECS = {PHQ9.code: PHQ9, GAD7.code: GAD7}


def spec(instrument: str) -> Spec:
    return SPECS[instrument]


def band(instrument: str, total: int) -> Band:
    """The severity band a total falls in; ValueError outside the instrument's range."""
    for b in spec(instrument).bands:
        if b.low <= total <= b.high:
            return b
    raise ValueError(f"{total} is outside the {spec(instrument).name} range")


def loinc_answers(instrument: str, items: list[int] | None) -> dict[str, str]:
    """Item LOINC code → answer LOINC code, as a QuestionnaireResponse would carry them."""
    if not items:
        return {}
    return {code: ANSWER_LOINC[v] for code, v in zip(spec(instrument).item_loinc, items, strict=True)}
