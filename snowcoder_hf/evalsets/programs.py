"""The canonical program of a benchmark item: its prompt joined to its reference solution.

The annotator's validation uses these texts as positives and the evaluation measures each
checkpoint's bits per byte on them, so both read the benchmarks the same way.
"""

from __future__ import annotations


def canonical_program(item) -> str:
    """`prompt + solution` where the solution completes the prompt (HumanEval-style, indented), else the
    prompt and the solution as two blocks (MBPP-style: a description, then the whole function)."""
    solution = item.solution or ""
    if solution.startswith((" ", "\t")):
        return item.prompt + solution
    return item.prompt.rstrip() + "\n\n" + solution
