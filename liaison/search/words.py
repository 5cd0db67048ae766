"""The search's vocabulary: every word of every patient's, referrer's and practice's name (models.SearchWord).

Kept current as records are saved (a post_save receiver per model: a look-up index, like the audit trail, not a
workflow), and rebuilt in one set-based pass by `liaison search_words` after a bulk load that went around
save() (the large network's COPY; liaison.demo.rebuilds runs it).
"""

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.db.models.signals import post_save

from liaison.directory.models import Practice, Referrer
from liaison.referrals.models import Patient
from liaison.search.models import Kind, SearchWord
from liaison.search.text import fold

# (model, field, kind): each field whose words are searched.
FIELDS = (
    (Patient, "first_name", Kind.PATIENT_FIRST),
    (Patient, "last_name", Kind.PATIENT_LAST),
    (Referrer, "first_name", Kind.REFERRER_FIRST),
    (Referrer, "last_name", Kind.REFERRER_LAST),
    (Practice, "name", Kind.PRACTICE),
)
NAME_MAX = SearchWord._meta.get_field("name").max_length


def rows_for(kind: str, name: str) -> list[SearchWord]:
    """The vocabulary rows of one name as stored (`name` lower-cased as the database does)."""
    name = (name or "").lower()
    if not name or len(name) > NAME_MAX:
        return []
    return [SearchWord(word=word, kind=kind, name=name) for word in dict.fromkeys(fold(name))]


def record_saved(sender, instance, **kwargs) -> None:
    rows = [row for model, field, kind in FIELDS if model is sender for row in rows_for(kind, getattr(instance, field))]
    if rows:
        SearchWord.objects.bulk_create(rows, ignore_conflicts=True)


def connect() -> None:
    for model in {model for model, _, _ in FIELDS}:
        post_save.connect(record_saved, sender=model, dispatch_uid=f"search.words.{model._meta.label_lower}")


def rebuild_words(batch: int = 5000) -> int:
    """The whole vocabulary again from the records, in one transaction: each field's distinct lower-cased values
    (one grouped query each; there are far fewer names than records), folded here. Returns the number of rows."""
    rows: dict[tuple, SearchWord] = {}
    for model, field, kind in FIELDS:
        names = model.objects.annotate(n=Lower(F(field))).values_list("n", flat=True).distinct().order_by()
        for name in names.iterator(chunk_size=batch):
            rows.update({(r.word, r.kind, r.name): r for r in rows_for(kind, name)})
    with transaction.atomic():
        SearchWord.objects.all().delete()
        SearchWord.objects.bulk_create(rows.values(), batch_size=batch, ignore_conflicts=True)
    return len(rows)
