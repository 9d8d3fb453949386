"""Syntax validity: parse each file with its tree-sitter grammar, record the share of its bytes that the parser
could not fit (`metadata["syntax_error_fraction"]`), and drop files above a threshold (`syntax_error`).

The share counts the bytes inside ERROR nodes less the complete constructs recovered inside them, and for
each MISSING node (a token the parser had to invent) the line it sits on. Grammars come one wheel per language (`tree-sitter-python`, ...), loaded lazily in each
worker. A language without a grammar passes unchecked (`syntax_unchecked`); a file over `max_bytes`
(`syntax_too_large_to_check`) or whose parse runs past `timeout_s` (`syntax_timeout`) passes too, with
`syntax_error_fraction` None. Jupyter notebooks are parsed as Python after conversion, magics commented out.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import time
from dataclasses import dataclass

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from snowcoder_hf.common.notebooks import NotebookError, looks_like_notebook, notebook_to_script

# language (the project's names, see languages.py) -> (module of its grammar wheel, function returning it)
GRAMMARS: dict[str, tuple[str, str]] = {
    "Python": ("tree_sitter_python", "language"), "Jupyter Notebook": ("tree_sitter_python", "language"),
    "Java": ("tree_sitter_java", "language"), "C": ("tree_sitter_c", "language"),
    "C++": ("tree_sitter_cpp", "language"), "JavaScript": ("tree_sitter_javascript", "language"),
    "TypeScript": ("tree_sitter_typescript", "language_typescript"), "Go": ("tree_sitter_go", "language"),
    "Rust": ("tree_sitter_rust", "language"), "C#": ("tree_sitter_c_sharp", "language"),
    "Ruby": ("tree_sitter_ruby", "language"), "PHP": ("tree_sitter_php", "language_php"),
    "Shell": ("tree_sitter_bash", "language"), "Scala": ("tree_sitter_scala", "language"),
    "Kotlin": ("tree_sitter_kotlin", "language"), "Swift": ("tree_sitter_swift", "language"),
    "Dart": ("tree_sitter_dart", "language"), "SQL": ("tree_sitter_sql", "language"),
}  # fmt: skip
# Measured on real, compiling code (benchmarks/results/syntax.md): macro-heavy C and C++ headers leave up to
# a fifth of a file in ERROR nodes (p95 0.20), so they get a looser default; tree-sitter-sql knows no one
# dialect and rejects most real PostgreSQL scripts, so SQL is checked only when `languages` names it.
DEFAULT_PER_LANGUAGE: dict[str, float] = {"C": 0.25, "C++": 0.25}
UNCHECKED_BY_DEFAULT = frozenset({"SQL"})
_TSX = ("tree_sitter_typescript", "language_tsx")  # `.tsx` files need the JSX-aware TypeScript grammar
_MAGIC_RE = re.compile(r"^([ \t]*)[%!?]", re.M)  # IPython magics and shell escapes in notebook cells
_READ_CHUNK = 1 << 16


def grammar_installed(language: str) -> bool:
    spec = GRAMMARS.get(language)
    return spec is not None and importlib.util.find_spec(spec[0]) is not None


def pip_name(language: str) -> str:
    return GRAMMARS[language][0].replace("_", "-")


@dataclass(frozen=True)
class SyntaxCheck:
    """One file's parse: the error share of its bytes, the ERROR / MISSING node count, and the parse time."""

    error_fraction: float
    error_nodes: int
    seconds: float


class ParseTimeout(RuntimeError):
    """The parse ran past its time budget and was cancelled."""


