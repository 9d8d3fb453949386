"""The hard decontamination benchmark: every leak form of every benchmark, in real files, against clean real
code from many languages and from real test suites.

- Leaks: for each benchmark family (HumanEval+, MBPP+, EvoEval, BigCodeBench) and each form of
  `leak_forms.LEAK_FORMS`, `per_cell` items drawn with a fixed seed, each planted once in its own real host
  file (Python files for code and docstrings; statements as comments go into hosts of every language, in
  that language's comment syntax).
- Clean: real files from each `CleanSource` (language, source name, folder), drawn with the same seed;
  any match on them is a false positive.
The report gives recall per family and form, and false positives per language and per source.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from snowcoder_hf.decont.index import in_reference_half
from snowcoder_hf.decont.leak_forms import (
    CODE_FORMS,
    LEAK_FORMS,
    as_comment,
    as_docstring,
    code_leak,
    lightly_edited,
    paraphrased,
    statements,
)
from snowcoder_hf.decont.normalize import parse_python
from snowcoder_hf.evalsets.registry import BenchmarkItem

FAMILIES = ("humaneval_plus", "mbpp_plus", "evoeval", "bigcodebench")
PYTHON_LANGUAGES = frozenset({"python"})  # the languages the benchmarks are written in


@dataclass(frozen=True)
class CleanSource:
    """Real files of one language from one source: `suffixes` of "" means files with no extension (C++ headers)."""

    language: str
    name: str
    root: Path
    suffixes: tuple[str, ...]
    exclude: tuple[str, ...] = ()  # path parts that rule a file out (packages that ship benchmark problems)
    unseen_half_of: Path | None = None  # keep only files outside the default boilerplate sample's half of this tree


@dataclass
class HardDoc:
    id: str
    text: str
    host: str  # the host file's path relative to its source root
    language: str
    source: str
    form: str | None = None  # None: a clean document
    benchmark: str | None = None  # the registry name (evoeval_creative, ...)
    task_id: str | None = None

    @property
    def family(self) -> str | None:
        return family_of(self.benchmark) if self.benchmark else None


def family_of(benchmark: str) -> str:
    return "evoeval" if benchmark.startswith("evoeval") else benchmark


def source_files(source: CleanSource, min_bytes: int = 300, max_bytes: int = 60_000) -> list[Path]:
    """The source's files in a stable order (sorted paths), so a seeded draw picks the same files on any machine."""
    if not source.root.is_dir():
        return []
    found = []
    for path in source.root.rglob("*"):
        if not path.is_file() or any(part in source.exclude for part in path.relative_to(source.root).parts):
            continue
        if source.unseen_half_of is not None and in_reference_half(path, source.unseen_half_of):
            continue
        if (path.suffix in source.suffixes or ("" in source.suffixes and not path.suffix)) and (
            min_bytes <= path.stat().st_size <= max_bytes
        ):
            found.append(path)
    return sorted(found)


def read_text(path: Path) -> str | None:
    """The file as UTF-8, or None for binary or non-UTF-8 files (real corpora hold some; they are skipped)."""
    data = path.read_bytes()
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def draw_files(sources: list[CleanSource], counts: dict[str, int], seed: int) -> dict[str, list[tuple[Path, str]]]:
    """`counts[source.name]` readable files of each source, `(path, text)`, drawn with `seed`."""
    out = {}
    for source in sources:
        files = source_files(source)
        random.Random(f"{seed}:{source.name}").shuffle(files)
        picked = []
        for path in files:
            if len(picked) >= counts.get(source.name, 0):
                break
            text = read_text(path)
            if text and text.strip():
                picked.append((path, text))
        out[source.name] = picked
    return out


def family_items(items: list[BenchmarkItem]) -> dict[str, list[BenchmarkItem]]:
    by_family = defaultdict(list)
    for item in items:
        by_family[family_of(item.benchmark)].append(item)
    order = [f for f in FAMILIES if f in by_family] + sorted(set(by_family) - set(FAMILIES))
    return {f: by_family[f] for f in order}


def make_form(item: BenchmarkItem, form: str, rng: random.Random, language: str = "python") -> str | None:
    """The planted text of `item` in `form`; statements pick the instruct prompt or the docstring statement."""
    if form in CODE_FORMS:
        return code_leak(item, form, rng)
    statement = rng.choice(statements(item))
    if form == "prompt_comment":
        return as_comment(statement, rng, language)
    if form == "prompt_docstring":
        return as_docstring(statement, rng)
    if form == "prompt_edited":
        return as_comment(lightly_edited(statement, rng), rng, language)
    if form == "prompt_paraphrased":
        return as_comment(paraphrased(statement, rng), rng, language)
    raise ValueError(f"`form` must be one of {', '.join(LEAK_FORMS)}, got {form!r}.")


_TOP_LEVEL_RE = re.compile(r"^[A-Za-z_@]", re.MULTILINE)


