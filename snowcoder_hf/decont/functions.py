"""The whole-function channel: a benchmark solution's function found as a standalone function of a document,
with the same syntax tree (names aside), instead of as a run of tokens inside other code.

Short solutions (a few lines) share their token runs with countless ordinary functions, so for them only a
whole-function match is evidence. Candidates come cheaply from the canonical token stream every document is
encoded into anyway: the hash of the `L` tokens starting at each `def`, for each length `L` a benchmark
function has. Only a candidate's block of text is parsed, and it matches when its syntax tree equals the
solution function's: `verbatim` with every name equal, `renamed` with names consistently replaced.
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
from dataclasses import dataclass

import numpy as np

from snowcoder_hf.decont.hashing import span_hashes
from snowcoder_hf.decont.normalize import (
    ast_normalized,
    parse_python,
    remove_docstrings,
    strip_docstrings,
)
from snowcoder_hf.decont.sources import full_solution
from snowcoder_hf.evalsets.registry import BenchmarkItem

MAX_FUNCTION_TOKENS = 160  # longer functions are long enough for the n-gram channels
MIN_NAMED_TOKENS = 9  # a verbatim whole function shorter than this (`def f(x): return x`) is not evidence
MIN_SHAPE_TOKENS = 14  # nor is a renamed one shorter than this
MAX_BLOCK_CHARS = 6000
_BUILTINS = frozenset(dir(builtins))
_FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)


def shapes(node: ast.AST) -> tuple[str, str]:
    """`(named, shape)` dumps of a function tree without docstrings: `named` as written, `shape` with every
    name that is not a builtin replaced by its order of first appearance, so a consistent renaming gives
    the same shape. The tree is changed in place."""
    remove_docstrings(node)
    named = ast.dump(node, annotate_fields=False, include_attributes=False)
    order: dict[str, str] = {}

    def rename(name: str) -> str:
        return name if name in _BUILTINS else order.setdefault(name, f"v{len(order)}")

    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            sub.id = rename(sub.id)
        elif isinstance(sub, ast.arg):
            sub.arg = rename(sub.arg)
        elif isinstance(sub, _FUNCTION_TYPES):
            sub.name = rename(sub.name)
    return named, ast.dump(node, annotate_fields=False, include_attributes=False)


@dataclass
class SolutionFunction:
    item: int
    formatted: str  # the function as `ast_normalized` formats it: what its shapes are computed from
    texts: list[str]  # the forms a copy can take: as written, docstrings cut, `ast.unparse`d


def _segment(lines: list[bytes], node: ast.AST) -> str:
    """`ast.get_source_segment` from pre-split UTF-8 lines (it re-splits the whole source on every call)."""
    first, last = node.lineno - 1, node.end_lineno - 1
    if first == last:
        return lines[first][node.col_offset : node.end_col_offset].decode("utf-8", "replace")
    body = [lines[first][node.col_offset :], *lines[first + 1 : last], lines[last][: node.end_col_offset]]
    return b"".join(body).decode("utf-8", "replace")


def _has_docstring(node: ast.AST) -> bool:
    first = node.body[0] if getattr(node, "body", None) else None
    return isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)


def solution_functions(item: BenchmarkItem, item_index: int, formatted: str | None = None) -> list[SolutionFunction]:
    """The top-level functions of the item's full solution; empty when it does not parse or has none.
    `formatted`: the program as `normalize.ast_normalized` gives it, when the caller has it already."""
    if not item.solution.strip():
        return []
    program = full_solution(item)
    written_tree = parse_python(program)
    formatted = formatted if formatted is not None else ast_normalized(program)
    formatted_tree = parse_python(formatted) if formatted else None
    if written_tree is None or formatted_tree is None:
        return []
    written = [n for n in written_tree.body if isinstance(n, _FUNCTION_TYPES)]
    unparsed = [n for n in formatted_tree.body if isinstance(n, _FUNCTION_TYPES)]
    if len(written) != len(unparsed):
        return []
    program_lines = program.encode("utf-8").splitlines(keepends=True)
    formatted_lines = formatted.encode("utf-8").splitlines(keepends=True)
    out = []
    for as_written, as_formatted in zip(written, unparsed, strict=True):
        text = _segment(program_lines, as_written)
        plain = _segment(formatted_lines, as_formatted)
        texts = [plain, text, strip_docstrings(text) if _has_docstring(as_written) else text]
        out.append(SolutionFunction(item_index, plain, list(dict.fromkeys(t for t in texts if t.strip()))))
    return out


class FunctionIndex:
    """Whole-function keys (span hashes of canonical tokens from `def`) of every short benchmark function."""

    def __init__(self, functions: list[dict], keys: np.ndarray, postings: np.ndarray, lengths: np.ndarray,
                 suppressed: set[int] | None = None):  # fmt: skip
        self.functions = functions  # {item, formatted, tokens}
        self.keys, self.postings, self.lengths = keys, postings, lengths  # sorted keys; function of each key
        self.suppressed = suppressed or set()  # functions whose shape also occurs in ordinary code
        self.per_item: dict[int, list[int]] = {}
        for f, entry in enumerate(functions):
            self.per_item.setdefault(entry["item"], []).append(f)
        self._shapes: dict[int, tuple[str, str]] = {}  # computed on first need: candidates are rare

    def shapes_of(self, function: int) -> tuple[str, str]:
        if function not in self._shapes:
            tree = parse_python(self.functions[function]["formatted"])
            self._shapes[function] = shapes(tree.body[0]) if tree and tree.body else ("", "")
        return self._shapes[function]

    @classmethod
    def build(
        cls, items: list[BenchmarkItem], key_ids, codes: np.ndarray, formatted: list[str | None]
    ) -> FunctionIndex:
        """`key_ids(text)`: the text's canonical ids with every renamable name as the placeholder; `formatted`:
        each item's `ast_normalized` full solution."""
        functions, keys, owners, seen = [], [], [], set()
        for i, item in enumerate(items):
            if not formatted[i]:
                continue
            entries = []
            for fn in solution_functions(item, i, formatted[i]):
                first = key_ids(fn.texts[0])  # the formatted copy: the shortest
                if len(first) > MAX_FUNCTION_TOKENS:
                    entries = []  # a long function: the n-gram channels cover the item
                    break
                spans = [first] + [ids for ids in map(key_ids, fn.texts[1:]) if len(ids) <= MAX_FUNCTION_TOKENS]
                entries.append((fn, spans))
            for fn, spans in entries:
                f = len(functions)
                functions.append({"item": i, "formatted": fn.formatted, "tokens": min(map(len, spans))})
                for ids in spans:
                    key = int(span_hashes(codes[ids], np.zeros(1, np.int64), np.array([len(ids)]))[0, 0])
                    if (key, f) not in seen:
                        seen.add((key, f))
                        keys.append(key)
                        owners.append((f, len(ids)))
        order = np.argsort(np.array(keys, dtype=np.uint64), kind="stable")
        key_array = np.array(keys, dtype=np.uint64)[order]
        postings = np.array([owners[k][0] for k in order], dtype=np.int32)
        lengths = np.unique(np.array([n for _, n in owners], dtype=np.int64))
        return cls(functions, key_array, postings, lengths)

    def candidates(self, ids: np.ndarray, codes: np.ndarray, def_id: int) -> list[tuple[int, int]]:
        """`(canonical position of a def, function)` for every def whose next `L` tokens hash to a key of length
        `L`; `ids` as `key_ids` gives them."""
        if not def_id or not len(self.keys):
            return []
        starts = np.nonzero(ids == def_id)[0]
        if not len(starts):
            return []
        hashes = span_hashes(codes[ids], starts, self.lengths)
        rows = np.minimum(np.searchsorted(self.keys, hashes), len(self.keys) - 1)
        hit_start, hit_length = np.nonzero(self.keys[rows] == hashes)
        out = []
        for s, k in zip(hit_start.tolist(), hit_length.tolist(), strict=True):
            row = int(rows[s, k])
            while row > 0 and self.keys[row - 1] == self.keys[row]:
                row -= 1
            while row < len(self.keys) and self.keys[row] == hashes[s, k]:
                out.append((int(starts[s]), int(self.postings[row])))
                row += 1
        return out

    def verify(self, text: str, offset: int, function: int) -> str | None:
        """`verbatim` or `renamed` when the block starting at `offset` is function `function` as a whole."""
        entry = self.functions[function]
        node = function_at(text, offset)
        if node is None:
            return None
        named, shape = shapes(node)
        want_named, want_shape = self.shapes_of(function)
        if entry["tokens"] >= MIN_NAMED_TOKENS and named == want_named:
            return "verbatim"
        if entry["tokens"] >= MIN_SHAPE_TOKENS and shape == want_shape:
            return "renamed"
        return None

    # ---- persistence: plain arrays and JSON-able lists ---------------------------------------------
    def to_state(self) -> tuple[dict[str, np.ndarray], list[dict], list[int]]:
        arrays = {"function_keys": self.keys, "function_postings": self.postings, "function_lengths": self.lengths}
        return arrays, self.functions, sorted(self.suppressed)

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], functions: list[dict], suppressed: list[int]) -> FunctionIndex:
        return cls(functions, arrays["function_keys"], arrays["function_postings"], arrays["function_lengths"],
                   set(suppressed))  # fmt: skip


