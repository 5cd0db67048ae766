"""Stage one of a name search: the names whose words look like what was typed, from the vocabulary alone.

For all typed words, in one query: the vocabulary's words that are the same, that begin with one, or that are one
typing slip away (an index look-up of every such spelling, text.one_edit). On PostgreSQL, for the typed words that
found nothing so, a second query: the words pg_trgm finds alike (word similarity, through the trigram index). Then,
per typed word and kind of name, only the best grade found is kept: a word typed in full finds its name and not its
near spellings; a partial word finds the names it begins; a misspelt one the names it is close to.
"""

from functools import reduce
from operator import or_

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length, Lower

from liaison.search.models import SearchWord
from liaison.search.text import one_edit, similarity

PREFIX_FROM = 3  # letters typed before a word finds the names it begins
CANDIDATES = 300  # vocabulary rows read for one search, at most
NAMES_PER_WORD = 5  # names kept for each typed word and kind
EXACT, PREFIX, CLOSE = 3, 2, 1
TRIGRAM_WORD = '%s <%% lower("search_searchword"."word")'  # pg_trgm's word similarity above 0.6: its GIN index


def _spellings(word: str, edits: set[str]) -> Q:
    """The word, its one-slip spellings and, from PREFIX_FROM letters, the words it begins: the unique index."""
    near = Q(word__in=sorted(edits | {word}))
    if len(word) >= PREFIX_FROM:
        near |= Q(word__gte=word, word__lt=word + "\uffff")
    return near


def names_like(words: tuple[str, ...], kinds: tuple[str, ...]) -> tuple[dict[tuple[int, str], list[str]], int]:
    """{(index of the typed word, kind): names}, best first, for every typed word that found something; and how
    many reads were not needed (1 when pg_trgm was not asked: on SQLite, or when every typed word was found by its
    spellings). The trigram index is asked only for the words the b-tree did not find: computing trigrams is the
    dear part (decision 0036)."""
    edits = [one_edit(w) for w in words]
    spellings = reduce(or_, (_spellings(w, e) for w, e in zip(words, edits, strict=True)))
    found: dict[tuple[int, str], list[tuple[int, float, str]]] = {}
    _collect(found, SearchWord.objects.filter(spellings, kind__in=kinds), words, edits, {})
    missing = [i for i in range(len(words)) if not any(key[0] == i for key in found)]
    if connection.vendor != "postgresql" or not missing:
        return {key: _best(graded) for key, graded in found.items()}, 1
    alike = reduce(or_, (Q(RawSQL(TRIGRAM_WORD, (words[i],), output_field=BooleanField())) for i in missing))  # noqa: S611
    scores = {f"s{i}": TrigramWordSimilarity(words[i], Lower("word")) for i in missing}
    _collect(found, SearchWord.objects.filter(alike, kind__in=kinds).annotate(**scores), words, edits, scores)
    return {key: _best(graded) for key, graded in found.items()}, 0


def _collect(found: dict, rows, words, edits, scores: dict) -> None:
    """Grade the rows against each typed word (shortest first: the word itself and its slips before the long words
    a few letters begin)."""
    for row in rows.order_by(Length("word"), "word").values("word", "kind", "name", *scores)[:CANDIDATES]:
        for i, typed in enumerate(words):
            grade = _grade(typed, row["word"], edits[i], row.get(f"s{i}"))
            if grade:
                found.setdefault((i, row["kind"]), []).append((grade, similarity(typed, row["word"]), row["name"]))


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
