"""A planted-leak corpus: real code files with benchmark problems hidden in them, to measure decontamination.

Leak kinds, each planted at a random line of a real host file:
- `verbatim`: the full canonical solution, as released;
- `renamed`: the solution with every local name renamed, docstrings dropped, and reformatted
  (`ast.unparse`, two-space indentation);
- `prompt`: the problem statement pasted as a `#` comment block or a docstring, re-wrapped;
- `test`: the benchmark's test code (items that ship test code only).
Clean documents are real files left as they are; any match on them is a false positive.
"""

from __future__ import annotations

import ast
import builtins
import random
import textwrap
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from snowcoder_hf.decont.normalize import parse_python, remove_docstrings
from snowcoder_hf.decont.sources import full_solution, problem_statement
from snowcoder_hf.evalsets.registry import BenchmarkItem

LEAK_KINDS = ("verbatim", "renamed", "prompt", "test")
_NAME_POOL = ("value", "item", "data", "result", "tmp", "acc", "node", "elem", "buf", "cur", "seq", "obj")
_BUILTINS = frozenset(dir(builtins))


@dataclass
class PlantedDoc:
    id: str
    text: str
    host: str
    leak_kind: str | None = None  # None: a clean document
    benchmark: str | None = None
    task_id: str | None = None


def host_files(roots: Iterable[str | Path], limit: int, suffixes: tuple[str, ...] = (".py",), min_bytes: int = 200,
               max_bytes: int = 100_000, seed: int = 0) -> list[Path]:  # fmt: skip
    """Up to `limit` real code files under `roots`, in a seeded random order."""
    files = []
    for root in roots:
        files += [p for p in Path(root).rglob("*") if p.suffix in suffixes and p.is_file()
                  and min_bytes <= p.stat().st_size <= max_bytes]  # fmt: skip
    files.sort()
    random.Random(seed).shuffle(files)
    return files[:limit]


class _Renamer(ast.NodeTransformer):
    def __init__(self, rng: random.Random, keep: set[str]):
        self.rng, self.keep, self.mapping = rng, keep, {}

    def new_name(self, old: str) -> str:
        if old in self.keep or old in _BUILTINS or old.startswith("__"):
            return old
        if old not in self.mapping:
            self.mapping[old] = f"{self.rng.choice(_NAME_POOL)}_{len(self.mapping)}"
        return self.mapping[old]

    def visit_FunctionDef(self, node):
        node.name = self.new_name(node.name)
        self.generic_visit(node)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_arg(self, node):
        node.arg = self.new_name(node.arg)
        return node

    def visit_Name(self, node):
        node.id = self.new_name(node.id)
        return node


def rename_and_reformat(code: str, rng: random.Random) -> str | None:
    """Rename every local name (not imports, builtins or attributes), drop docstrings and comments, reformat."""
    tree = parse_python(code)
    if tree is None:
        return None
    imported = {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in n.names}  # fmt: skip
    tree = _Renamer(rng, imported | {"self", "cls"}).visit(remove_docstrings(tree))
    lines = []
    for line in ast.unparse(tree).splitlines():
        stripped = line.lstrip(" ")
        lines.append(" " * ((len(line) - len(stripped)) // 2) + stripped)
    return "\n".join(lines) + "\n"


def statement_as_comment(statement: str, rng: random.Random) -> str:
    words = " ".join(statement.split())
    wrapped = textwrap.wrap(words, width=rng.choice((60, 72, 88)))
    if rng.random() < 0.5:
        return "\n".join(f"# {line}" for line in wrapped) + "\n"
    return 'def todo():\n    """' + "\n    ".join(wrapped) + '\n    """\n    raise NotImplementedError\n'


def make_leak(item: BenchmarkItem, kind: str, rng: random.Random) -> str | None:
    """The text planted for `kind`, or None when `item` has nothing of that kind."""
    if kind == "verbatim":
        return full_solution(item) if item.solution.strip() else None
    if kind == "renamed":
        return rename_and_reformat(full_solution(item), rng) if item.solution.strip() else None
    if kind == "prompt":
        return statement_as_comment(problem_statement(item), rng)
    if kind == "test":
        return item.test or None
    raise ValueError(f"`kind` must be one of {', '.join(LEAK_KINDS)}, got {kind!r}.")


def plant(host: str, snippet: str, rng: random.Random) -> str:
    """`snippet` inserted between two lines of `host`, at column 0 and with blank lines around it."""
    lines = host.splitlines(keepends=True)
    top_level = [i for i, line in enumerate(lines) if line[:1] not in (" ", "\t", "")] or [len(lines)]
    at = rng.choice(top_level + [len(lines)])
    return "".join(lines[:at]) + "\n\n" + snippet.rstrip("\n") + "\n\n\n" + "".join(lines[at:])


def build_corpus(items: list[BenchmarkItem], hosts: list[str], per_kind: int, clean: int, seed: int = 0,
                 kinds: tuple[str, ...] = LEAK_KINDS) -> list[PlantedDoc]:  # fmt: skip
    """`per_kind` leaked documents per kind (hosts used once each), then `clean` untouched hosts."""
    if len(hosts) < per_kind * len(kinds) + clean:
        raise ValueError(f"`hosts` holds {len(hosts)} files; {per_kind * len(kinds) + clean} are needed.")
    rng = random.Random(seed)
    docs, next_host = [], 0
    for kind in kinds:
        candidates = [it for it in items if make_leak(it, kind, random.Random(0))]
        for _ in range(per_kind):
            item = rng.choice(candidates)
            snippet = make_leak(item, kind, rng)
            text = plant(hosts[next_host], snippet, rng)
            docs.append(PlantedDoc(f"leak-{kind}-{len(docs)}", text, f"host-{next_host}", kind, item.benchmark,
                                   item.task_id))  # fmt: skip
            next_host += 1
    for _ in range(clean):
        docs.append(PlantedDoc(f"clean-{next_host}", hosts[next_host], f"host-{next_host}"))
        next_host += 1
    return docs


def score(docs: list[PlantedDoc], matches: list[list[dict]]) -> dict:
    """Recall per leak kind (any match, and a match naming the planted task) and the false-positive rate."""
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    false_positives = clean = 0
    for doc, found in zip(docs, matches, strict=True):
        if doc.leak_kind is None:
            clean += 1
            false_positives += bool(found)
            continue
        row = by_kind[doc.leak_kind]
        row[0] += 1
        row[1] += bool(found)
        row[2] += any(m["benchmark"] == doc.benchmark and m["task_id"] == doc.task_id for m in found)
    recall = {
        kind: {"planted": n, "recall": hit / n, "attributed": attr / n} for kind, (n, hit, attr) in by_kind.items()
    }
    return {"recall": recall, "clean": clean, "false_positives": false_positives,
            "fp_rate": false_positives / clean if clean else 0.0}  # fmt: skip
