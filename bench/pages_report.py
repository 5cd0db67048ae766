"""bench/pages.py's figures: percentiles per page and size, the targets, and the markdown table."""

import statistics

TARGETS = {"p50": 2.0, "p99": 4.0, "growth": 0.20, "rss_mb": 150}


def pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summarise(client: dict, server_us: dict[str, dict[int, int]], profiles: dict) -> dict:
    """{size: {row: figures}}: rows are the pages, 'floor <role>' and 'health'."""
    groups: dict[tuple, list] = {}
    for s in client["samples"]:
        row = f"floor {s['role']}" if s["page"] == "floor" else s["page"]
        groups.setdefault((s["size"], row), []).append(s)
    out: dict[str, dict] = {}
    for (size, row), samples in groups.items():
        ok = [s for s in samples if s["status"] == 200]
        wall = [s["ms"] for s in ok]
        server = [server_us[size][s["n"]][0] / 1000 for s in ok if s["n"] in server_us[size]]
        found = profiles.get(size, {}).get(row, {})
        if found.get("status") != 200:  # a count of a page that failed in-process says nothing about the page
            found = {}
        out.setdefault(size, {})[row] = {
            "role": samples[0]["role"],
            "n": len(ok),
            "errors": sorted({s["status"] for s in samples if s["status"] != 200}),
            "p50": pct(wall, 50),
            "p99": pct(wall, 99),
            "server_p50": pct(server, 50),
            "server_p99": pct(server, 99),
            "queries": found.get("queries"),
            "queries_each_run": found.get("queries_each_run"),
        }
    _memory(client["memory"], server_us, out)
    return out


def _memory(records: list, server_us: dict, out: dict) -> None:
    """Per page and size, from the worker that served each request (gunicorn's log names it), warm-up included (a
    page's first request is when it loads what it needs): the largest RSS the worker had right after it, and what
    the page itself pushed up: the worker's VmRSS when the page raised it, and VmHWM (the peak) when it raised that."""
    for r in records:
        row = out[r["size"]].get(r["page"])
        served = server_us[r["size"]].get(r["n"])
        if row is None or served is None:
            continue
        pid = str(served[1])
        before, after = r["before"].get(pid), r["after"].get(pid)
        if after is None or before is None:
            continue
        row["rss_after_mb"] = max(row.get("rss_after_mb", 0), after[0] / 1024)
        if after[0] > before[0]:
            row["rss_raised_to_mb"] = max(row.get("rss_raised_to_mb", 0), after[0] / 1024)
            row["rss_raised_by_mb"] = max(row.get("rss_raised_by_mb", 0), (after[0] - before[0]) / 1024)
        if after[1] > before[1]:
            row["peak_raised_to_mb"] = max(row.get("peak_raised_to_mb", 0), after[1] / 1024)


def raised(row: dict) -> float:
    """The highest a page itself pushed a worker's memory (resident after it, or the peak during it)."""
    return max(row.get("rss_raised_to_mb", 0), row.get("peak_raised_to_mb", 0))


def verdicts(summary: dict) -> dict:
    """{size: {page: [the targets not met, in words]}} for the pages (floors excluded)."""
    out = {}
    for size, rows in summary.items():
        for page, row in rows.items():
            if page.startswith("floor ") or page == "health":
                continue
            floor = rows.get(f"floor {row['role']}", {})
            missed = []
            if row["errors"]:
                missed.append(f"answered {row['errors']}")
            if row["p50"] and floor.get("p50") and row["p50"] > TARGETS["p50"] * floor["p50"]:
                missed.append(f"p50 {row['p50'] / floor['p50']:.1f}× floor")
            if row["p99"] and floor.get("p99") and row["p99"] > TARGETS["p99"] * floor["p99"]:
                missed.append(f"p99 {row['p99'] / floor['p99']:.1f}× floor")
            small = summary.get("1k", {}).get(page, {})
            if size != "1k" and small.get("p50") and row["p50"] and row["p50"] > (1 + TARGETS["growth"]) * small["p50"]:
                missed.append(f"{row['p50'] / small['p50']:.2f}× 1k")
            counted = small.get("queries") is not None and row.get("queries") is not None
            if counted and size != "1k" and row["queries"] != small["queries"]:
                missed.append(f"queries {small['queries']} → {row['queries']}")
            if raised(row) > TARGETS["rss_mb"]:
                missed.append(f"raised a worker to {raised(row):.0f} MB")
            out.setdefault(size, {})[page] = missed
    return out


def _ms(value) -> str:
    return "–" if value is None else (f"{value:.0f}" if value >= 100 else f"{value:.1f}")


def _cell(row: dict | None, floor: dict | None) -> str:
    if not row or row.get("p50") is None:
        return "–"
    text = f"{_ms(row['p50'])} / {_ms(row['p99'])}"
    if floor and floor.get("p50") and row is not floor:
        text += f" ({row['p50'] / floor['p50']:.1f}× / {row['p99'] / floor['p99']:.1f}×)"
    return text


def table(summary: dict, pages: list, roles: list, sizes: list, cut: list) -> str:
    big = sizes[-1]
    head = ["page", "as", "queries " + " / ".join(sizes)]
    head += [f"{s} p50 / p99 ms (× floor)" for s in sizes]
    head += ["server p50 ms " + " / ".join(sizes)]
    if len(sizes) > 1:
        head += [f"{big} ÷ {sizes[0]} p50"]
    head += [f"raised a worker to, MB ({big})", f"targets at {big}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    results = verdicts(summary)
    rows = [("health", "/health/", "anyone")] + [(f"floor {r}", "/accounts/me/", r) for r in roles]
    rows += [(p["name"], p["name"], p["role"]) for p in pages]
    for key, label, role in rows:
        found = [summary.get(s, {}).get(key) for s in sizes]
        if not any(found):
            continue
        floors = [summary.get(s, {}).get(f"floor {role}") for s in sizes]
        cells = [label, role, " / ".join(str((f or {}).get("queries", "–")) for f in found)]
        cells += [
            _cell(f, fl if not key.startswith(("floor", "health")) else None)
            for f, fl in zip(found, floors, strict=True)
        ]
        cells += [" / ".join(_ms((f or {}).get("server_p50")) for f in found)]
        if len(sizes) > 1:
            a, b = (found[0] or {}).get("p50"), (found[-1] or {}).get("p50")
            cells += [f"{b / a:.2f}" if a and b else "–"]
        mem = found[-1] or {}
        cells += [f"{raised(mem):.0f}" if raised(mem) else "–"]
        if key.startswith(("floor", "health")):
            cells += [""]
        else:
            missed = results.get(big, {}).get(key)
            cut_at = next((c["after"] for c in cut if c["size"] == big and c["page"] == key), None)
            verdict = "met" if missed == [] else ("not met: " + "; ".join(missed) if missed else "–")
            cells += [verdict + (f" (cut after {cut_at} requests)" if cut_at else "")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def memory_table(initial: dict, final: dict) -> str:
    head = "| size | worker | VmRSS signed in, before any page, MB | VmRSS at the end, MB | VmHWM (peak), MB |"
    lines = [head, "|---|---|---|---|---|"]
    for size, workers in final.items():
        for pid, (rss, hwm) in sorted(workers.items()):
            start = initial.get(size, {}).get(pid)
            lines.append(
                f"| {size} | {pid} | {_ms(start[0] / 1024) if start else '–'} | {rss / 1024:.0f} | {hwm / 1024:.0f} |"
            )
    return "\n".join(lines)
