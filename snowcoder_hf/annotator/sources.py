"""Annotator training sets: the paper's variants, their positive sources, and random negatives.

Variants (Table 4 of the paper):
- `hq`: positives are high-quality code files (`yuxiang630/hqcode` by default).
- `hqins` (the default): HQ files plus instruction data (Magicoder OSS-Instruct-75K, StarCoder2
  self-OSS-instruct).
- `ins`: files an LLM rated at least 3.5 for educational value, plus instruction data.
- `edu`: a regression head on the LLM's 1-5 educational-value ratings.
Negatives are random stage-1 `files/` documents, with a disjoint held-out sample for validation.

A source is `{type: hub, id, revision, split, template}`, `{type: local, path, template}` or one of the
offline stand-ins below. Offline stand-ins (never benchmark data, which is what validation measures):
- `stdlib_hq`: standard-library modules that have a module docstring and their own `test/test_<name>.py`
  suite: documented, tested, reviewed code, like HQ files.
- `package_instructions`: instruction/response pairs built from the documented functions of installed
  packages: the docstring's summary becomes the instruction, the function's source the response,
  in the shape of OSS-Instruct's problem/solution pairs.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import importlib.util
import json
import random
import sysconfig
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

VARIANTS: dict[str, dict[str, Any]] = {
    "hq": {"positives": ("hq",), "head": "classification"},
    "hqins": {"positives": ("hq", "ins"), "head": "classification"},
    "ins": {"positives": ("edu_high", "ins"), "head": "classification"},
    "edu": {"positives": (), "head": "regression"},
}
EDU_POSITIVE_MIN = 3.5
DEFAULT_SOURCES = {
    "hq": [{"type": "hub", "id": "yuxiang630/hqcode", "split": "train", "template": "{code}"}],
    "ins": [
        {"type": "hub", "id": "ise-uiuc/Magicoder-OSS-Instruct-75K", "split": "train", "template": "{problem}\n\n{solution}"},
        {"type": "hub", "id": "bigcode/self-oss-instruct-sc2-exec-filter-50k", "split": "train",
         "template": "{instruction}\n\n{response}"},
    ],
}  # fmt: skip
INSTRUCTION_PACKAGES = ("rich", "jinja2", "yaml", "tqdm", "matplotlib", "numpy")


def check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"`variant` must be one of {', '.join(VARIANTS)}, got {variant!r}.")
    return variant


def text_id(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def stdlib_hq(limit: int, seed: int = 0, max_chars: int = 60_000) -> list[str]:
    """Standard-library modules with a module docstring and their own test suite (a seeded random
    sample; only as many modules are parsed as the sample needs)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    tests = stdlib / "test"
    paths = [p for p in sorted(stdlib.glob("*.py"))
             if (tests / f"test_{p.stem.lstrip('_')}.py").exists() and p.stat().st_size <= max_chars]  # fmt: skip
    random.Random(seed).shuffle(paths)
    texts = []
    for path in paths:
        if len(texts) >= limit:
            break
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            if ast.get_docstring(ast.parse(text)):
                texts.append(text)
        except SyntaxError:
            continue  # a module this interpreter cannot parse is not an example of good code
    return texts


def _documented_functions(source: str) -> Iterator[tuple[str, str]]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
            doc = ast.get_docstring(node)
            body = ast.get_source_segment(source, node, padded=True)
            body = textwrap.dedent(body) if body else body
            if doc and body and 3 <= body.count("\n") <= 60:
                yield doc.strip().split("\n\n")[0], body


def package_instructions(limit: int, seed: int = 0, packages=INSTRUCTION_PACKAGES) -> list[str]:
    """Instruction/response pairs from documented public functions of installed packages (a seeded
    random sample of modules, at most 3 pairs from each, parsed only until the sample is full)."""
    paths = []
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        root = Path(next(iter(spec.submodule_search_locations)))
        paths += [p for p in sorted(root.rglob("*.py")) if "test" not in p.name and "tests" not in p.parts]
    random.Random(seed).shuffle(paths)
    pairs: list[str] = []
    for path in paths:
        if len(pairs) >= limit:
            break
        for summary, body in list(_documented_functions(path.read_text(encoding="utf-8", errors="replace")))[:3]:
            name = body.split("(", 1)[0].split()[-1]
            pairs.append(f"### Instruction\nWrite a Python function `{name}`. {summary}\n\n"
                         f"### Response\n```python\n{body}\n```\n")  # fmt: skip
    return pairs[:limit]


def _read_local(path: Path, template: str) -> Iterator[dict]:
    from snowcoder_hf.pipeline.document_files import find_document_files

    for file in find_document_files(path):
        if file.name.endswith(".parquet"):
            import pyarrow.parquet as pq

            yield from pq.read_table(file).to_pylist()
            continue
        with gzip.open(file, "rt") if file.name.endswith(".gz") else open(file) as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def load_source(spec: dict[str, Any], limit: int, seed: int = 0) -> list[str]:
    """The texts of one positive source (see the module docstring for the accepted forms)."""
    kind = spec.get("type")
    if kind == "stdlib_hq":
        return stdlib_hq(limit, seed)
    if kind == "package_instructions":
        return package_instructions(limit, seed, spec.get("packages", INSTRUCTION_PACKAGES))
    template = spec.get("template", "{text}")
    if kind == "local":
        rows = _read_local(Path(spec["path"]), template)
    elif kind == "hub":
        import datasets

        rows = datasets.load_dataset(spec["id"], revision=spec.get("revision"), split=spec.get("split", "train"),
                                     streaming=True)  # fmt: skip
    else:
        raise ValueError(f"source `type` must be hub, local, stdlib_hq or package_instructions, got {kind!r}.")
    texts = []
    for row in rows:
        try:
            texts.append(template.format(**row))
        except KeyError as err:
            raise ValueError(
                f"source `template` {template!r} names {err}, which the rows lack: {sorted(row)}."
            ) from err
        if len(texts) >= limit:
            break
    return texts


def sample_negatives(
    files_dir: str | Path, n_train: int, n_heldout: int, seed: int = 0
) -> tuple[list[dict], list[dict]]:
    """Two disjoint random samples of stage-1 per-file documents (reservoir sampling over one pass)."""
    from snowcoder_hf.pipeline.document_files import find_document_files

    rng, want, reservoir, seen = random.Random(seed), n_train + n_heldout, [], 0
    for file in find_document_files(files_dir):
        for record in _read_local(file, "{text}"):
            if not isinstance(record.get("text"), str) or not record["text"].strip():
                continue
            seen += 1
            if len(reservoir) < want:
                reservoir.append(record)
            elif (j := rng.randrange(seen)) < want:
                reservoir[j] = record
    rng.shuffle(reservoir)
    return reservoir[:n_train], reservoir[n_train:]
