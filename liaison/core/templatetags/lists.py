"""A list page's sortable column headers, its page-size links and its bulk selection (core/lists.py)."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from liaison.core.lists import PAGE_SIZES, query_without

register = template.Library()

# Parameters a new sort or page size starts the list again without: the page it was on.
PAGING = ("page", "after")


@register.simple_tag(takes_context=True)
def sort_th(context, key: str, label: str, first: str = "asc") -> str:
    """<th> whose link sorts the list by `key`; a second click reverses it. `sort` in the context is the current
    lists.Sort; `first` is the direction a first click takes ("desc" for dates people want newest first)."""
    sort = context.get("sort")
    request = context["request"]
    current = sort is not None and sort.key == key
    if current:
        param = key if sort.descending else f"-{key}"
        state = "descending" if sort.descending else "ascending"
        arrow = " ▼" if sort.descending else " ▲"
    else:
        param = f"-{key}" if first == "desc" else key
        state, arrow = "none", ""
    href = "?" + query_without(request.GET, *PAGING, sort=param)
    title = f"Sort by {label.lower()}" + (", reversed" if current else "")
    return mark_safe(  # noqa: S308 - our markup; the label and the query are escaped
        f'<th scope="col" aria-sort="{state}"><a class="sort" href="{escape(href)}" title="{escape(title)}">'
        f'{escape(label)}<span aria-hidden="true">{arrow}</span></a></th>'
    )


@register.simple_tag(takes_context=True)
def page_sizes(context, current: int) -> str:
    """'Rows per page: 25 · 50 · 100 · 200', the current one not a link."""
    request = context["request"]
    parts = []
    for size in PAGE_SIZES:
        if size == current:
            parts.append(f'<strong aria-current="true">{size}</strong>')
        else:
            href = "?" + query_without(request.GET, *PAGING, size=size)
            parts.append(f'<a href="{escape(href)}">{size}</a>')
    return mark_safe(  # noqa: S308 - fixed markup and numbers
        f'<span class="page-sizes">Rows per page: {" · ".join(parts)}</span>'
    )


@register.simple_tag
def select_all(form_id: str, label: str = "Select every row on this page") -> str:
    """The header checkbox that selects every row's box of the bulk form `form_id` (core/lists.js)."""
    return mark_safe(  # noqa: S308 - escaped
        f'<input type="checkbox" class="select-all" data-form="{escape(form_id)}" aria-label="{escape(label)}">'
    )


@register.simple_tag
def select_row(form_id: str, pk, label: str) -> str:
    """One row's checkbox; it belongs to the bulk form by its form attribute, so the table need not sit inside it."""
    return mark_safe(  # noqa: S308 - escaped
        f'<input type="checkbox" name="ids" value="{int(pk)}" form="{escape(form_id)}" '
        f'aria-label="Select {escape(label)}">'
    )
