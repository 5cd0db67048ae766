# The search's vocabulary, PostgreSQL's pg_trgm with a trigram index on it, and the indexes that read patients,
# referrers and practices by name and phone number (decision 0036). Reversible: each index is dropped again.

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Lower

from liaison.search.text import fold

# (name, table, columns): created on every database.
INDEXES = (
    ("search_patient_last", "referrals_patient", "lower(last_name), lower(first_name), id"),
    ("search_patient_first", "referrals_patient", "lower(first_name), lower(last_name), id"),
    ("search_patient_phone", "referrals_patient", "phone"),
    ("search_referrer_last", "directory_referrer", "lower(last_name), lower(first_name), id"),
    ("search_referrer_first", "directory_referrer", "lower(first_name), lower(last_name), id"),
    ("search_referrer_phone", "directory_referrer", "phone"),
    ("search_practice_name", "directory_practice", "lower(name), id"),
    ("search_practice_phone", "directory_practice", "phone"),
)
TRIGRAM_INDEX = "search_word_trgm"
FIELDS = (
    ("referrals", "Patient", "first_name", "patient_first"),
    ("referrals", "Patient", "last_name", "patient_last"),
    ("directory", "Referrer", "first_name", "referrer_first"),
    ("directory", "Referrer", "last_name", "referrer_last"),
    ("directory", "Practice", "name", "practice"),
)


def create_indexes(apps, schema_editor):
    for name, table, columns in INDEXES:
        schema_editor.execute(f"CREATE INDEX {name} ON {table} ({columns})")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX {TRIGRAM_INDEX} ON search_searchword USING gin (word gin_trgm_ops)")


def drop_indexes(apps, schema_editor):
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


def fill_words(apps, schema_editor):
    """The vocabulary of the records already there (as liaison.search.words.rebuild_words, with the models of
    this point in the migrations)."""
    SearchWord = apps.get_model("search", "SearchWord")
    rows = {}
    for app_label, model, field, kind in FIELDS:
        names = apps.get_model(app_label, model).objects.annotate(n=Lower(F(field))).values_list("n", flat=True)
        for name in names.distinct().order_by().iterator(chunk_size=5000):
            if name and len(name) <= 200:
                rows.update({(w, kind, name): SearchWord(word=w, kind=kind, name=name) for w in fold(name)})
    SearchWord.objects.bulk_create(rows.values(), batch_size=5000, ignore_conflicts=True)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("referrals", "0014_portal_messages"),
        ("directory", "0004_referrer_name_order"),
    ]

    operations = [
        TrigramExtension(),  # PostgreSQL only; nothing on SQLite
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("word", models.CharField(max_length=100)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("patient_first", "Patient's first name"),
                            ("patient_last", "Patient's last name"),
                            ("referrer_first", "Referrer's first name"),
                            ("referrer_last", "Referrer's last name"),
                            ("practice", "Practice name"),
                        ],
                        max_length=16,
                    ),
                ),
                ("name", models.CharField(max_length=200)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("word", "kind", "name"), name="searchword_unique")],
            },
        ),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
        migrations.RunPython(fill_words, migrations.RunPython.noop),
    ]
