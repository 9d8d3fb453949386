"""Pre-generated samples: read, turn into solution programs, write.

A sample file is JSONL with `task_id`, `benchmark` and either `completion` (continued from the
prompt; chat-style samples, `prompt_style: "chat"`, hold the model's code instead) or `solution` (a
full program, which wins). Bad lines are counted and reported, never silently dropped.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from snowcoder_hf.common.jsonl import json_records

_FENCE = re.compile(r"```(?:python|py|Python)?\n(.*?)(?:```|$)", re.DOTALL)


@dataclass
class SampleFile:
    samples: list[dict]
    dropped: dict[str, int] = field(default_factory=dict)


def read_samples(path: str | Path) -> SampleFile:
    """Read a samples JSONL; lines that are not JSON objects with the needed keys are counted by reason."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`--samples` {path} is not a file.")
    result = SampleFile([])
    with open(path, "rb") as handle:
        for record in json_records(handle, result.dropped):
            if not isinstance(record, dict) or not record.get("task_id") or not record.get("benchmark"):
                result.dropped["missing_task_id_or_benchmark"] = (
                    result.dropped.get("missing_task_id_or_benchmark", 0) + 1
                )
                continue
            if not isinstance(record.get("solution", record.get("completion")), str):
                result.dropped["missing_completion"] = result.dropped.get("missing_completion", 0) + 1
                continue
            result.samples.append(record)
    return result


def extract_code(text: str) -> str:
    """The longest fenced code block of a chat reply, or the text itself."""
    blocks = _FENCE.findall(text)
    return max(blocks, key=len) if blocks else text


def _syntax_ok(code: str) -> bool:
    try:
        ast.parse(code)
        return True
    except SyntaxError:
        return False


def sanitize(code: str, entry_point: str | None) -> str:
    """Keep imports, and the functions, classes and assignments at top level; drop the rest (prints,
    asserts, `if __name__ == "__main__"` blocks). Like EvalPlus's sanitizer, code that does not parse is
    cut back to its longest parsing prefix of lines."""
    code = extract_code(code)
    if not _syntax_ok(code):
        lines = code.splitlines()
        for end in range(len(lines), 0, -1):
            if _syntax_ok("\n".join(lines[:end])):
                code = "\n".join(lines[:end])
                break
        else:
            return code
    tree = ast.parse(code)
    keep = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
            ast.AnnAssign)  # fmt: skip
    lines = code.splitlines()
    parts = []
    for node in tree.body:
        if isinstance(node, keep):
            start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            parts.append("\n".join(lines[start - 1 : node.end_lineno]))
    return "\n".join(parts) + "\n"


def solution_program(item, sample: dict) -> str:
    """The program to check: `solution`; else, for chat samples, the sanitized code with the prompt's
    imports put first; else the prompt followed by the completion."""
    from snowcoder_hf.eval.jobs import program_for
    from snowcoder_hf.eval.prompts import task_text

    if isinstance(sample.get("solution"), str):
        return sample["solution"]
    if sample.get("prompt_style") == "chat":
        return chat_solution(task_text(item), sample["completion"], item.entry_point)
    return program_for(item, completion=sample["completion"])


def chat_solution(prompt: str, completion: str, entry_point: str | None) -> str:
    """A chat reply as a program: the prompt's imports (a chat model rarely repeats them), then the code."""
    code = sanitize(completion, entry_point)
    try:
        tree = ast.parse(prompt)
    except SyntaxError:
        return code
    imports = [ast.get_source_segment(prompt, n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return "\n".join([*imports, code]) if imports else code


def write_samples(path: str | Path, rows: list[dict]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    return path
