"""The search box's reads, scoped to who asks (decision 0036): patients and their referrals for the clinical team,
through the inbox's own scope (referrals.queries.referral_scope); referrers and practices for every staff role that
reads the directory. Each group is at most GROUP_SIZE rows, each read through an index in an order that index
gives, so a common name at a million referrals costs what a rare one does."""

from dataclasses import dataclass, field
from functools import reduce
from itertools import permutations
from operator import or_

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower

from liaison.accounts.access import may
from liaison.directory.models import Practice, Referrer
from liaison.referrals.models import Patient
from liaison.referrals.queries import referral_scope
from liaison.search.models import Kind
from liaison.search.parse import Query
from liaison.search.vocabulary import names_like

GROUP_SIZE = 10
REFERRALS_PER_PATIENT = 5
PATIENT_FIELDS = ("id", "first_name", "last_name", "date_of_birth", "phone")
REFERRER_FIELDS = ("id", "first_name", "last_name", "credential", "npi", "phone", "practice__name")
PRACTICE_FIELDS = ("id", "name", "npi", "city", "state", "phone")
REFERRAL_FIELDS = ("id", "patient_id", "status", "is_open", "received_at")


@dataclass
class Results:
    patients: list[dict] = field(default_factory=list)  # each with its "referrals"
    referrers: list[dict] = field(default_factory=list)
    practices: list[dict] = field(default_factory=list)
    more: set[str] = field(default_factory=set)  # the groups that had more than GROUP_SIZE
    sees_patients: bool = False
    sees_directory: bool = False
    skipped: int = 0  # reads not made because their part found nothing to look for (the query-count pins read it)

    @property
    def count(self) -> int:
        return len(self.patients) + len(self.referrers) + len(self.practices)


def sees_patients(user) -> bool:
    return may(user, "referral.view")


def sees_directory(user) -> bool:
    return may(user, "directory.read")


def search(*, user, query: Query) -> Results:
    """At most: the vocabulary (a name was typed: its spellings, then pg_trgm for the words they did not find),
    the patients (two reads for one word: by last name, then by first name), their referrals, the referrers, the
    practices. Each read is skipped when its part has nothing to look for, and `skipped` says how many were."""
    results = Results(sees_patients=sees_patients(user), sees_directory=sees_directory(user))
    kinds = (Kind.PATIENT_FIRST, Kind.PATIENT_LAST) if results.sees_patients else ()
    if results.sees_directory:
        kinds += (Kind.REFERRER_FIRST, Kind.REFERRER_LAST, Kind.PRACTICE)
    names, results.skipped = names_like(query.words, kinds) if query.words and kinds else ({}, 0)
    if results.sees_patients:
        results.patients = _bounded(results, "patients", _patients(results, user, query, names))
        _with_referrals(results, user, query.reference)
    if results.sees_directory:
        results.referrers = _bounded(results, "referrers", _referrers(results, query, names))
        results.practices = _bounded(results, "practices", _practices(results, query, names))
    return results


def _bounded(results: Results, group: str, rows: list[dict]) -> list[dict]:
    if len(rows) > GROUP_SIZE:
        results.more.add(group)
    return rows[:GROUP_SIZE]


def _page(queryset, *order) -> list[dict]:
    return list(queryset.order_by(*order).values(*_fields(queryset.model))[: GROUP_SIZE + 1])


def _fields(model) -> tuple[str, ...]:
    return {Patient: PATIENT_FIELDS, Referrer: REFERRER_FIELDS, Practice: PRACTICE_FIELDS}[model]


LAST_ORDER = ("last_lower", "first_lower", "id")  # the order of the indexes search_*_last
FIRST_ORDER = ("first_lower", "last_lower", "id")  # and search_*_first


def _person_names(query: Query, names: dict, first_kind: str, last_kind: str) -> list[tuple[Q | None, tuple]]:
    """(condition, order) for each way of reading the typed words as a person's name: with one word, its last
    names, then its first names, each read in its own index's order; with more, a first name from one word and a
    last name from another, in any order (one condition). None where that reading found no name."""
    first = {i: names.get((i, first_kind), []) for i in range(len(query.words))}
    last = {i: names.get((i, last_kind), []) for i in range(len(query.words))}
    if len(query.words) == 1:
        return [
            (Q(last_lower__in=last[0]) if last[0] else None, _order(LAST_ORDER, last[0])),
            (Q(first_lower__in=first[0]) if first[0] else None, _order(FIRST_ORDER, first[0])),
        ]
    pairs = [
        Q(first_lower__in=first[i], last_lower__in=last[j]) for i, j in permutations(first, 2) if first[i] and last[j]
    ]
    return [(reduce(or_, pairs) if pairs else None, LAST_ORDER)]


