"""The layout rules of docs/ARCHITECTURE.md, checked on the source (AST), and its examples run.

* no private name (``_x``) is imported from another module or read as ``module._x``;
* imports go one way: data -> models -> estimation -> studies -> reports;
* no import cycle between modules of the package (lazy and type-only imports included);
* modules stay under the size limit;
* every Python example in docs/ARCHITECTURE.md runs.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "migflows"
LAYERS = ["errors", "data", "models", "estimation", "studies", "reports"]
# Modules above every layer: the package's lazy public namespace and the presets facade.
TOP = {"migflows", "migflows.presets"}
MAX_LINES = 600


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    is_pkg = _modules()[module].name == "__init__.py"
    base = base if is_pkg else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _type_only_lines(tree: ast.Module) -> set[int]:
    """Lines inside ``if TYPE_CHECKING:`` blocks (annotations only, never run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(
    module: str, path: Path, *, type_only: bool = True
) -> list[tuple[str, int, list[str]]]:
    """(imported module, line, names) for every import in the file, lazy ones included.

    ``type_only=False`` leaves out imports under ``if TYPE_CHECKING:``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set() if type_only else _type_only_lines(tree)
    out: list[tuple[str, int, list[str]]] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((_resolve(module, node), node.lineno, [a.name for a in node.names]))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", None) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            out.append((str(node.args[0].value), node.lineno, []))
    return [o for o in out if o[0] == "migflows" or o[0].startswith("migflows.")]


def _layer(module: str) -> int | None:
    if module in TOP:
        return None
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_private_name_crosses_a_module() -> None:
    modules = _modules()
    bad = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}  # local name -> imported migflows module
        for target, line, names in _imports(module, path):
            if target == module:
                continue
            if any(_private(part) for part in target.split(".")):
                bad.append(f"{path.relative_to(ROOT)}:{line}: imports private module {target}")
            for name in names:
                if _private(name):
                    bad.append(f"{path.relative_to(ROOT)}:{line}: imports {target}.{name}")
                elif f"{target}.{name}" in modules:
                    aliases[name] = f"{target}.{name}"
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for a in node.names:
                    full = f"{_resolve(module, node)}.{a.name}"
                    if full in modules:
                        aliases[a.asname or a.name] = full
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and _private(node.attr)
            ):
                bad.append(
                    f"{path.relative_to(ROOT)}:{node.lineno}: reads "
                    f"{aliases[node.value.id]}.{node.attr}"
                )
    assert not bad, "private names used across modules:\n" + "\n".join(sorted(set(bad)))


def test_imports_only_go_down_the_layers() -> None:
    bad = []
    for module, path in _modules().items():
        mine = _layer(module)
        if mine is None:
            continue
        for target, line, _ in _imports(module, path):
            theirs = _layer(target)
            if target in TOP and module not in TOP and target != "migflows":
                bad.append(f"{path.relative_to(ROOT)}:{line}: {module} -> {target}")
            elif theirs is not None and theirs > mine:
                bad.append(
                    f"{path.relative_to(ROOT)}:{line}: {LAYERS[mine]} imports "
                    f"{LAYERS[theirs]} ({target})"
                )
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_report_sections_never_import_estimators() -> None:
    """Sections read results handed to them by migflows.studies; they do not fit."""
    bad = []
    for module, path in _modules().items():
        if not module.startswith("migflows.reports.sections"):
            continue
        for target, line, _ in _imports(module, path):
            if target.startswith("migflows.estimation") and target != (
                "migflows.estimation.core.protocol"
            ):
                bad.append(f"{path.relative_to(ROOT)}:{line}: {target}")
    assert not bad, "report sections importing estimators:\n" + "\n".join(bad)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles() -> None:
    """Run-time imports (module-level and lazy) form no cycle.

    Type-only imports (under ``if TYPE_CHECKING:``) may point back: ``FlowPanel`` delegates to
    ``harmonize``, whose signature names ``FlowPanel``.
    """
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        graph[module]
        if module in TOP:
            continue
        for target, _, names in _imports(module, path, type_only=False):
            # "from package import submodule" depends on the submodule, not the package
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            for dep in subs or [target]:
                # a package's __init__ re-exporting its own modules is not a dependency of
                # those modules on each other
                if dep in modules and dep != module and not module.startswith(dep + "."):
                    graph[module].add(dep)
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_modules_stay_small() -> None:
    big = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def _examples() -> list[str]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_architecture_doc_has_examples() -> None:
    assert len(_examples()) >= 4  # an estimator, a covariance, a forecast method, an engine


@pytest.mark.parametrize("number", range(len(_examples())))
def test_architecture_examples_run(number: int) -> None:
    """Each example is self-contained and asserts what it shows."""
    code = _examples()[number]
    namespace: dict[str, object] = {"__name__": f"architecture_example_{number}"}
    exec(compile(code, f"docs/ARCHITECTURE.md example {number + 1}", "exec"), namespace)
