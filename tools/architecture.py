"""The package graph of cms/, read from the code: which package imports which (module-level and
function-level imports alike), the cycles among them, and the picture README's "Architecture"
section shows.

    python tools/architecture.py            # the edges, with the modules behind each, and cycles
    python tools/architecture.py --mermaid  # the picture
    python tools/architecture.py --write    # refresh the picture in README.md

A top-level module (cms/cli.py, cms/workdays.py) is a node of its own, like a package."""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- architecture:begin -->", "<!-- architecture:end -->"


def _node(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "cms" else None


def _imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            if node.module == "cms":  # from cms import workdays (not: from cms import create_app)
                found += [f"cms.{a.name}" for a in node.names
                          if (ROOT / "cms" / a.name).is_dir() or (ROOT / "cms" / f"{a.name}.py").exists()]
    return found


def graph(root: Path = ROOT / "cms") -> dict[tuple[str, str], set[str]]:
    """(importer node, imported node) -> the importing modules (paths relative to the project)."""
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        dotted = ".".join(rel.with_suffix("").parts)
        me = _node(dotted)
        if me is None or me == "__init__":
            continue  # the app factory wires every blueprint: it is the top, not a package
        for name in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            other = _node(name)
            if other and other != me and other != "__init__":
                edges[(me, other)].add(str(rel))
    return dict(edges)


def cycles(edges) -> list[list[str]]:
    """The strongly connected groups of two or more nodes (Tarjan)."""
    succ = defaultdict(set)
    for a, b in edges:
        succ[a].add(b)
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(succ[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(succ):
        if v not in index:
            visit(v)
    return found


def reduced(edges) -> set[tuple[str, str]]:
    """The arrows left when an arrow implied by a longer path is dropped (for an acyclic graph):
    the picture stays readable and still says everything about who may import whom."""
    succ = defaultdict(set)
    for a, b in edges:
        succ[a].add(b)

    def reach(start, skip):
        seen, todo = set(), [w for w in succ[start] if (start, w) != skip]
        while todo:
            v = todo.pop()
            if v not in seen:
                seen.add(v)
                todo += succ[v]
        return seen

    return {(a, b) for a, b in edges if b not in reach(a, (a, b))}


def packages(root: Path = ROOT / "cms") -> set[str]:
    return {p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def mermaid(edges) -> str:
    """The packages (the top-level modules, cms/web.py, cms/workdays.py and the like, sit under all
    of them and are left out) and their arrows, an arrow implied by a longer path dropped."""
    kept = packages()
    lines = ["```mermaid", "graph TD"]
    lines += [f"  {a} --> {b}" for a, b in sorted(reduced({e: w for e, w in edges.items()
                                                            if e[0] in kept and e[1] in kept}))]
    lines.append("```")
    return "\n".join(lines)


def readme_picture(text: str) -> str:
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def main(argv: list[str]) -> int:
    edges = graph()
    if "--mermaid" in argv:
        print(mermaid(edges))
        return 0
    if "--write" in argv:
        readme = ROOT / "README.md"
        text = readme.read_text(encoding="utf-8")
        head, rest = text.split(BEGIN, 1)
        readme.write_text(f"{head}{BEGIN}\n{mermaid(edges)}\n{END}{rest.split(END, 1)[1]}", encoding="utf-8")
        return 0
    for (a, b), where in sorted(edges.items()):
        print(f"{a} -> {b}: {', '.join(sorted(where))}")
    found = cycles(edges)
    for group in found:
        print("cycle:", " ".join(group))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
