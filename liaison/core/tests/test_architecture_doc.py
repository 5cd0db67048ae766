"""docs/architecture.md's event registry table is the registry in code (liaison.core.events), row for row: every
reaction, in the order it runs, with when it runs and the function that does it. A handler added, removed or
moved without the page changing fails here, naming the rows that differ."""

from pathlib import Path

from liaison.core import events

DOC = Path(__file__).resolve().parents[3] / "docs" / "architecture.md"
SECTION = "## The event registry"


def doc_rows(text: str) -> list[tuple[str, str, str, str]]:
    """(kind, handler, runs, function) from the table under SECTION; what follows them is prose."""
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 5:
            rows.append(tuple(cells[:4]))
    return rows


def code_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for kind, name, when in events.registry_table():
        handler = events.handler_find(kind, name)
        runs = when.replace("_", " ") + (", batch" if handler.batch else "")
        rows.append((kind, name, runs, f"{handler.func.__module__}.{handler.func.__qualname__}"))
    return rows


def test_the_table_parser_reads_rows_and_skips_the_rest():
    text = "\n".join(
        [
            "# x",
            "| `before` | `the` | section | `starts` | x |",
            "## The event registry",
            "text `a` | b",
            "| event kind | handler | runs | function | what follows |",
            "|---|---|---|---|---|",
            "| `k.one` | `app.h` | after commit, batch | `liaison.app.handlers.h` | words, with | a bar |",
            "| `k.two` | `app.g` | in transaction | `liaison.app.handlers.g` | words |",
            "## Next",
            "| `z` | `z` | z | `z` | z |",
        ]
    )
    assert doc_rows(text) == [
        ("k.one", "app.h", "after commit, batch", "liaison.app.handlers.h"),
        ("k.two", "app.g", "in transaction", "liaison.app.handlers.g"),
    ]


def test_the_documented_registry_is_the_registry_in_code():
    documented, registered = doc_rows(DOC.read_text()), code_rows()
    assert registered, "no app subscribes to any event: the apps' ready() did not run"
    missing = [r for r in registered if r not in documented]
    stale = [r for r in documented if r not in registered]
    assert not missing and not stale, (
        f"docs/architecture.md's registry table and the code disagree.\n"
        f"registered but not in the table: {missing}\nin the table but not registered: {stale}"
    )
    assert documented == registered, "same rows, another order: list them in the order `liaison events` prints"
