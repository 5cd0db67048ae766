"""Stage one of a name search: the names whose words look like what was typed, from the vocabulary alone.

For each typed word, in one query: the vocabulary's words that are the same, that begin with it, or that are one
typing slip away (an index look-up of every such spelling, text.one_edit); on PostgreSQL also those pg_trgm finds
alike (word similarity, through the trigram index). Then, per typed word and kind of name, only the best grade
found is kept: a word typed in full finds its name and not its near spellings; a partial word finds the names it
begins; a misspelt one the names it is close to.
"""

from functools import reduce
from operator import or_

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from liaison.search.models import SearchWord
from liaison.search.text import one_edit, similarity

PREFIX_FROM = 3  # letters typed before a word finds the names it begins
CANDIDATES = 300  # vocabulary rows read for one search, at most
NAMES_PER_WORD = 5  # names kept for each typed word and kind
EXACT, PREFIX, CLOSE = 3, 2, 1
TRIGRAM_WORD = '%s <%% "search_searchword"."word"'  # pg_trgm: word similarity above its threshold (0.6), indexed


def _conditions(word: str, edits: set[str], trigram: bool) -> Q:
    near = Q(word__in=sorted(edits | {word}))
    if len(word) >= PREFIX_FROM:
        near |= Q(word__gte=word, word__lt=word + "\uffff")  # begins with it: a range of the unique index
    if trigram:
        near |= Q(RawSQL(TRIGRAM_WORD, (word,), output_field=BooleanField()))  # noqa: S611  (the word is a parameter)
    return near


def names_like(words: tuple[str, ...], kinds: tuple[str, ...]) -> dict[tuple[int, str], list[str]]:
    """{(index of the typed word, kind): names}, best first, for every typed word that found something."""
    trigram = connection.vendor == "postgresql"
    edits = [one_edit(w) for w in words]
    near = reduce(or_, (_conditions(w, e, trigram) for w, e in zip(words, edits, strict=True)))
    rows = SearchWord.objects.filter(near, kind__in=kinds)
    fields = ["word", "kind", "name"]
    if trigram:
        rows = rows.annotate(**{f"s{i}": TrigramWordSimilarity(w, "word") for i, w in enumerate(words)})
        fields += [f"s{i}" for i in range(len(words))]
    found: dict[tuple[int, str], list[tuple[int, float, str]]] = {}
    # shortest first: the word itself and its slips before the long words a few letters begin
    for row in rows.order_by(Length("word"), "word").values(*fields)[:CANDIDATES]:
        for i, typed in enumerate(words):
            grade = _grade(typed, row["word"], edits[i], row.get(f"s{i}"))
            if grade:
                found.setdefault((i, row["kind"]), []).append((grade, similarity(typed, row["word"]), row["name"]))
    return {key: _best(graded) for key, graded in found.items()}


def _grade(typed: str, word: str, edits: set[str], trigram_score: float | None) -> int:
    if word == typed:
        return EXACT
    if len(typed) >= PREFIX_FROM and word.startswith(typed):
        return PREFIX
    if word in edits or (trigram_score is not None and trigram_score >= 0.6):
        return CLOSE
    return 0


def _best(graded: list[tuple[int, float, str]]) -> list[str]:
    top = max(grade for grade, _, _ in graded)
    names = [name for _, _, name in sorted((g for g in graded if g[0] == top), key=lambda g: (-g[1], g[2]))]
    return list(dict.fromkeys(names))[:NAMES_PER_WORD]
