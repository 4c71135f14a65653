"""The validation package's shape: imports run one way (report <- shapes <- compile <- engine)
with no cycle, and the old module name ``peaceld.validate`` gives the same objects."""

from __future__ import annotations

import ast
from pathlib import Path

import peaceld.validate as old
import peaceld.validation as validation

PACKAGE = Path(validation.__file__).parent
#: Each module's layer: a module imports only from modules of lower layers (within
#: compile/, the families sit between model and the modules that tie them).
LAYERS = {"report": 0, "source_lines": 0, "shapes": 1, "compile.sparql": 2, "compile.model": 3,
          "compile.cardinality": 4, "compile.logical": 4, "compile.other": 4,
          "compile.property_pair": 4, "compile.string": 4, "compile.value_range": 4,
          "compile.value_type": 4, "compile.families": 5, "compile.shape_based": 6,
          "compile": 7, "profile": 8, "delegate": 8, "engine": 9, "": 10}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The package modules ``path`` imports, at any depth of its code."""
    here = module_name(path).split(".") if module_name(path) else []
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
            if node.level - 1 > len(package):
                continue  # above the package (peaceld.errors, ...)
            target = ".".join(base + ([node.module] if node.module else []))
            names = [target] if node.module else [".".join(base + [a.name]) for a in node.names]
            found |= {n for n in names if n in LAYERS}
            if node.module is None:
                continue
            found |= {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in LAYERS}
    return found


def test_every_module_has_a_layer_and_imports_only_below_it() -> None:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    assert set(modules) == set(LAYERS)
    upward = {(name, dep) for name, path in modules.items() for dep in imports(path)
              if LAYERS[dep] >= LAYERS[name] and dep != name}
    assert not upward, f"imports against the layers: {sorted(upward)}"


def test_no_module_is_over_600_lines() -> None:
    long = {p.name: n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 600}
    assert not long


def test_the_old_module_name_gives_the_same_objects() -> None:
    assert old.__all__ == validation.__all__
    assert all(getattr(old, name) is getattr(validation, name) for name in validation.__all__)
