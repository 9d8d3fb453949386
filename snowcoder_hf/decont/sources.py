"""What of a benchmark item counts as leaked: its prompt, its full canonical solution and its test code.

Shared by the index (what is stored) and the planted-leak corpus (what is planted), so the two agree on
what "the solution" of a HumanEval-style completion or a BigCodeBench task is.
"""

from __future__ import annotations

import ast
import re

from snowcoder_hf.decont.normalize import docstrings, parse_python
from snowcoder_hf.evalsets.registry import BenchmarkItem

_TRIPLE_QUOTED_RE = re.compile(r'"""(.*?)"""|\'\'\'(.*?)\'\'\'', re.DOTALL)
_COMPLETION_STYLE = ("humaneval", "evoeval")


def full_solution(item: BenchmarkItem) -> str:
    """The solution as a complete program: prompt + completion for completion-style benchmarks."""
    if isinstance(item.raw.get("complete_prompt"), str):
        return item.raw["complete_prompt"] + item.solution
    if item.benchmark.startswith(_COMPLETION_STYLE):
        return item.prompt + item.solution
    return item.solution


def item_test_code(item: BenchmarkItem, max_inputs: int = 20) -> str:
    """The item's test code; for EvoEval, which ships inputs instead, calls of the entry point on them."""
    if item.test:
        return item.test
    inputs = item.raw.get("inputs")
    if isinstance(inputs, list) and item.entry_point:
        return "\n".join(f"{item.entry_point}({value})" for value in inputs[:max_inputs] if isinstance(value, str))
    return ""


def problem_statement(item: BenchmarkItem) -> str:
    """The natural-language statement of the problem: the docstring(s) of a code prompt, else the prompt."""
    prompt = item.raw.get("complete_prompt") if isinstance(item.raw.get("complete_prompt"), str) else item.prompt
    found = docstrings(prompt)
    if found:
        return "\n".join(found)
    quoted = [a or b for a, b in _TRIPLE_QUOTED_RE.findall(prompt)]
    return "\n".join(quoted) if quoted else prompt


def problem_statements(item: BenchmarkItem) -> list[str]:
    """Every natural-language task text of `item`: its statement, and BigCodeBench's instruct prompt as released."""
    found = [problem_statement(item)]
    instruct = item.raw.get("instruct_prompt")
    if isinstance(instruct, str) and instruct.strip():
        found.append(instruct)
    return found


def task_group(item: BenchmarkItem) -> str:
    """Items that are versions of one problem (HumanEval/HumanEval+ and the EvoEval children of a HumanEval
    task) share a group, so a line they share is not counted as shared by many problems."""
    parent = item.raw.get("parent") or item.raw.get("p1")
    return str(parent) if parent else item.task_id


def is_python(code: str) -> bool:
    return isinstance(parse_python(code), ast.Module)
