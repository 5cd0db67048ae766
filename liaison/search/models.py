from django.db import models


class Kind(models.TextChoices):
    PATIENT_FIRST = "patient_first", "Patient's first name"
    PATIENT_LAST = "patient_last", "Patient's last name"
    REFERRER_FIRST = "referrer_first", "Referrer's first name"
    REFERRER_LAST = "referrer_last", "Referrer's last name"
    PRACTICE = "practice", "Practice name"


class SearchWord(models.Model):
    """One word of a name the search box finds, and the name it is part of (decision 0036).

    `name` is the name field as the database lower-cases it ("o'brien", "riverside psychiatry"); `word` is one of
    its words folded for matching ("obrien"; "riverside" and "psychiatry"). A typed word is matched against the
    words (trigrams on PostgreSQL, near spellings on SQLite), then the records are read by their names through
    indexes. There are far fewer distinct names than patients, so the fuzzy part never reads the patients.
    Rows are added as records are saved (liaison.search.words) and never needed for a name that no record has
    any more: such a row finds nothing."""

    word = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["word", "kind", "name"], name="searchword_unique")]

    def __str__(self) -> str:
        return f"{self.word} ({self.kind}: {self.name})"