def _order(order: tuple, names: list[str]) -> tuple:
    """The index's order; for one name without its first term, which is then the same on every row (SQLite sorts
    by a term an expression index holds constant rather than read the index in order)."""
    return order[1:] if len(names) == 1 else order


def _named(results: Results, queryset, readings: list[tuple[Q | None, tuple]]) -> list[dict]:
    """The rows of each reading of the name, the first reading's first, without repeats."""
    queryset = queryset.annotate(first_lower=Lower("first_name"), last_lower=Lower("last_name"))
    rows: dict[int, dict] = {}
    for condition, order in readings:
        if condition is None:
            results.skipped += 1
            continue
        for row in _page(queryset.filter(condition), *order):
            rows.setdefault(row["id"], row)
    return list(rows.values())


def _patients(results: Results, user, query: Query, names: dict) -> list[dict]:
    patients = Patient.objects.filter(Exists(referral_scope(user).filter(patient_id=OuterRef("pk"))))
    if query.reference:
        patients = patients.filter(referrals__in=referral_scope(user).filter(pk=query.reference)).distinct()
    if query.birth_date:
        patients = patients.filter(date_of_birth=query.birth_date)
    if query.phone:
        patients = patients.filter(phone=query.phone)
    if query.words:
        return _named(results, patients, _person_names(query, names, Kind.PATIENT_FIRST, Kind.PATIENT_LAST))
    if not (query.reference or query.birth_date or query.phone):
        results.skipped += 1
        return []  # an NPI alone: no patient has one
    return _page(patients.annotate(first_lower=Lower("first_name"), last_lower=Lower("last_name")), *LAST_ORDER)


def _with_referrals(results: Results, user, reference: int | None) -> None:
    """Each patient's referrals (the newest REFERRALS_PER_PATIENT, and the one whose reference was typed), in one
    query over the referrals' patient index."""
    wanted = {p["id"]: p for p in results.patients}
    if not wanted:
        results.skipped += 1
        return
    for p in results.patients:
        p["referrals"] = []
    rows = (
        referral_scope(user)
        .filter(patient_id__in=wanted)
        .order_by("-received_at", "-id")
        .values(*REFERRAL_FIELDS)[: len(wanted) * REFERRALS_PER_PATIENT * 2]
    )
    for row in rows:
        shown = wanted[row["patient_id"]]["referrals"]
        if len(shown) < REFERRALS_PER_PATIENT or row["id"] == reference:
            shown.append(row)


def _numbers(query: Query) -> Q | None:
    if not (query.npi or query.phone):
        return None
    return reduce(or_, [Q(**{f: v}) for f, v in (("npi", query.npi), ("phone", query.phone)) if v])


def _referrers(results: Results, query: Query, names: dict) -> list[dict]:
    if (numbers := _numbers(query)) is not None:
        return _page(Referrer.objects.filter(numbers), "last_name", "first_name", "id")
    if not query.words or query.birth_date or query.reference:
        results.skipped += 1
        return []  # a date of birth or a reference is a patient's
    # One read whichever way the name is read: a network has thousands of referrers, not a million.
    readings = [c for c, _ in _person_names(query, names, Kind.REFERRER_FIRST, Kind.REFERRER_LAST) if c is not None]
    return _named(results, Referrer.objects.all(), [(reduce(or_, readings) if readings else None, LAST_ORDER)])


def _practices(results: Results, query: Query, names: dict) -> list[dict]:
    if (numbers := _numbers(query)) is not None:
        return _page(Practice.objects.filter(numbers), "name", "id")
    # every typed word must be in the practice's name: "riverside psych" finds Riverside Psychiatry alone
    per_word = [set(names.get((i, Kind.PRACTICE), [])) for i in range(len(query.words))]
    wanted = sorted(set.intersection(*per_word)) if per_word and not (query.birth_date or query.reference) else []
    if not wanted:
        results.skipped += 1
        return []
    return _page(Practice.objects.annotate(name_lower=Lower("name")).filter(name_lower__in=wanted), "name_lower", "id")