def _line_span(data: bytes, offset: int) -> tuple[int, int]:
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    return start, len(data) if end < 0 else end + 1


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(spans: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, i = [], 0
    for start, end in spans:
        while i < len(holes) and holes[i][1] <= start:
            i += 1
        j, cursor = i, start
        while j < len(holes) and holes[j][0] < end:
            if holes[j][0] > cursor:
                out.append((cursor, holes[j][0]))
            cursor = max(cursor, holes[j][1])
            j += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def _complete(node) -> bool:
    """A well-formed construct (a declaration, a statement, a comment), not a stray token."""
    return node.is_named and not node.has_error and (node.child_count > 0 or node.type == "comment")


def error_spans(root, data: bytes) -> tuple[list[tuple[int, int]], int]:
    """Byte spans the parser could not fit, and how many ERROR / MISSING nodes it made.

    An ERROR node counts its bytes less the complete constructs recovered inside it (a header whose
    `extern "C" {` never closes is one ERROR root holding hundreds of good declarations); a MISSING node
    counts the line it sits on. Subtrees without errors are never visited, so a valid file costs one check."""
    regions, valid, count, stack = [], [], 0, [root]
    while stack:
        node = stack.pop()
        if node.is_missing:
            regions.append(_line_span(data, node.start_byte))
            count += 1
        elif node.is_error:
            regions.append((node.start_byte, node.end_byte))
            count += 1
            for child in node.children:
                if child.has_error or child.is_missing:
                    stack.append(child)
                elif _complete(child):
                    valid.append((child.start_byte, child.end_byte))
        elif node.has_error:
            stack.extend(node.children)
    return _subtract(_merge(regions), _merge(valid)), count


def check_bytes(parser, data: bytes, timeout_s: float | None = None) -> SyntaxCheck:
    """Parse `data` with a tree-sitter `parser`; raises `ParseTimeout` past `timeout_s` (the parser is reset)."""
    start = time.perf_counter()
    if timeout_s is None:
        tree = parser.parse(data)
    else:
        view, deadline = memoryview(data), start + timeout_s
        try:
            tree = parser.parse(lambda offset, _point: view[offset : offset + _READ_CHUNK],
                                progress_callback=lambda _offset, _has_error: time.perf_counter() > deadline)  # fmt: skip
        except ValueError as err:  # tree-sitter reports a cancelled parse as "Parsing failed"
            parser.reset()  # else the next parse resumes this one
            raise ParseTimeout(f"parse cancelled after {timeout_s}s") from err
    spans, count = error_spans(tree.root_node, data)
    covered = sum(end - begin for begin, end in spans)
    return SyntaxCheck(covered / len(data) if data else 0.0, count, time.perf_counter() - start)


class SyntaxValidityFilter(BaseFilter):
    """Drop files whose share of unparseable bytes is above `max_error_fraction` (reason `syntax_error`).

    Args:
        max_error_fraction: the largest share of a file's bytes allowed inside ERROR / MISSING nodes; 0.0 keeps
            only files that parse cleanly.
        per_language: thresholds that override `max_error_fraction` for some languages; None uses
            `DEFAULT_PER_LANGUAGE` (C and C++ at 0.25), `{}` none.
        languages: languages to check (the project's names); None checks every language whose grammar wheel is
            installed except SQL. A listed language without a grammar is an error here, not a silent pass later.
        max_bytes: files larger than this pass unchecked (`syntax_too_large_to_check`).
        timeout_s: a parse running longer is cancelled and the file passes unchecked (`syntax_timeout`).
        annotate_only: record `syntax_error_fraction` without dropping.
    """

    name = "🌲 Syntax validity"
    _requires_dependencies = [("tree_sitter", "tree-sitter")]

    def __init__(self, max_error_fraction: float = 0.05, per_language: dict[str, float] | None = None,
                 languages: list[str] | None = None,
                 max_bytes: int = 1_000_000, timeout_s: float | None = 2.0, annotate_only: bool = False,
                 exclusion_writer: DiskWriter | None = None):  # fmt: skip
        super().__init__(exclusion_writer=exclusion_writer)
        per_language = dict(DEFAULT_PER_LANGUAGE if per_language is None else per_language)
        for name, value in {"max_error_fraction": max_error_fraction, **per_language}.items():
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"`max_error_fraction` ({name}) must be a fraction in [0, 1], got {value!r}.")
        unknown = sorted(set(per_language) - set(GRAMMARS))
        if unknown:
            raise ValueError(f"`per_language` names languages without a grammar: {unknown}; known: {sorted(GRAMMARS)}.")
        if max_bytes < 1:
            raise ValueError(f"`max_bytes` must be a positive byte count, got {max_bytes}.")
        if timeout_s is not None and timeout_s <= 0:
            raise ValueError(f"`timeout_s` must be positive seconds or None, got {timeout_s}.")
        if languages is not None:
            unknown = [lang for lang in languages if lang not in GRAMMARS]
            if unknown:
                raise ValueError(f"`languages` has no tree-sitter grammar for {unknown}; known: {sorted(GRAMMARS)}.")
            missing = [lang for lang in languages if not grammar_installed(lang)]
            if missing:
                wheels = " ".join(sorted({pip_name(lang) for lang in missing}))
                raise ValueError(f"grammars for {missing} are not installed: pip install {wheels}")
        self.languages = set(languages) if languages is not None else set(GRAMMARS) - UNCHECKED_BY_DEFAULT
        self.per_language = per_language
        self.max_error_fraction, self.max_bytes, self.timeout_s = max_error_fraction, max_bytes, timeout_s
        self.annotate_only = annotate_only
        self._parsers: dict[tuple[str, str], object] = {}  # built on first use, so the block pickles cheaply

    def __getstate__(self):  # tree-sitter parsers do not pickle; each worker builds its own
        return {**self.__dict__, "_parsers": {}}

    def _parser(self, language: str, path: str):
        spec = _TSX if language == "TypeScript" and path.lower().endswith(".tsx") else GRAMMARS.get(language)
        if spec is None or language not in self.languages:
            return None
        if spec not in self._parsers:
            if importlib.util.find_spec(spec[0]) is None:
                self._parsers[spec] = None
            else:
                import tree_sitter

                grammar = getattr(importlib.import_module(spec[0]), spec[1])()
                self._parsers[spec] = tree_sitter.Parser(tree_sitter.Language(grammar))
        return self._parsers[spec]

    def source_bytes(self, doc: Document, language: str) -> bytes:
        text = doc.text
        if language == "Jupyter Notebook":
            if looks_like_notebook(text):
                text = notebook_to_script(text)  # NotebookError: the caller drops it
            text = _MAGIC_RE.sub(r"\1#", text)
        return text.encode("utf-8", "surrogatepass")

    def _pass_unchecked(self, doc: Document, reason: str, language: str) -> bool:
        doc.metadata["syntax_error_fraction"] = None
        self.stat_update(reason, f"{reason}_{language}")
        return True

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        language = str(doc.metadata.get("language") or "unknown")
        parser = self._parser(language, str(doc.metadata.get("path") or ""))
        if parser is None:
            return self._pass_unchecked(doc, "syntax_unchecked", language)
        if len(doc.text) > self.max_bytes:  # checked on characters first: no encoding of a huge text
            return self._pass_unchecked(doc, "syntax_too_large_to_check", language)
        try:
            data = self.source_bytes(doc, language)
        except NotebookError:  # notebook JSON that does not convert: nothing in it parses as code
            doc.metadata["syntax_error_fraction"] = 1.0
            return self._error(language)
        if len(data) > self.max_bytes:
            return self._pass_unchecked(doc, "syntax_too_large_to_check", language)
        try:
            check = check_bytes(parser, data, self.timeout_s)
        except ParseTimeout:
            return self._pass_unchecked(doc, "syntax_timeout", language)
        doc.metadata["syntax_error_fraction"] = round(check.error_fraction, 6)
        self.stat_update("syntax_checked", f"syntax_checked_{language}")
        self.stat_update("syntax_checked_bytes", value=len(data))
        limit = self.per_language.get(language, self.max_error_fraction)
        return self._error(language) if check.error_fraction > limit else True

    def _error(self, language: str) -> bool | tuple[bool, str]:
        self.stat_update(f"syntax_error_{language}")
        return True if self.annotate_only else (False, "syntax_error")
