"""The outbox page's reads: every letter in flight or failed, by channel, a page of PAGE at a time; the counts, each
stopping at CAP, in one statement; the problems that hold letters up, grouped by referrer. A fixed number of
queries whatever the length of the lists (no query per row or per referrer), and only the columns the page shows."""

from collections import Counter
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When

from liaison.comms.choices import PENDING, DeliveryChannel, OutboxStatus
from liaison.comms.models import CommsSettings, DueCommunication, Outbox
from liaison.comms.owed import CHANNEL_PROBLEM_PREFIX
from liaison.comms.predicates import PROBLEM_DUE, Inlined
from liaison.core import lists
from liaison.directory.models import Referrer

PAGE = 50  # rows of one channel on a page; also the referrers in the problems
CAP = 1000  # counts stop here: more shows as "1,000+"
MAX_PAGE = 10_000
CHANNELS = dict(DeliveryChannel.choices)
OPEN = (OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.FAILED)
COUNTED = (OutboxStatus.FAILED, OutboxStatus.SENDING, OutboxStatus.QUEUED)
# The `status` filter: which of a channel's open letters the rows are ("" for all of them).
STATUSES = {"failed": (OutboxStatus.FAILED,), "in_flight": (OutboxStatus.QUEUED, OutboxStatus.SENDING)}

# How a channel's rows are ordered (decision 0043). Every order sorts one channel's letters in flight or failed, the
# set this page has always sorted (failed first: a CASE no index serves): letters leave it once delivered, so it is
# bounded by the work in hand, never the history of letters sent. "status" is that first order (failed, sending,
# then waiting by their next try); "waited" is since the letter was signed; "referrer" by name. The rows are grouped
# by channel already, so there is no channel column to sort by: the `channel` filter shows one.
SORTING = lists.Sorting(
    columns={
        "status": ("rank", "next_attempt_at"),
        "waited": ("created_at",),
        "referrer": ("letter__referral__referrer__last_name", "letter__referral__referrer__first_name"),
    },
    default="status",
)

ROW_FIELDS = (
    "id", "channel", "status", "attempts", "next_attempt_at", "last_error", "address", "created_at", "letter_id",
    "letter__letter_type", "letter__referral_id", "letter__referral__patient__first_name",
    "letter__referral__patient__last_name", "letter__referral__referrer__first_name",
    "letter__referral__referrer__last_name", "letter__referral__referrer__credential",
)  # fmt: skip

# What a failed delivery's reason says about the address (outbox._header_problem and _send_problem write them).
NO_ADDRESS = "no_address"
BAD_ADDRESS = "bad_address"
OTHER = "other"
NO_CHANNEL = "no_channel"


