"""Folding names and typed words the same way, and comparing them: plain functions, no database (the migration
that fills the vocabulary uses them too)."""

import re
import unicodedata

WORD_MAX = 100
_APOSTROPHES = str.maketrans("", "", "'’‘`.")
_SPLIT = re.compile(r"[\W_]+")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def fold(text: str) -> list[str]:
    """The words of a name or of what was typed, as they are matched: lower case, accents and apostrophes dropped,
    split at spaces, hyphens and other punctuation ("O'Brien-Núñez" → ["obrien", "nunez"])."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_APOSTROPHES))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return [w[:WORD_MAX] for w in _SPLIT.split(text) if w]


def trigrams(word: str) -> set[str]:
    """A word's trigrams as PostgreSQL's pg_trgm makes them: padded with two spaces before and one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of the two words, 0 to 1."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def one_edit(word: str) -> set[str]:
    """Every spelling one typing slip away (a letter left out, doubled or extra, changed, or two swapped): about
    55 × its length words, each looked up in an index, however large the network (Norvig's spelling corrector)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changes = {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    inserts = {a + c + b for a, b in splits for c in LETTERS}
    return (deletes | swaps | changes | inserts) - {word, ""}
