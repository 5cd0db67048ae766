"""No import cycles anywhere in liaison, between single modules, tests and imports inside functions included.

`lint-imports` (pyproject.toml, contract "no-cycles") checks cycles between apps and between the modules of
one package, leaving tests out; this looks at every module, so a cycle hidden behind an import inside a
function, or between two test modules, fails here and is named.
"""

import grimp


def import_cycles(graph) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing itself), sorted."""
    modules = sorted(graph.modules)
    imports = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(imports[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1 or module in imports[module]:
                        cycles.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(imports[child])))
            elif child in on_stack:
                low[module] = min(low[module], index[child])
    return sorted(cycles)


def describe(graph, cycle: list[str]) -> str:
    """One import path around the cycle, with the lines that make it."""
    first, rest = cycle[0], set(cycle[1:])
    back = next(m for m in sorted(rest) if graph.find_shortest_chain(m, first))
    there = graph.find_shortest_chain(first, back) or (first, back)
    home = graph.find_shortest_chain(back, first)
    path = list(there) + list(home[1:])
    steps = []
    for importer, imported in zip(path, path[1:], strict=False):
        details = graph.get_import_details(importer=importer, imported=imported)
        where = f" (l.{details[0]['line_number']})" if details else ""
        steps.append(f"{importer} -> {imported}{where}")
    return f"{', '.join(cycle)}\n  for example: " + "; ".join(steps)


def test_a_tiny_graph_with_a_cycle_is_caught():
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    graph.add_import(importer="pkg.d", imported="pkg.a")
    assert import_cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
    assert "for example: pkg.a -> pkg.b; pkg.b -> pkg.c; pkg.c -> pkg.a" in describe(graph, ["pkg.a", "pkg.b", "pkg.c"])


def test_liaison_has_no_import_cycles():
    graph = grimp.build_graph("liaison", cache_dir=None)
    cycles = import_cycles(graph)
    assert not cycles, "import cycles in liaison:\n" + "\n".join(describe(graph, c) for c in cycles)
