"""What a list page's address says about how it is shown, and how a bulk action on its rows is taken (decision 0043).

A list page reads its sort column, its page size and its filters from the query string, so a view can be bookmarked,
shared and reloaded as it was. A value the page does not know is refused with a message that names the parameter and
what it may be (ListError, answered 400 by `list_error`), never quietly replaced.

A bulk action is two posts: the first names the rows and what to do and is answered with a confirmation page that
changes nothing; the second, with `confirm`, does it. Each row goes through the same service as the single action,
in a savepoint of its own, so one row the service refuses (a referral closed since the page was drawn) is named in the
summary and the others still change. What is wrong with the request itself (no rows, an id that is not a number, an
assignee who cannot take the work) is refused before any row is touched."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, OrderBy
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

PAGE_SIZES = (25, 50, 100, 200)
BULK_LIMIT = 200  # rows one bulk action may name: the largest page


class ListError(ValueError):
    """A query-string value the list does not know: `field` is the parameter, the message says what it may be."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


def list_error(request: HttpRequest, exc: ListError) -> HttpResponse:
    """The styled 400 page for a list address that names something the list does not have."""
    return render(request, "400.html", {"field": exc.field, "message": exc.message}, status=400)


@dataclass(frozen=True)
class Sort:
    key: str  # the column's name in the address
    descending: bool
    fields: tuple[str, ...]  # the model fields it orders by, in order

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    def order_by(self, *tiebreak: str) -> list[OrderBy]:
        """The ORDER BY: the column's fields in the chosen direction, empty values last either way, then the
        tiebreak fields (ascending unless written "-name"), so paging never shows a row twice or skips one."""
        order = [
            F(name).desc(nulls_last=True) if self.descending else F(name).asc(nulls_last=True) for name in self.fields
        ]
        for name in tiebreak:
            order.append(F(name[1:]).desc() if name.startswith("-") else F(name).asc())
        return order


@dataclass(frozen=True)
class Sorting:
    """The columns a list sorts by: address name → model fields. `default` is a column name, "-" for descending."""

    columns: Mapping[str, tuple[str, ...]]
    default: str
    labels: Mapping[str, str] = field(default_factory=dict)  # for the message naming what `sort` may be

    def parse(self, value: str | None) -> Sort:
        value = (value or "").strip() or self.default
        descending = value.startswith("-")
        key = value[1:] if descending else value
        if key not in self.columns:
            known = ", ".join(self.columns)
            raise ListError("sort", f"This list cannot be sorted by {key!r}: sort by one of {known}, with a leading "
                                    f"'-' for the reverse order.")  # fmt: skip
        return Sort(key=key, descending=descending, fields=tuple(self.columns[key]))


def page_size(query: Mapping[str, Any], default: int, *, name: str = "size") -> int:
    raw = (query.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) not in PAGE_SIZES:
        sizes = ", ".join(str(s) for s in PAGE_SIZES)
        raise ListError(name, f"A page can show {sizes} rows, not {raw!r}.")
    return int(raw)


def choice(query: Mapping[str, Any], name: str, allowed: Iterable[str], default: str = "") -> str:
    """A filter that is one of a fixed set: the value, the default when absent, ListError when unknown."""
    raw = (query.get(name) or "").strip()
    allowed = list(allowed)
    if not raw:
        return default
    if raw not in allowed:
        raise ListError(name, f"{name!r} may be {', '.join(repr(a) for a in allowed if a)}, not {raw!r}.")
    return raw


def query_without(query: QueryDict, *names: str, **replace: Any) -> str:
    """The query string with `names` dropped and `replace` set: what a header or pager link keeps of the view."""
    q = query.copy()
    for name in (*names, *replace):
        q.pop(name, None)
    for name, value in replace.items():
        if value not in (None, ""):
            q[name] = str(value)
    return q.urlencode()


# ---------------------------------------------------------------- bulk actions


def selected_ids(data: Mapping[str, Any], *, name: str = "ids", limit: int = BULK_LIMIT) -> list[int]:
    """The rows a bulk action names, as ids in the order given, each once. ValidationError names `name` when there
    are none, one is not a whole number, or there are more than a page's worth."""
    values = data.getlist(name) if hasattr(data, "getlist") else list(data.get(name) or [])
    if not values:
        raise ValidationError({name: "Select at least one row first."})
    ids: list[int] = []
    for value in values:
        text = str(value).strip()
        if not text.isdigit():
            raise ValidationError({name: f"{text!r} is not a row of this list."})
        if int(text) not in ids:
            ids.append(int(text))
    if len(ids) > limit:
        raise ValidationError({name: f"One bulk action takes at most {limit} rows; {len(ids)} were selected."})
    return ids


def selected_or_told(request: HttpRequest) -> list[int] | None:
    """The posted rows (selected_ids), or None with each problem put on the page's messages, for a bulk view that
    then goes back to its list: the request itself is wrong, so nothing is read or written."""
    try:
        return selected_ids(request.POST)
    except ValidationError as exc:
        for text in exc.message_dict.get("ids", exc.messages):
            messages.error(request, text)
        return None


def back_to(request: HttpRequest, fallback: str) -> str:
    """Where the list was (`next` in the post), if it is a path on this site; else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return fallback


@dataclass
class BulkSummary:
    """What one bulk action changed and what it left, each row by the label the list shows it by."""

    changed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (label, the service's reason)

    def run(self, rows: Iterable[Any], label: Callable[[Any], str], change: Callable[[Any], Any]) -> "BulkSummary":
        """`change(row)` for each row, each in a savepoint: a ValidationError or PermissionDenied from the service
        leaves that row as it was and is recorded with its reason; anything else is a fault and is raised."""
        for row in rows:
            try:
                with transaction.atomic():
                    change(row)
            except ValidationError as exc:
                self.skipped.append((label(row), " ".join(_messages(exc))))
            except PermissionDenied as exc:
                self.skipped.append((label(row), str(exc) or "Your role cannot make this change."))
            else:
                self.changed.append(label(row))
        return self

    def tell(self, request: HttpRequest, done: str, noun: tuple[str, str]) -> None:
        """One message for what changed ("Assigned 3 referrals to …"), one for each row left as it was."""
        one, many = noun
        if self.changed:
            count = len(self.changed)
            messages.success(request, f"{done} {count} {one if count == 1 else many}: {', '.join(self.changed)}.")
        for label, reason in self.skipped:
            messages.warning(request, f"{label} was not changed: {reason}")
        if not self.changed and not self.skipped:
            messages.info(request, "Nothing was changed.")


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


def confirm_page(
    request: HttpRequest,
    *,
    title: str,
    action: str,
    rows: list[str],
    hidden: list[tuple[str, Any]],
    button: str,
    back: str,
    explain: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The confirmation step of a bulk action: what will change, row by row, and one button. Changes nothing."""
    context = {
        "title": title,
        "action": action,
        "rows": rows,
        "hidden": hidden,
        "button": button,
        "back": back,
        "explain": explain,
        "errors": errors or [],
    }
    return render(request, "core/bulk_confirm.html", context, status=status)
