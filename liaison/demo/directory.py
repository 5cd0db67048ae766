"""Made-up referring practices and clinicians, in the usual mix of sources (PRODUCT §5).

NPIs carry a correct check digit (directory.validators.validate_npi) but are drawn at random;
telephone and fax numbers are in the 555-01xx block, which is never assigned.
"""

import csv
import random

from stdnum import luhn

from liaison.demo import vocab
from liaison.demo.clinical import phone, slug
from liaison.directory.choices import Channel, PracticeType, SourceType
from liaison.directory.models import Practice, Referrer, Taxonomy

TAXONOMY_CSV = Taxonomy._meta.app_config.path + "/data/nucc_taxonomy.csv"
GENERATED_PRACTICE_KINDS = {
    SourceType.PSYCHIATRY: ("Psychiatry Associates", "Psychiatric Group", "Behavioral Health"),
    SourceType.PRIMARY_CARE: ("Family Medicine", "Internal Medicine", "Primary Care"),
    SourceType.THERAPY: ("Counseling Center", "Psychotherapy Practice", "Psychology Group"),
}


def make_npi(rng: random.Random, *, first: str, taken: set) -> str:
    """A fresh NPI: `first` (1 for people, 2 for organisations), eight random digits, the check digit."""
    while True:
        base = first + "".join(rng.choices("0123456789", k=8))
        npi = base + luhn.calc_check_digit("80840" + base)
        if npi not in taken:
            taken.add(npi)
            return npi


def allocate(total: int, mix: dict) -> dict:
    """Split `total` across the keys of `mix` in proportion, exactly (largest remainder first)."""
    exact = {key: total * share / sum(mix.values()) for key, share in mix.items()}
    counts = {key: int(value) for key, value in exact.items()}
    by_remainder = sorted(mix, key=lambda key: exact[key] - counts[key], reverse=True)
    for key in by_remainder[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def ensure_taxonomy() -> None:
    """Make sure the NUCC codes the generators use are present (a flushed test database has none).
    An empty table gets the whole list back; otherwise only the missing codes are added."""
    needed = {code for options in vocab.TAXONOMIES.values() for code, _, _ in options}
    present = set(Taxonomy.objects.filter(code__in=needed).values_list("code", flat=True))
    if present == needed:
        return
    load_all = not Taxonomy.objects.exists()
    with open(TAXONOMY_CSV, newline="", encoding="utf-8") as f:
        rows = [Taxonomy(**row) for row in csv.DictReader(f) if load_all or row["code"] in needed - present]
    Taxonomy.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


def demo_practices(rng: random.Random, *, taken: set) -> list[Practice]:
    """The sixteen referring practices of the demo, from vocab.PRACTICES."""
    return [
        practice_fields(rng, name=name, practice_type=kind, clinicians=size, place=vocab.PLACES[place], taken=taken)
        for name, kind, size, place in vocab.PRACTICES
    ]


def practice_fields(rng: random.Random, *, name: str, practice_type: str, clinicians: int, place, taken) -> Practice:
    zip_code, city, state, area = place
    return Practice(
        name=name,
        npi=make_npi(rng, first="2", taken=taken),
        practice_type=practice_type,
        clinician_count=clinicians,
        address=f"{rng.randint(2, 480)} {rng.choice(vocab.STREETS)}, Suite {rng.randint(1, 12)}{rng.choice('ABCD')}",
        city=city,
        state=state,
        zip_code=zip_code,
        phone=phone(rng, area),
        fax=phone(rng, area),
    )


def generated_practice(rng: random.Random, *, source_type: str, taken: set) -> Practice:
    """A practice for the large network: a founder's surname and the kind of practice."""
    kinds = GENERATED_PRACTICE_KINDS.get(source_type, ("Medical Group", "Health Partners"))
    kind = rng.choices((PracticeType.SOLO, PracticeType.GROUP, PracticeType.HEALTH_SYSTEM), weights=(4, 5, 1))[0]
    name = f"{rng.choice(vocab.LAST_NAMES)} {rng.choice(kinds)}"
    size = {PracticeType.SOLO: 1, PracticeType.GROUP: rng.randint(2, 15)}.get(kind, rng.randint(20, 120))
    return practice_fields(
        rng, name=name, practice_type=kind, clinicians=size, place=rng.choice(vocab.PLACES), taken=taken
    )


def referrer_fields(rng: random.Random, *, source_type: str, practice: Practice, taken: set) -> Referrer:
    """One referring clinician: a fitting specialty and credential, and a channel they can be reached on."""
    options = vocab.TAXONOMIES[source_type]
    code, credentials, _ = rng.choices(options, weights=[o[2] for o in options])[0]
    first = rng.choice(vocab.FEMALE_NAMES + vocab.MALE_NAMES)
    last = rng.choice(vocab.LAST_NAMES)
    channel = rng.choices(tuple(vocab.CHANNEL_WEIGHTS), weights=tuple(vocab.CHANNEL_WEIGHTS.values()))[0]
    has_email = channel == Channel.EMAIL or rng.random() < 0.6 or channel == Channel.PORTAL  # a portal user has email
    return Referrer(
        npi=make_npi(rng, first="1", taken=taken),
        first_name=first,
        last_name=last,
        credential=rng.choice(credentials),
        taxonomy_id=code,
        source_type=source_type,
        practice=practice,
        email=f"{slug(first)[0]}{slug(last)}@{slug(practice.name)}.example" if has_email else "",
        phone=practice.phone if rng.random() < 0.7 else phone(rng, practice.phone[2:5]),
        fax=practice.fax if channel == Channel.FAX or rng.random() < 0.8 else "",
        preferred_channel=channel,
        shared_care_model=rng.choices(
            tuple(vocab.SHARED_CARE_WEIGHTS), weights=tuple(vocab.SHARED_CARE_WEIGHTS.values())
        )[0],
        shared_care_own=True,  # agreed with each demo clinician
    )


def demo_referrers(rng: random.Random, *, practices: list[Practice], count: int, taken: set) -> list[Referrer]:
    """`count` referrers in the benchmark mix. The first is a psychiatrist at the first practice:
    the demo's referring clinician signs in as them."""
    referrers = []
    for source_type, n in allocate(count, vocab.REFERRER_MIX).items():
        for _ in range(n):
            index = rng.choice(vocab.PRACTICES_BY_SOURCE[source_type]) if referrers else 0
            referrers.append(referrer_fields(rng, source_type=source_type, practice=practices[index], taken=taken))
    referrers[0].taxonomy_id, referrers[0].credential = "2084P0800X", "MD"
    return referrers
