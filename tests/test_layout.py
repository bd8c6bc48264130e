"""The house rules as tests: one-way dependencies and no import cycles.

Read from the source with ``ast`` (nothing is imported), so a rule broken in a
module no test imports still fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "adapters", "digests")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()
# The composition root knows every package: it reads config and starts the adapters;
# doctor, run from the CLI, checks each platform's token against its manifest.
COMPOSITION_ROOT = frozenset({"bot.app", "bot.cli", "bot.doctor"})


def _imports(name: str, path: Path) -> Iterator[tuple[str, bool]]:
    """(imported module, at module level) for every project import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        guarded = id(node) not in top_level
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target, not guarded


def _graph(*, module_level_only: bool) -> dict[str, set[str]]:
    return {
        name: {t for t, top in _imports(name, path) if top or not module_level_only}
        for name, path in MODULES.items()
    }


def test_the_tree_is_found() -> None:
    assert {"bot.chat.platform", "bot.news.net", "bot.nlp.quotes", "bot.store"} <= set(MODULES)


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        (
            "bot",
            ("adapters", "slack_bolt", "slack_sdk", "discord"),
        ),  # the core never sees a platform
        ("bot.nlp", ("bot.news", "bot.store", "bot.chat", "httpx", "sqlalchemy")),
        ("bot.store", ("bot.chat", "digests", "bot.news", "httpx")),
        ("digests", ("adapters",)),
        # the store's tables are its own: others ask the Store
        ("bot.chat", ("bot.store.schema", "bot.store.scope")),
        ("bot.news", ("bot.store.schema", "bot.store.scope")),
    ],
)
def test_dependencies_point_one_way(layer: str, forbidden: tuple[str, ...]) -> None:
    broken = []
    for name, path in MODULES.items():
        if (name != layer and not name.startswith(layer + ".")) or name in COMPOSITION_ROOT:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            broken += [
                f"{name} imports {n}"
                for n in names
                if any(n == f or n.startswith(f + ".") for f in forbidden)
            ]
    assert broken == []


def test_no_import_cycles() -> None:
    """Module-level imports form no cycle (imports inside functions may break one)."""
    graph = _graph(module_level_only=True)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    # A package's __init__ re-exporting its own modules is not a cycle of concerns.
    real = [c for c in cycles if not all(m.startswith(c[0] + ".") or m == c[0] for m in c[1:])]
    assert real == []
