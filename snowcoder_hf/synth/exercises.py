"""phi-1 CodeExercises: a Python function signature and docstring with doctest examples, then a solution.

Diversity comes from the topic and a constrained function name (verb_noun). An exercise is kept only
if it parses, defines the requested function, has examples, and its own examples pass when run in the
sandbox with a time limit.
"""

from __future__ import annotations

import ast
import random

from datatrove.data import Document

from snowcoder_hf.synth.fingerprint import sampling_seed
from snowcoder_hf.synth.prompts import axes, render

_DOCTEST_RUNNER = """

if __name__ == "__main__":
    import doctest as _doctest
    import sys as _sys

    _result = _doctest.testmod(optionflags=_doctest.NORMALIZE_WHITESPACE)
    print(f"doctests attempted={_result.attempted} failed={_result.failed}")
    _sys.exit(1 if _result.failed else (3 if not _result.attempted else 0))
"""


def plan_exercises(num_samples: int, run_seed: int = 0, prompt: str = "exercises") -> list[Document]:
    lists = axes("exercise")
    rng = random.Random(f"exercises:{run_seed}")
    names = [f"{verb}_{noun}" for verb in lists["verbs"] for noun in lists["nouns"]]
    rng.shuffle(names)  # distinct names first; reused only past len(verbs) * len(nouns) requests
    requests = []
    for index in range(num_samples):
        topic, difficulty = rng.choice(lists["topics"]), rng.choice(lists["difficulties"])
        name = names[index % len(names)]
        request_id = f"exercise-{index:07d}"
        text = render(prompt, topic=topic, function_name=name, difficulty=difficulty)
        requests.append(Document(text=text, id=request_id, metadata={
            "kind": "exercises", "prompt_name": prompt, "language": "Python", "topic": topic,
            "function_name": name, "difficulty": difficulty, "sample_index": index,
            "sampling_seed": sampling_seed(run_seed, request_id),
        }))  # fmt: skip
    return requests


def check_exercise(code: str, function_name: str, timeout_s: float = 10.0) -> str | None:
    """None when the exercise is sound, else the reason: `exercise_missing_function`,
    `exercise_no_examples`, `exercise_examples_fail` or `exercise_timeout`."""
    tree = ast.parse(code)
    functions = {
        node.name: node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    if function_name not in functions:
        return "exercise_missing_function"
    docstring = ast.get_docstring(functions[function_name]) or ""
    if ">>>" not in docstring:
        return "exercise_no_examples"
    from snowcoder_hf.eval.sandbox.runner import run_python

    result = run_python(code + _DOCTEST_RUNNER, timeout_s=timeout_s, memory_mb=1024)
    if result.status == "ok":
        return None
    if result.status == "timeout":
        return "exercise_timeout"
    if result.returncode == 3:
        return "exercise_no_examples"
    return "exercise_examples_fail"
