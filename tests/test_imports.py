"""The project's modules import one another without cycles, and the layers point one way: nnsteps -> render -> derive."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# the installed package of each source folder (pyproject.toml [tool.setuptools.package-dir])
PACKAGES = {"nnsteps": "nnsteps", "derive": "nnsteps.derive", "render": "nnsteps.render", "templates": "nnsteps.templates"}


def module_files() -> dict[str, Path]:
    """Dotted module name -> source file, for every .py file of the project's packages."""
    modules = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([package, *parts])] = path
    return modules


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules that module `name` imports anywhere in its file: at the top, inside functions
    (a lazy import is still a dependency of the design), under `if TYPE_CHECKING`, or by `import_module("...")`."""
    package = name if _is_package(path) else name.rpartition(".")[0]
    found = set()

    def add(target: str, names=()):
        # `from a.b import c` imports the submodule a.b.c when there is one, else the name c of a.b
        submodules = {f"{target}.{n}" for n in names if f"{target}.{n}" in known}
        found.update(submodules)
        if len(submodules) < len(names) or not names:
            while target and target not in known:  # `import a.b.attr`-like: the nearest project module
                target = target.rpartition(".")[0]
            if target:
                found.add(target)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "nnsteps":
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "nnsteps":
                add(target, [alias.name for alias in node.names if alias.name != "*"])
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            if node.args[0].value.startswith("nnsteps"):
                add(node.args[0].value)
    found.discard(name)
    return found


def dynamic_imports() -> dict[str, set[str]]:
    """The imports made by name from a table: nnsteps.__getattr__ (_LAZY) and the CLI's command modules."""
    import nnsteps
    from nnsteps.commands import COMMAND_MODULES

    return {"nnsteps": set(nnsteps._LAZY.values()),
            "nnsteps.cli": {f"nnsteps.commands.{name}" for name in COMMAND_MODULES}}


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    known = set(files)
    graph = {name: imported(name, path, known) for name, path in files.items()}
    for name, targets in dynamic_imports().items():
        assert targets <= known, f"{name} names modules that do not exist: {sorted(targets - known)}"
        graph[name] |= targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as [a, b, ..., a], or None (iterative depth-first search, three colours)."""
    colour = dict.fromkeys(graph, 0)  # 0 unseen, 1 on the current path, 2 done
    for start in sorted(graph):
        if colour[start]:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        colour[start] = 1
        while stack:
            for nxt in stack[-1]:
                if colour[nxt] == 1:
                    return path[path.index(nxt):] + [nxt]
                if colour[nxt] == 0:
                    colour[nxt] = 1
                    path.append(nxt)
                    stack.append(iter(sorted(graph[nxt])))
                    break
            else:
                colour[path.pop()] = 2
                stack.pop()
    return None


def test_the_graph_sees_top_level_lazy_and_relative_imports():
    graph = import_graph()
    assert {"nnsteps.derive", "nnsteps.render", "nnsteps.templates", "nnsteps.commands"} <= set(graph)
    assert "nnsteps.derive.netspec" in graph["nnsteps.spec"]  # top level, relative (from .derive.netspec import ...)
    assert "nnsteps.derive.errors" in graph["nnsteps.cli"]  # inside a function
    assert "nnsteps.commands" in graph["nnsteps.cli"]  # a package's __init__
    assert "nnsteps.derive.limits" in graph["nnsteps.commands"]  # two dots, from a package's __init__
    assert "nnsteps.commands.train" in graph["nnsteps.cli"] and "nnsteps.network" in graph["nnsteps"]  # by name
    assert all(m.startswith("nnsteps") for targets in graph.values() for m in targets)


def test_imports_are_found_wherever_they_are_written(tmp_path):
    """The cycle issue 11 broke was two lazy imports: exercises.py read spec.py's readers inside functions."""
    (tmp_path / "exercises.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .derive.netspec import NetworkSpec\n"
        "def _range(value):\n    from .spec import _number\n"
        "def questions():\n    from .derive import grading, quantities as q\n"
        "def plugin():\n    return import_module('nnsteps.render.steps')\n", encoding="utf-8")
    known = {"nnsteps", "nnsteps.spec", "nnsteps.derive", "nnsteps.derive.netspec", "nnsteps.derive.grading",
             "nnsteps.derive.quantities", "nnsteps.render.steps", "nnsteps.exercises"}
    assert imported("nnsteps.exercises", tmp_path / "exercises.py", known) == {
        "nnsteps.derive.netspec", "nnsteps.spec", "nnsteps.derive.grading", "nnsteps.derive.quantities",
        "nnsteps.render.steps"}
    (tmp_path / "__init__.py").write_text("from .. import limits\nfrom ..errors import SpecError\n", encoding="utf-8")
    assert imported("nnsteps.derive.optim", tmp_path / "__init__.py",
                    {"nnsteps.derive", "nnsteps.derive.limits", "nnsteps.derive.errors"}) == {
        "nnsteps.derive.limits", "nnsteps.derive.errors"}


def test_find_cycle_reports_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a2"}, "a2": {"b"}, "b": {"a2"}}) == ["a2", "b", "a2"]


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("layer, forbidden, allowed", [
    ("nnsteps.derive", ("nnsteps",), ("nnsteps.derive",)),  # the math imports nothing of documents or the front door
    ("nnsteps.render", ("nnsteps",), ("nnsteps.derive", "nnsteps.render", "nnsteps.templates")),
])
def test_layers_point_one_way(layer, forbidden, allowed):
    def inside(module, packages):
        return any(module == p or module.startswith(p + ".") for p in packages)

    wrong = sorted(f"{name} imports {target}" for name, targets in import_graph().items() if inside(name, (layer,))
                   for target in targets if inside(target, forbidden) and not inside(target, allowed))
    assert not wrong, "; ".join(wrong)
