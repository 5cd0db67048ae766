"""The list helpers every list page shares: sort and page size from the address, refused when unknown, and a bulk
action's rows, each through its service, one refusal not stopping the others."""

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.template import Context, Template
from django.test import RequestFactory

from liaison.core import lists

SORTING = lists.Sorting(columns={"due": ("next_action_due_at",), "name": ("last", "first")}, default="due")


def test_sort_parses_direction_and_falls_back_to_the_default():
    assert SORTING.parse(None) == lists.Sort("due", False, ("next_action_due_at",))
    assert SORTING.parse("-name").param == "-name" and SORTING.parse("-name").descending
    order = SORTING.parse("-name").order_by("-id")
    assert [(o.expression.name, o.descending, o.nulls_last) for o in order] == [
        ("last", True, True),
        ("first", True, True),
        ("id", True, None),
    ]


@pytest.mark.parametrize("value", ["colour", "-", "--due", "due;drop"])
def test_an_unknown_sort_is_refused_naming_the_parameter(value):
    with pytest.raises(lists.ListError) as exc:
        SORTING.parse(value)
    assert exc.value.field == "sort" and "due, name" in exc.value.message


@pytest.mark.parametrize(("raw", "size"), [("", 50), ("25", 25), ("200", 200)])
def test_page_size(raw, size):
    assert lists.page_size(QueryDict(f"size={raw}"), 50) == size


@pytest.mark.parametrize("raw", ["0", "30", "1000", "ten", "-25"])
def test_a_page_size_not_offered_is_refused(raw):
    with pytest.raises(lists.ListError, match="25, 50, 100, 200"):
        lists.page_size(QueryDict(f"size={raw}"), 50)


def test_choice_filter():
    assert lists.choice(QueryDict("kind=ack"), "kind", ["", "ack", "alert"]) == "ack"
    assert lists.choice(QueryDict(""), "kind", ["ack"], default="ack") == "ack"
    with pytest.raises(lists.ListError) as exc:
        lists.choice(QueryDict("kind=zzz"), "kind", ["ack"])
    assert exc.value.field == "kind"


def test_selected_ids():
    assert lists.selected_ids(QueryDict("ids=3&ids=1&ids=3")) == [3, 1]
    for bad, words in (("", "Select at least one"), ("ids=x", "'x' is not a row"), ("ids=-1", "not a row")):
        with pytest.raises(ValidationError) as exc:
            lists.selected_ids(QueryDict(bad))
        assert words in exc.value.message_dict["ids"][0]
    with pytest.raises(ValidationError, match="at most 2 rows; 3"):
        lists.selected_ids(QueryDict("ids=1&ids=2&ids=3"), limit=2)


def _request(path="/x/?status=open&page=3&sort=due", method="get", data=None):
    factory = RequestFactory()
    request = factory.post(path, data or {}) if method == "post" else factory.get(path)
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_back_to_only_follows_paths_on_this_site():
    here = _request(method="post", data={"next": "/referrals/?sort=-due"})
    assert lists.back_to(here, "/f/") == "/referrals/?sort=-due"
    assert lists.back_to(_request(method="post", data={"next": "https://elsewhere.test/"}), "/f/") == "/f/"


@pytest.mark.django_db
def test_bulk_summary_changes_each_row_alone_and_names_what_it_left():
    changed = []

    def change(row):
        if row == 2:
            raise ValidationError("It was closed a minute ago.")
        if row == 3:
            raise PermissionDenied("Only a clinician may do that.")
        changed.append(row)

    summary = lists.BulkSummary().run([1, 2, 3, 4], label=lambda r: f"R-{r}", change=change)
    assert changed == [1, 4] and summary.changed == ["R-1", "R-4"]
    assert summary.skipped == [("R-2", "It was closed a minute ago."), ("R-3", "Only a clinician may do that.")]
    request = _request()
    summary.tell(request, "Assigned", ("referral", "referrals"))
    told = [str(m) for m in request._messages]
    assert told[0] == "Assigned 2 referrals: R-1, R-4."
    assert told[1] == "R-2 was not changed: It was closed a minute ago."


def test_a_fault_in_a_bulk_row_is_not_swallowed():
    def change(row):
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError), pytest.MonkeyPatch.context() as mp:
        mp.setattr(lists.transaction, "atomic", lambda: _nothing())
        lists.BulkSummary().run([1], label=str, change=change)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_sort_headers_and_page_sizes_keep_the_filters_and_drop_the_page():
    request = _request()
    html = Template("{% load lists %}{% sort_th 'due' 'Due' %}{% sort_th 'name' 'Name' 'desc' %}{% page_sizes 50 %}")
    out = html.render(Context({"request": request, "sort": SORTING.parse("due")}))
    assert 'aria-sort="ascending"' in out and "sort=-due" in out and "status=open" in out and "page=3" not in out
    assert 'aria-sort="none"' in out and "sort=-name" in out
    assert '<strong aria-current="true">50</strong>' in out and "size=25" in out
