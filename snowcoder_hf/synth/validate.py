"""Validation of every generated output: extract the code, parse it, reject what is not a usable file.

Reasons (in the order they are checked): `request_failed` (no answer after retries), `truncated`
(`finish_reason != "stop"`), `refusal`, `no_code`, `too_short`, `syntax_error`, `echoes_seed`.
Python is parsed with `ast`; other languages with a tree-sitter grammar when one is installed
(`parse_unchecked` is counted, not dropped, when none is).
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
import warnings

_FENCE_RE = re.compile(r"^```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:^```[ \t]*$|\Z)", re.DOTALL | re.MULTILINE)
_REFUSAL_RE = re.compile(
    r"^\s*(?:I'm sorry|I am sorry|I'm unable|I am unable|I can't|I cannot|I can not|Sorry, (?:but )?I|"
    r"As an AI|I apologi[sz]e|Unfortunately, I (?:can't|cannot))",
    re.IGNORECASE,
)
# language -> (pip module, attribute holding the grammar)
GRAMMARS: dict[str, tuple[str, str]] = {
    "JavaScript": ("tree_sitter_javascript", "language"), "TypeScript": ("tree_sitter_typescript", "language_typescript"),
    "Java": ("tree_sitter_java", "language"), "C": ("tree_sitter_c", "language"), "C++": ("tree_sitter_cpp", "language"),
    "C#": ("tree_sitter_c_sharp", "language"), "Go": ("tree_sitter_go", "language"),
    "Rust": ("tree_sitter_rust", "language"), "Ruby": ("tree_sitter_ruby", "language"),
    "PHP": ("tree_sitter_php", "language_php"), "Shell": ("tree_sitter_bash", "language"),
    "Python": ("tree_sitter_python", "language"),
}  # fmt: skip
_FENCE_ALIASES = {"py": "python", "python3": "python", "js": "javascript", "ts": "typescript", "sh": "bash",
                  "shell": "bash", "c++": "cpp", "cs": "csharp", "c#": "csharp", "golang": "go", "rs": "rust"}  # fmt: skip


def code_blocks(text: str) -> list[tuple[str, str]]:
    """`(tag, code)` for every fenced block; an unclosed last fence runs to the end of the text."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE_RE.finditer(text)]


def extract_code(text: str, fence: str) -> str:
    """The file in an answer: the longest fenced block tagged `fence` (or untagged), else the longest
    block, else the whole answer when it has no fences at all. Prose around the fences is dropped."""
    blocks = code_blocks(text)
    if not blocks:
        return text.strip("\n")
    matching = [code for tag, code in blocks if _FENCE_ALIASES.get(tag, tag) in (fence, "")]
    return max(matching or [code for _, code in blocks], key=len).strip("\n")


@functools.cache
def _parser(language: str):
    spec = GRAMMARS.get(language)
    if spec is None:
        return None
    try:
        import tree_sitter

        module = importlib.import_module(spec[0])
    except ImportError:
        return None
    return tree_sitter.Parser(tree_sitter.Language(getattr(module, spec[1])()))


def parses(code: str, language: str) -> bool | None:
    """True/False when the code was parsed; None when no parser is available for `language`."""
    if language == "Python":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)  # invalid escapes are warnings, not errors
                ast.parse(code)
        except (SyntaxError, ValueError):
            return False
        return True
    parser = _parser(language)
    if parser is None:
        return None
    return not parser.parse(code.encode("utf-8", "surrogatepass")).root_node.has_error


def _content_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if len(line.strip()) > 3]


def echo_fraction(code: str, seed: str) -> float:
    """Share of the output's non-trivial lines that appear verbatim in the seed."""
    lines = _content_lines(code)
    if not lines or not seed:
        return 0.0
    seed_lines = set(_content_lines(seed))
    return sum(line in seed_lines for line in lines) / len(lines)


def validate_generation(generation: dict, language: str, fence: str, seed: str = "", *, min_lines: int = 3,
                        echo_threshold: float = 0.5, require_fence: bool = False) -> tuple[str | None, str, bool | None]:  # fmt: skip
    """`(reason or None, extracted code, parsed)` for one rollout result of the generation runner."""
    if generation.get("status") != "ok":
        return "request_failed", "", None
    text = generation.get("text") or ""
    if generation.get("finish_reason") != "stop":
        return "truncated", "", None
    if _REFUSAL_RE.match(text):
        return "refusal", "", None
    if require_fence and not code_blocks(text):
        return "no_code", "", None
    code = extract_code(text, fence)
    if not code.strip():
        return "no_code", "", None
    if len(_content_lines(code)) < min_lines:
        return "too_short", code, None
    parsed = parses(code, language)
    if parsed is False:
        return "syntax_error", code, parsed
    if seed and echo_fraction(code, seed) >= echo_threshold:
        return "echoes_seed", code, parsed
    return None, code, parsed
