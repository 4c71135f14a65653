"""The direction of imports inside peaceld (docs/architecture.md): each module imports only
its own layer or lower ones, and no import cycle runs between modules."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "peaceld"

#: Lowest first. A module belongs to the layer of the longest prefix that names it.
LAYERS: list[tuple[str, list[str]]] = [
    ("base", ["peaceld.errors", "peaceld.lexical", "peaceld.namespaces", "peaceld.rowexpr",
              "peaceld.atomic", "peaceld.records", "peaceld.rdfio", "peaceld.passages",
              "peaceld.version"]),
    ("rooms", ["peaceld.mapping", "peaceld.mapper", "peaceld.validation", "peaceld.validate",
               "peaceld.export", "peaceld.store", "peaceld.query", "peaceld.project",
               "peaceld.ontology", "peaceld.grounding", "peaceld.evidence"]),
    ("pipeline", ["peaceld.build", "peaceld.review", "peaceld.coverage", "peaceld.curation",
                  "peaceld.drafting"]),
    ("api", ["peaceld.api", "peaceld"]),
    ("web", ["peaceld.web"]),
    ("cli", ["peaceld.cli", "peaceld.__main__"]),
]


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.with_suffix("").relative_to(root.parent).parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path = PACKAGE) -> set[str]:
    """The peaceld modules a file imports (at any depth, but not under TYPE_CHECKING)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and ast.unparse(node.test) == "TYPE_CHECKING"
                   for n in ast.walk(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "peaceld"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            elif node.module and node.module.split(".")[0] == "peaceld":
                module = node.module
            else:
                continue
            found.add(module)
            if node.module is None:  # from . import a, b: the submodules themselves
                found |= {f"{module}.{a.name}" for a in node.names}
    return found


def layer(module: str) -> int:
    best = max(((len(prefix), i) for i, (_, prefixes) in enumerate(LAYERS)
                for prefix in prefixes
                if module == prefix or module.startswith(prefix + ".")), default=None)
    assert best is not None, f"{module} is in no layer: add it to LAYERS and the architecture"
    return best[1]


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    return {m: {i for i in imports(p, root) if i in files and i != m} for m, p in files.items()}


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Each import of a higher layer than the importer's."""
    return [f"{m} ({LAYERS[layer(m)][0]}) imports {i} ({LAYERS[layer(i)][0]})"
            for m, deps in sorted(edges.items()) for i in sorted(deps) if layer(i) > layer(m)]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles a depth-first walk meets (a package importing its own modules is not
    one)."""
    edges = {m: {i for i in deps if not m.startswith(i + ".")} for m, deps in edges.items()}
    state: dict[str, int] = {}
    found: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for i in sorted(edges[m]):
            if state.get(i) == 1:
                found.append(path[path.index(i):] + [i])
            elif i not in state:
                visit(i, [*path, i])
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])
    return found


def test_each_module_imports_only_its_layer_or_lower() -> None:
    assert upward(graph()) == []


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_the_checks_catch_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    root = tmp_path / "peaceld"
    (root / "cli").mkdir(parents=True)
    (root / "__init__.py").write_text("", encoding="utf-8")
    (root / "records.py").write_text(
        "from typing import TYPE_CHECKING\nfrom .errors import E\n"
        "if TYPE_CHECKING:\n    from .api import Api\n"
        "def f():\n    from .cli import main\n", encoding="utf-8")
    (root / "errors.py").write_text("import peaceld.records\n", encoding="utf-8")
    (root / "api.py").write_text("", encoding="utf-8")
    (root / "cli" / "__init__.py").write_text("from .. import records\n", encoding="utf-8")
    edges = graph(root)
    assert edges["peaceld.records"] == {"peaceld.errors", "peaceld.cli"}  # not the typing one
    assert upward(edges) == ["peaceld.records (base) imports peaceld.cli (cli)"]
    assert cycles(edges) == [["peaceld.cli", "peaceld.records", "peaceld.cli"],
                             ["peaceld.records", "peaceld.errors", "peaceld.records"]]
