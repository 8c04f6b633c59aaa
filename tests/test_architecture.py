"""The package's import graph: no cycles, imports only flow down the layers, no imports hidden in functions."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import pipeline

ROOT = Path(pipeline.__file__).parent

#: Layers, lowest first: a module imports modules of lower layers, of its own package, or (in the core) its peers.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "cycles", "labels", "config", "posts", "values", "digest", "records", "datasets", "signing", "priority"),
    ("text", "ingest", "store"),
    ("classify", "claims"),
    ("scoring",),
    ("pool",),
    ("scanner", "writers", "review", "report"),
    ("patrol", "distributed"),
    ("web",),
    ("cli",),
)
#: Third-party packages that only optional extras install: importing them inside a function is how an extra stays
#: optional.
OPTIONAL = {"dask", "distributed", "fsspec", "uvicorn", "fastapi", "starlette", "jinja2", "argon2", "playwright"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _target(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The pipeline modules (or external top-level packages, prefixed '!') an import statement names."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")
            if MODULES[module].name != "__init__.py":
                package = package[:-1]
            base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
    out = []
    for name in names:
        if not name.startswith("pipeline"):
            out.append("!" + name.split(".")[0])
            continue
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != module:
            out.append(name)
    return out


def _imports() -> list[tuple[str, str, bool, int]]:
    """(importer, imported, at module level?, line) for every import statement in the package."""
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {id(node) for node in tree.body}
        for node in tree.body:  # `if TYPE_CHECKING:` blocks at module level count as module level
            if isinstance(node, ast.If):
                top.update(id(child) for child in ast.walk(node))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and not (
                    isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                for target in _target(module, node):
                    found.append((module, target, id(node) in top, node.lineno))
    return found


IMPORTS = _imports()


def _layer(module: str) -> tuple[int, str]:
    part = module.split(".")[1] if module.count(".") else ""
    for level, names in enumerate(LAYERS):
        if part in names:
            return level, part
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS")


def test_no_import_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for importer, imported, _, _ in IMPORTS:
        if not imported.startswith("!"):
            graph.setdefault(importer, set()).add(imported)
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as err:
        pytest.fail(f"import cycle: {' -> '.join(err.args[1])}")


def test_imports_only_flow_down() -> None:
    wrong = []
    for importer, imported, _, line in IMPORTS:
        if imported.startswith("!") or importer == "pipeline" or imported == "pipeline":
            continue
        (low, package), (high, target) = _layer(imported), _layer(importer)
        if low > high or (low == high and package != target and low != 0):
            wrong.append(f"{importer}:{line} imports {imported}")
    assert not wrong, "imports running up or across the layers:\n" + "\n".join(wrong)


def test_no_imports_inside_functions_except_optional_extras() -> None:
    hidden = [f"{importer}:{line} imports {imported.lstrip('!')}" for importer, imported, top, line in IMPORTS
              if not top and imported.lstrip("!") not in OPTIONAL]
    assert not hidden, "imports inside functions:\n" + "\n".join(hidden)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_is_in_a_layer(module: str) -> None:
    if module != "pipeline":
        _layer(module)


def test_the_root_package_loads_its_names_on_demand() -> None:
    tree = ast.parse((ROOT / "__init__.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)
                for alias in node.names}
    assert imported <= {"annotations", "importlib", "Any"}
