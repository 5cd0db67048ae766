"""The network page's two tables of referrers (the relationships at risk, the key ones), written here rather
than by the template: forty rows of template cells and includes cost more than the page's queries (the target
list's approach). Every value from the database goes through escape(); the rest is our own fixed markup, the
same as crm/_health.html and crm/_stage.html write."""

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from liaison.crm.choices import Cause, Flag, Stage
from liaison.directory.models import Referrer

HEALTH = (
    '<span class="crm-score crm-flag-{flag}" title="{label}">{score}</span> <span class="small muted">{label}</span>'
)
STAGE = '<span class="status crm-stage-{stage}">{label}</span>'
AT_RISK = (
    '<tr><td><a href="{url}">{name}</a><div class="muted small">{practice}</div></td><td>{health}</td>'
    '<td><ul class="crm-reasons small">{reasons}</ul></td><td>{cause}</td><td>{owner}</td></tr>'
)
KEY = (
    '<tr><td><a href="{url}">{name}</a><div class="muted small">{source}</div></td><td>{stage}</td>'
    '<td class="num">{last_90}</td><td class="num">{total:,}</td><td>{health}</td></tr>'
)
LABELS = {"flag": dict(Flag.choices), "stage": dict(Stage.choices), "cause": dict(Cause.choices)}
SOURCES = {str(k): str(v) for k, v in Referrer._meta.get_field("source_type").flatchoices}


def _url_slot() -> str:
    """reverse() once per page: the referrer page's URL for id 0 with a slot for the id."""
    return reverse("crm:referrer", args=[0])[: -len("0/")] + "{}/"


def _health(h: dict) -> str:
    label = escape(LABELS["flag"].get(h["flag"], h["flag"]))
    return HEALTH.format(flag=escape(h["flag"]), label=label, score=h["score"])


def _name(h: dict) -> str:
    """As Referrer.display_name writes it."""
    name = f"{h['referrer__first_name']} {h['referrer__last_name']}"
    credential = h["referrer__credential"]
    return f"{name}, {credential}" if credential else name


def _owner(h: dict) -> str:
    """As User.__str__ writes it (full name, else username); no relationship or no owner: a dash."""
    if h["referrer__relationship__owner_id"] is None:
        return "—"
    first, last = h["referrer__relationship__owner__first_name"], h["referrer__relationship__owner__last_name"]
    return f"{first} {last}".strip() or h["referrer__relationship__owner__username"]


def at_risk_rows_html(rows: list[dict]) -> SafeString:
    """network_queries.AT_RISK_FIELDS rows."""
    url = _url_slot()
    return mark_safe(  # noqa: S308  (escaped here)
        "\n".join(
            AT_RISK.format(
                url=url.format(h["referrer_id"]),
                name=escape(_name(h)),
                practice=escape(h["referrer__practice__name"] or ""),
                health=_health(h),
                reasons="".join(f"<li>{escape(r)}</li>" for r in h["reasons"][:2]),
                cause=escape(LABELS["cause"].get(h["cause"], h["cause"])),
                owner=escape(_owner(h)),
            )  # fmt: skip
            for h in rows
        )
    )


def key_rows_html(rows: list[dict]) -> SafeString:
    """network_queries.KEY_FIELDS rows."""
    url = _url_slot()
    out = []
    for h in rows:
        stage = h["referrer__relationship__stage"]
        source = h["referrer__source_type"]
        out.append(
            KEY.format(
                url=url.format(h["referrer_id"]),
                name=escape(_name(h)),
                source=escape(SOURCES.get(source, source)),
                stage=STAGE.format(stage=escape(stage), label=escape(LABELS["stage"].get(stage, stage))),
                last_90=h["last_90"],
                total=h["total_referrals"],
                health=_health(h),
            )  # fmt: skip
        )
    return mark_safe("\n".join(out))  # noqa: S308  (escaped above)