def insertion_points(host: str, language: str) -> list[int]:
    """Character offsets where a snippet can go between top-level statements: for Python, the starts of the
    module's statements (never inside a class, function or string); elsewhere, lines that start with a name."""
    if language == "python":
        tree = parse_python(host)
        if tree is not None:
            line_starts = [0] + [i + 1 for i, ch in enumerate(host) if ch == "\n"]
            points = []
            for node in tree.body:
                first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                points.append(line_starts[first - 1])
            return points + [len(host)]
        return [len(host)]
    return [m.start() for m in _TOP_LEVEL_RE.finditer(host)] + [len(host)]


def plant_between_statements(host: str, snippet: str, rng: random.Random, language: str) -> str:
    """`snippet` inserted at a random top-level position of `host`, with blank lines around it."""
    at = rng.choice(insertion_points(host, language))
    head = host[:at] if not at or host[at - 1] == "\n" else host[:at] + "\n"
    return head + "\n\n" + snippet.rstrip("\n") + "\n\n\n" + host[at:]


def build_hard_corpus(
    items: list[BenchmarkItem],
    leak_hosts: dict[str, list[tuple[Path, str, str]]],
    clean: list[tuple[str, str, Path, str]],
    per_cell: int,
    seed: int = 0,
    forms: tuple[str, ...] = LEAK_FORMS,
) -> list[HardDoc]:
    """Leaked documents, `per_cell` per (family, form), then the clean ones.

    `leak_hosts` maps a language to `(path, text, source name)` host files, used once each; code and docstring
    leaks go into Python hosts, statements as comments into hosts of every language in turn. `clean` holds
    `(language, source name, path, text)`."""
    rng = random.Random(seed)
    families = family_items(items)
    cursor = dict.fromkeys(leak_hosts, 0)
    comment_languages = sorted(leak_hosts)
    docs: list[HardDoc] = []
    comments = 0
    for family, pool in families.items():
        for form in forms:
            candidates = [it for it in pool if make_form(it, form, random.Random(0)) is not None]
            picked = rng.sample(candidates, min(per_cell, len(candidates)))
            for k, item in enumerate(picked):
                code_like = form in CODE_FORMS or form == "prompt_docstring"
                language = "python" if code_like else comment_languages[comments % len(comment_languages)]
                comments += not code_like
                if cursor[language] >= len(leak_hosts[language]):
                    raise ValueError(f"Too few {language} host files for the leaks; add more or lower `per_cell`.")
                path, host, source = leak_hosts[language][cursor[language]]
                cursor[language] += 1
                snippet = make_form(item, form, rng, language)
                docs.append(HardDoc(f"leak-{family}-{form}-{k}", plant_between_statements(host, snippet, rng, language), str(path), language, source,
                                    form, item.benchmark, item.task_id))  # fmt: skip
    for i, (language, source, path, text) in enumerate(clean):
        docs.append(HardDoc(f"clean-{source}-{i}", text, str(path), language, source))
    return docs


def score_hard(docs: list[HardDoc], matches: list[list[dict]]) -> dict:
    """Recall per family and form (any match; a match naming the planted task), false positives per language,
    per source and overall, and the false-positive documents themselves."""
    recall: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    by_language: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    false_positives, misses = [], []
    for doc, found in zip(docs, matches, strict=True):
        if doc.form is None:
            for table, key in ((by_language, doc.language), (by_source, doc.source)):
                table[key][0] += 1
                table[key][1] += bool(found)
            if found:
                false_positives.append((doc, found))
            continue
        row = recall[doc.family][doc.form]
        row[0] += 1
        row[1] += bool(found)
        row[2] += any(m["benchmark"] == doc.benchmark and m["task_id"] == doc.task_id for m in found)
        if not found:
            misses.append(doc)
    clean = sum(n for n, _ in by_language.values())
    flagged = sum(f for _, f in by_language.values())
    return {
        "recall": {
            f: {
                form: {"planted": n, "recall": hit / n, "attributed": attr / n}
                for form, (n, hit, attr) in forms.items()
            }
            for f, forms in recall.items()
        },  # fmt: skip
        "fp_by_language": {k: {"clean": n, "flagged": f} for k, (n, f) in sorted(by_language.items())},
        "fp_by_source": {k: {"clean": n, "flagged": f} for k, (n, f) in sorted(by_source.items())},
        "clean": clean,
        "false_positives": flagged,
        "fp_rate": flagged / clean if clean else 0.0,
        "false_positive_docs": false_positives,
        "missed_docs": misses,
    }


def form_recall(report: dict, form: str) -> float:
    """Recall of one form over every family (planted-weighted)."""
    cells = [forms[form] for forms in report["recall"].values() if form in forms]
    planted = sum(c["planted"] for c in cells)
    return sum(c["recall"] * c["planted"] for c in cells) / planted if planted else 0.0
