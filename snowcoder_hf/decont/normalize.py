"""The three token streams decontamination matches on, and the benchmark texts that feed them.

- `exact`: the shared lexical tokens (`snowcoder_hf.common.code_text.LEXICAL_TOKEN_RE`): identifiers, numbers and
  punctuation, whitespace ignored. Catches verbatim and re-indented or re-wrapped copies.
- `canonical`: the lexical stream with quote marks dropped, attribute names kept as
  `.name`, keywords and builtins kept, and every other identifier replaced by one placeholder. Catches
  copies with renamed identifiers and changed formatting in any language's token stream.
- `prose`: the lexical stream's words, case-folded, for a problem statement pasted as a comment or docstring,
  however it was re-wrapped or commented out.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
import string

from snowcoder_hf.common.code_text import IDENTIFIER_TOKEN_RE

CHANNELS = ("exact", "canonical", "prose")
PLACEHOLDER = "\x00V"
# One lexical pass feeds every channel: documents are tokenized once. The same tokens as the shared
# `LEXICAL_TOKEN_RE` (`\w+|[^\w\s]`): once `\w+` has failed, any non-space character is a non-word one.
# This spelling runs about 20% faster in CPython's `re`.
TOKEN_RE = re.compile(r"\w+|\S")
WORD_RE = IDENTIFIER_TOKEN_RE
QUOTES = frozenset("'\"`")
PUNCTUATION = frozenset(string.punctuation) - {"_"}  # not words: dropped from the prose stream
_IMPORT_LINE_RE = re.compile(r"^[ \t]*(?:import[ \t]+[\w. ,]+|from[ \t]+[\w.]+[ \t]+import[ \t]+[^\n]+)$", re.MULTILINE)

# Names a renaming leaves alone: keywords, builtins and the modules code commonly calls into.
KEPT_NAMES = frozenset(
    [*keyword.kwlist, *(k for k in keyword.softkwlist if k != "_"), *dir(builtins), "self", "cls", "math", "re", "os", "sys", "np", "pd",
     "plt", "json", "random", "collections", "itertools", "functools", "heapq", "string", "datetime", "time",
     "typing", "List", "Dict", "Tuple", "Set", "Optional", "Union", "Any", "Callable", "Iterable"]
)  # fmt: skip


def is_identifier(token: str) -> bool:
    first = token[0]
    return first.isalpha() or first == "_"


def canonicalize(tokens: list[str]) -> list[str]:
    """Canonical form of code tokens: quotes dropped, a `.` followed by a name merged into `.name`, kept
    names left as they are, every other name replaced by `PLACEHOLDER`."""
    tokens = [t for t in tokens if t not in QUOTES]
    out = []
    for i, token in enumerate(tokens):
        if token == "." and i + 1 < len(tokens) and is_identifier(tokens[i + 1]):
            continue
        if is_identifier(token):
            if i and tokens[i - 1] == ".":
                token = "." + token
            elif token not in KEPT_NAMES:
                token = PLACEHOLDER
        out.append(token)
    return out


def code_stream(text: str) -> list[str]:
    """The shared lexical tokens: the `exact` channel."""
    return TOKEN_RE.findall(text)


def stream(text: str, channel: str) -> list[str]:
    """The tokens of `text` in `channel`, in the form the index stores them."""
    if channel == "exact":
        return code_stream(text)
    if channel == "canonical":
        return canonicalize(code_stream(text))
    if channel == "prose":
        return [t.lower() for t in TOKEN_RE.findall(text) if t not in PUNCTUATION]
    raise ValueError(f"`channel` must be one of {', '.join(CHANNELS)}, got {channel!r}.")


def informative(token: str, channel: str) -> bool:
    """Whether a token carries evidence: a name of two or more characters (a kept name or attribute in the
    canonical channel, a word of three or more letters in prose). Literal data and punctuation do not."""
    if channel == "prose":
        return len(token) >= 3 and token[0].isalpha()
    if channel == "canonical":
        return token != PLACEHOLDER and len(token) >= 2 and (is_identifier(token) or token[0] == ".")
    return len(token) >= 2 and is_identifier(token)


def strip_imports(code: str) -> str:
    """Drop import lines: the same imports open countless ordinary files."""
    return _IMPORT_LINE_RE.sub("", code)


def _docstring_nodes(tree: ast.AST) -> list[ast.Expr]:
    """Docstring statements of the module, classes and functions, found through statement bodies only."""
    nodes = []
    stack = [tree]
    while stack:
        node = stack.pop()
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body:
            first = body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                nodes.append(first)
        for statement in body:
            stack.append(statement)
            for extra in ("orelse", "finalbody", "handlers"):
                stack.extend(getattr(statement, extra, None) or [])
    return nodes


def parse_python(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def docstrings(code: str) -> list[str]:
    """The docstrings of a Python snippet (empty when it does not parse)."""
    tree = parse_python(code)
    return [node.value.value for node in _docstring_nodes(tree)] if tree else []


def strip_docstrings(code: str) -> str:
    """The snippet with docstrings cut out in place, other formatting kept (the result may not parse: it is
    only tokenized). Unchanged if it does not parse."""
    tree = parse_python(code)
    if tree is None:
        return code
    lines = code.splitlines(keepends=True)
    for node in sorted(_docstring_nodes(tree), key=lambda n: (n.lineno, n.col_offset), reverse=True):
        start, end = node.lineno - 1, node.end_lineno - 1
        head, tail = lines[start][: node.col_offset], lines[end][node.end_col_offset :]
        lines[start : end + 1] = [head + tail]
    return "".join(lines)


def remove_docstrings(tree: ast.AST) -> ast.AST:
    """Remove docstring statements from a parsed tree in place (`pass` where a body would be left empty)."""
    docs = {id(node) for node in _docstring_nodes(tree)}
    stack = [tree]
    while stack:
        node = stack.pop()
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        if body and id(body[0]) in docs:
            node.body = body = body[1:] or ([ast.Pass()] if not isinstance(node, ast.Module) else [])
        for statement in body:
            stack.append(statement)
            for extra in ("orelse", "finalbody", "handlers"):
                stack.extend(getattr(statement, extra, None) or [])
    return tree


def ast_normalized(code: str) -> str | None:
    """`ast.unparse` of the snippet without docstrings: one formatting for every copy. None if it does not parse."""
    tree = parse_python(code)
    if tree is None:
        return None
    remove_docstrings(tree)
    try:
        return ast.unparse(tree)
    except (ValueError, RecursionError):
        return None
