"""The shapes a benchmark leak takes in the wild: code copied, reformatted, renamed, cut in half or lightly
edited, and problem statements pasted as comments or docstrings, lightly edited or paraphrased.

Every transformation takes a seeded `random.Random`, so a corpus built from them is fixed by its seed.
"""

from __future__ import annotations

import random
import re
import textwrap

from snowcoder_hf.decont.leak_corpus import rename_and_reformat
from snowcoder_hf.decont.normalize import ast_normalized, strip_docstrings
from snowcoder_hf.decont.sources import full_solution, problem_statements
from snowcoder_hf.evalsets.registry import BenchmarkItem

CODE_FORMS = ("verbatim", "reformatted", "renamed", "partial", "edited")
STATEMENT_FORMS = ("prompt_comment", "prompt_docstring", "prompt_edited", "prompt_paraphrased")
LEAK_FORMS = CODE_FORMS + STATEMENT_FORMS
PARTIAL_MIN_LINES = 6  # half of a shorter solution is its signature and a line or two: not a leak

# Comment syntax per host language, for statements pasted into files of that language.
COMMENT_STYLES = {
    "python": ("#",),
    "shell": ("#",),
    "ruby": ("#",),
    "c": ("//", "/*"),
    "cpp": ("//", "/*"),
    "java": ("//", "/*", "/**"),
    "go": ("//",),
    "javascript": ("//", "/*", "/**"),
    "rust": ("//", "///"),
}
_NOTES = ("keep this", "edge case", "see above", "TODO: simplify", "fast path", "checked", "from the docs")
# Word-level rewrites a person makes when restating a task; applied whole-word, case-insensitively.
_SYNONYMS = {
    "write": "implement", "function": "routine", "given": "provided", "return": "give back", "returns": "gives back",
    "list": "array", "number": "value", "numbers": "values", "string": "text", "check": "test", "whether": "if",
    "find": "locate", "calculate": "compute", "create": "build", "element": "item", "elements": "items",
    "integer": "int", "integers": "ints", "input": "argument", "output": "result", "each": "every",
    "generate": "produce", "count": "tally", "remove": "delete", "specified": "given", "dictionary": "mapping",
}  # fmt: skip
_FILLERS = ("basically", "simply", "just", "also", "then", "here")


def code_leak(item: BenchmarkItem, form: str, rng: random.Random) -> str | None:
    """The solution of `item` in `form`, or None when `item` has no solution (or too short a one for `partial`)."""
    if not item.solution.strip():
        return None
    program = full_solution(item)
    if form == "verbatim":
        return program
    if form == "reformatted":
        return ast_normalized(program)
    if form == "renamed":
        return rename_and_reformat(program, rng)
    if form == "partial":
        return first_half(item.solution if item.benchmark.startswith("mbpp") else strip_docstrings(program))
    if form == "edited":
        return whitespace_and_comment_edits(program, rng)
    raise ValueError(f"`form` must be one of {', '.join(CODE_FORMS)}, got {form!r}.")


def first_half(code: str) -> str | None:
    lines = [line for line in strip_docstrings(code).splitlines() if line.strip()]
    code_lines = [line for line in lines if not line.lstrip().startswith(("import ", "from "))]
    if len(code_lines) < PARTIAL_MIN_LINES:
        return None
    return "\n".join(code_lines[: (len(code_lines) + 1) // 2]) + "\n"


def whitespace_and_comment_edits(code: str, rng: random.Random) -> str:
    """Comments dropped or added, blank lines added, indentation width and spacing around `=` and `,` changed."""
    indent = rng.choice(("  ", "\t", "   "))
    out = []
    for line in code.splitlines():
        stripped = line.lstrip(" ")
        if stripped.startswith("#"):
            continue  # comment lines dropped
        depth = (len(line) - len(stripped)) // 4
        body = stripped
        if rng.random() < 0.3:
            body = re.sub(r"\s*=\s*(?!=)", "=", body) if rng.random() < 0.5 else re.sub(r",(?=\S)", ", ", body)
        if body and not body.endswith(("\\", ",", "(", "[", "{")) and rng.random() < 0.2 and '"""' not in body:
            body += f"  # {rng.choice(_NOTES)}"
        out.append(indent * depth + body)
        if rng.random() < 0.1:
            out.append("")
    return "\n".join(out) + "\n"


def statements(item: BenchmarkItem) -> list[str]:
    return problem_statements(item)


def as_comment(statement: str, rng: random.Random, language: str = "python") -> str:
    """The statement re-wrapped at a random width in a comment of `language`."""
    style = rng.choice(COMMENT_STYLES.get(language, ("#",)))
    wrapped = _wrap(statement, rng)
    if style in ("/*", "/**"):
        return style + "\n" + "\n".join(f" * {line}" for line in wrapped) + "\n */\n"
    return "\n".join(f"{style} {line}" for line in wrapped) + "\n"


def as_docstring(statement: str, rng: random.Random) -> str:
    """The statement re-wrapped as the docstring of an unrelated stub function or class."""
    wrapped = _wrap(statement, rng)
    if rng.random() < 0.5:
        body = "\n    ".join(wrapped)
        return f'def {rng.choice(("solve", "todo", "exercise", "stub"))}(*args):\n    """{body}\n    """\n    raise NotImplementedError\n'
    body = "\n        ".join(wrapped)
    return f'class Exercise:\n    def run(self):\n        """\n        {body}\n        """\n'


def lightly_edited(statement: str, rng: random.Random, every: int = 14) -> str:
    """About one word in `every` dropped, swapped with its neighbour or given a synonym: a copy a person tidied."""
    words = statement.split()
    i = rng.randrange(every)
    while i < len(words):
        action = rng.random()
        if action < 0.34:
            del words[i]
        elif action < 0.67 and i + 1 < len(words):
            words[i], words[i + 1] = words[i + 1], words[i]
        else:
            words[i] = _SYNONYMS.get(words[i].lower(), rng.choice(_FILLERS) + " " + words[i])
        i += every + rng.randrange(-3, 4)
    return " ".join(words)


def paraphrased(statement: str, rng: random.Random) -> str:
    """A heavier restatement: common task words replaced, articles dropped, filler words added, sentences
    reordered. No n-gram matcher is expected to catch all of these; it measures what an embedding channel adds."""
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(statement.split()))
    if len(sentences) > 2:
        head, rest = sentences[0], sentences[1:]
        rng.shuffle(rest)
        sentences = [head, *rest]
    out = []
    for word in " ".join(sentences).split():
        key = word.lower().strip(".,:;")
        if key in ("a", "an", "the") and rng.random() < 0.7:
            continue
        if key in _SYNONYMS and rng.random() < 0.8:
            word = word.lower().replace(key, _SYNONYMS[key])
        out.append(word)
        if rng.random() < 0.05:
            out.append(rng.choice(_FILLERS))
    return " ".join(out)


def _wrap(statement: str, rng: random.Random) -> list[str]:
    """Paragraphs kept (the instruct prompt's sections), each re-wrapped at one random width."""
    width = rng.choice((60, 72, 80, 100))
    lines = []
    for paragraph in re.split(r"\n\s*\n", statement.strip()):
        lines += textwrap.wrap(" ".join(paragraph.split()), width=width) or [""]
    return [line.replace('"""', "'''") for line in lines]