@dataclass
class Channel:
    key: str
    title: str
    counts: dict  # status -> count, up to CAP + 1
    page: int = 1
    rows: list = field(default_factory=list)
    size: int = PAGE  # rows a page
    statuses: tuple = OPEN  # the statuses shown (the `status` filter)

    @property
    def total(self) -> int:
        return sum(n for status, n in self.counts.items() if status in self.statuses)

    @property
    def capped(self) -> bool:
        return any(n > CAP for n in self.counts.values())

    def shown(self, status: str) -> str:
        n = self.counts.get(status, 0)
        return f"{CAP:,}+" if n > CAP else f"{n:,}"

    @property
    def failed_shown(self) -> str:
        return self.shown(OutboxStatus.FAILED)

    @property
    def sending_shown(self) -> str:
        return self.shown(OutboxStatus.SENDING)

    @property
    def queued_shown(self) -> str:
        return self.shown(OutboxStatus.QUEUED)

    @property
    def later(self) -> bool:
        """A page after this one (capped: while this page is full)."""
        return len(self.rows) >= self.size and (self.capped or self.page * self.size < self.total)

    @property
    def pages_shown(self) -> str:
        pages = max(1, -(-self.total // self.size))
        return f"{pages:,}+" if self.capped else f"{pages:,}"


@dataclass
class Problem:
    kind: str
    channel: str  # the channel the failed letters went by; "" for letters that cannot be signed for want of one
    letters: int


@dataclass
class ReferrerProblems:
    referrer_id: int
    name: str
    email: str
    fax: str
    problems: list = field(default_factory=list)

    @property
    def letters(self) -> int:
        return sum(p.letters for p in self.problems)


@dataclass
class Outboxes:
    channels: list  # Channel, in DeliveryChannel's order (or the one asked for)
    referrers: list  # ReferrerProblems, the most letters held up first, at most PAGE
    more_referrers: bool  # more referrers have problems than are shown
    fax_gateway: bool
    sampled: bool = False  # more letters are held up than CAP: the counts are of the CAP that have waited longest

    def referral_ids(self) -> list[int]:
        return [r["letter__referral_id"] for c in self.channels for r in c.rows]

    @property
    def failed(self) -> int:
        return sum(min(c.counts.get(OutboxStatus.FAILED, 0), CAP) for c in self.channels)


def outbox_page(
    *,
    user,
    channel: str | None = None,
    page: int = 1,
    status: str = "",
    sort: lists.Sort | None = None,
    size: int = PAGE,
) -> Outboxes:
    """The page: the counts by channel and status; for the clinical team, each channel's page of `size` letters
    (of `status`, STATUSES, when given) in `sort`'s order (SORTING: failed first, then sending, then waiting by
    their next attempt, unless the address says otherwise); and the problems per referrer."""
    page = min(max(page, 1), MAX_PAGE)
    keys = [channel] if channel else list(CHANNELS)
    counts = _counts(keys)
    statuses = STATUSES.get(status, OPEN)
    channels = [Channel(key, CHANNELS[key], counts[key], page if channel else 1, [], size, statuses) for key in keys]
    for item in channels:
        item.rows = _rows(user, item.key, item.page, statuses=statuses, sort=sort or SORTING.parse(""), size=size)
    referrers, more, sampled = _problems()
    return Outboxes(channels, referrers, more, bool(CommsSettings.current().fax_gateway_domain), sampled)


def _counts(keys: list[str]) -> dict[str, dict[str, int]]:
    """Each (channel, status) counted up to CAP + 1, all in one statement (the status index finds them)."""
    table = connection.ops.quote_name(Outbox._meta.db_table)
    parts, params = [], []
    for key in keys:
        for status in COUNTED:
            inner = f"SELECT 1 FROM {table} WHERE status = %s AND channel = %s LIMIT %s"  # noqa: S608 - our table
            parts.append(f"(SELECT COUNT(*) FROM ({inner}) c)")  # noqa: S608
            params += [status, key, CAP + 1]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        found = iter(cursor.fetchone())
    return {key: {status: next(found) for status in COUNTED} for key in keys}


def _order():
    return Case(
        When(status=OutboxStatus.FAILED, then=Value(0)),
        When(status=OutboxStatus.SENDING, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def _rows(user, channel: str, page: int, *, statuses=OPEN, sort: lists.Sort, size: int = PAGE) -> list[dict]:
    if not user.sees_all_referrals:  # the page is the clinical team's; anyone else is shown no letter
        return []
    queryset = (
        Outbox.objects.filter(status__in=statuses, channel=channel)
        .annotate(rank=_order())
        .order_by(*sort.order_by("id"))
    )  # one channel's open letters: the bounded set SORTING says
    start = (page - 1) * size
    return list(queryset.values(*ROW_FIELDS)[start : start + size])


def _failure_kind():
    return Case(
        When(last_error__startswith="There is no recipient address", then=Value(NO_ADDRESS)),
        When(
            Q(last_error__contains="is not a valid email address") | Q(last_error__contains="refused the address"),
            then=Value(BAD_ADDRESS),
        ),
        default=Value(OTHER),
    )


def _problems() -> tuple[list[ReferrerProblems], bool, bool]:
    """Referrers whose letters are held up: letters owed that no channel can carry (no email, no fax...), and
    deliveries failed, by what stopped them: each kind read in one statement, at most CAP + 1 letters, those that
    have waited longest (grouping the tens of thousands a neglected network holds up took 300 ms a view at 1M
    referrals), and counted per referrer here; the referrers with the most letters first (PAGE of them), their
    names and addresses in a third. The third value says more were held up than were counted. Counts and
    referrers, never a patient: the same for everyone the page is open to."""
    owed = DueCommunication.objects.filter(  # on the problems' partial index, its predicate inlined (decision 0026)
        Inlined(PROBLEM_DUE),
        status__in=PENDING,
        problem__startswith=CHANNEL_PROBLEM_PREFIX,
        referral__referrer__isnull=False,
    )
    held_up = list(owed.order_by("due_at", "id").values_list("referral__referrer_id", flat=True)[: CAP + 1])
    failed = Outbox.objects.filter(status=OutboxStatus.FAILED, letter__referral__referrer__isnull=False)
    failures = list(
        failed.annotate(kind=_failure_kind())
        .order_by("created_at", "id")
        .values_list("letter__referral__referrer_id", "channel", "kind")[: CAP + 1]
    )
    sampled = len(held_up) > CAP or len(failures) > CAP
    held = [{"ref": ref, "n": n} for ref, n in Counter(held_up[:CAP]).items()]
    stuck = [{"ref": ref, "by": by, "kind": kind, "n": n} for (ref, by, kind), n in Counter(failures[:CAP]).items()]
    by_referrer: dict[int, list[Problem]] = {}
    for row in held:
        by_referrer.setdefault(row["ref"], []).append(Problem(NO_CHANNEL, "", row["n"]))
    for row in stuck:
        by_referrer.setdefault(row["ref"], []).append(Problem(row["kind"], row["by"], row["n"]))
    ranked = sorted(by_referrer.items(), key=lambda item: (-sum(p.letters for p in item[1]), item[0]))
    more = len(ranked) > PAGE
    ranked = ranked[:PAGE]
    found = Referrer.objects.filter(pk__in=[ref for ref, _ in ranked]).values(
        "pk", "first_name", "last_name", "credential", "email", "fax"
    )
    people = {r["pk"]: r for r in found}
    out = []
    for ref, problems in ranked:
        person = people.get(ref)
        if person is None:
            continue
        name = f"{person['first_name']} {person['last_name']}".strip()
        name = f"{name}, {person['credential']}" if person["credential"] else name
        out.append(ReferrerProblems(ref, name, person["email"], person["fax"], problems))
    return out, more, sampled
