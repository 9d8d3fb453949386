"""The package's shape, as docs/architecture.md states it: no import cycles, no upward imports of the command
line, a root of packages only, a docstring atop every module, and card templates that ship in the wheel."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "snowcoder_hf"
ROOT_MODULES_ALLOWED = {"__init__.py"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every project module `path` imports, at any depth of the file (function-level imports count too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle_among_the_package_modules():
    assert _cycles(import_graph()) == []


def test_nothing_outside_cli_imports_cli():
    upward = {
        name: sorted(d for d in deps if d == "snowcoder_hf.cli" or d.startswith("snowcoder_hf.cli."))
        for name, deps in import_graph().items()
        if not (name == "snowcoder_hf.cli" or name.startswith("snowcoder_hf.cli."))
    }
    assert {k: v for k, v in upward.items() if v} == {}


def test_package_root_holds_packages_only():
    loose = sorted(p.name for p in PACKAGE.iterdir() if p.suffix == ".py" and p.name not in ROOT_MODULES_ALLOWED)
    assert loose == []


def test_every_module_opens_with_a_docstring():
    missing = []
    for name, path in _modules().items():
        doc = ast.get_docstring(ast.parse(path.read_text()))
        if not doc or not doc.splitlines()[0].strip():
            missing.append(name)
    assert missing == []


def test_pyproject_lists_every_package_folder():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {_module_name(p) for p in PACKAGE.rglob("__init__.py")} | {"snowcoder_hf.model_cards"}
    assert folders == listed


def test_card_templates_have_one_copy_at_the_top_level():
    assert sorted(p.name for p in (REPO / "model_cards").glob("*.jinja"))
    assert not list(PACKAGE.rglob("*.jinja"))


@pytest.mark.timeout(300)
def test_the_built_wheel_renders_every_card_from_its_installed_copy(tmp_path):
    # Build from a copy: setuptools writes build/ beside the sources, and the checkout must stay clean.
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    for folder in ("snowcoder_hf", "model_cards"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    for file in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / file, source / file)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
                   check=True, capture_output=True)  # fmt: skip
    (wheel,) = wheels.glob("snowcoder_hf-*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)  # fmt: skip
    # The installed copy goes first on sys.path, ahead of the checkout's editable install; run from tmp_path so
    # that the checkout is not on the path either.
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import snowcoder_hf\n"
        "from snowcoder_hf.hub.cards import CARD_KINDS, render_card, template_dir\n"
        "assert snowcoder_hf.__file__.startswith(sys.argv[1]), snowcoder_hf.__file__\n"
        "assert str(template_dir()).startswith(sys.argv[1]), template_dir()\n"
        "context = {'title': 't', 'summary': 's', 'license': 'apache-2.0', 'tags': ['code'], 'lineage': [],\n"
        "           'command': 'accelerate launch recipes/stage1.py', 'config': 'seed: 0'}\n"
        "for kind in CARD_KINDS:\n"
        "    assert render_card(kind, context).startswith('---'), kind\n"
        "print(len(CARD_KINDS))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(target)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 3