_INDENT_RE_CACHE: dict[int, re.Pattern] = {}


def _block(text: str, offset: int) -> tuple[int, int] | None:
    """Character span of the indented block of the `def` at `offset`, or None when it is not at a line start."""
    line_start = text.rfind("\n", 0, offset) + 1
    indent = text[line_start:offset]
    if indent.strip() and indent.strip() != "async":
        return None  # `def` inside a line: a string or a comment, not a definition
    width = len(indent.expandtabs())
    end_pattern = _INDENT_RE_CACHE.get(width)
    if end_pattern is None:
        end_pattern = _INDENT_RE_CACHE[width] = re.compile(rf"\n(?=[ \t]{{0,{width}}}[^\s#])")
    body_start = text.find(":", offset)
    first_line_end = text.find("\n", max(body_start, offset))
    if body_start < 0 or first_line_end < 0:
        return line_start, len(text)
    end = end_pattern.search(text, first_line_end, line_start + MAX_BLOCK_CHARS + 1)
    return line_start, end.start() if end else min(len(text), line_start + MAX_BLOCK_CHARS + 1)


def block_end(text: str, offset: int) -> int:
    span = _block(text, offset)
    return span[1] if span else offset


def function_at(text: str, offset: int) -> ast.FunctionDef | None:
    """The function whose `def` keyword starts at `offset`, parsed from its indented block alone."""
    span = _block(text, offset)
    if span is None or span[1] - span[0] > MAX_BLOCK_CHARS:
        return None
    block = textwrap.dedent(text[span[0] : span[1]].expandtabs())
    node = _single_function(block)
    if node is None and parse_python(block) is None:
        # The text around is not code at this indentation (a function pasted into a docstring or a class body
        # at column 0): the function is the longest run of its first lines that parses as one.
        lines = block.splitlines(keepends=True)
        for end in range(min(len(lines), _MAX_FALLBACK_LINES), 0, -1):
            node = _single_function("".join(lines[:end]))
            if node is not None:
                break
    return node


_MAX_FALLBACK_LINES = 40


def _single_function(code: str) -> ast.FunctionDef | None:
    tree = parse_python(code)
    if tree is None or len(tree.body) != 1 or not isinstance(tree.body[0], _FUNCTION_TYPES):
        return None
    return tree.body[0]
