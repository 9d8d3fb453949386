"""Jupyter notebooks as scripts: code cells verbatim, markdown cells as comments, outputs dropped.

The Stack stores notebooks as their raw JSON; a model should see the code and the prose around it, not
base64 images and execution counts. Comment syntax follows the kernel language when the notebook says it.
"""

from __future__ import annotations

import json

_COMMENT_PREFIX = {"python": "#", "r": "#", "julia": "#", "ruby": "#", "bash": "#", "scala": "//", "kotlin": "//",
                   "javascript": "//", "typescript": "//", "java": "//", "c++": "//", "go": "//", "rust": "//",
                   "csharp": "//", "c#": "//", "sql": "--"}  # fmt: skip


class NotebookError(ValueError):
    """The text is not a notebook this converter understands."""


def _cell_source(cell: dict) -> str:
    source = cell.get("source", cell.get("input", ""))  # nbformat 3 names code `input`
    if not isinstance(source, list):
        return str(source)
    lines = [str(line) for line in source]
    # nbformat 3 and later keep each line's newline; older writers stored bare lines, which must not be glued.
    bare = len(lines) > 1 and not any(line.endswith("\n") for line in lines[:-1])
    return "\n".join(lines) if bare else "".join(lines)


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}  # invalid metadata (e.g. a string kernelspec) says nothing


def notebook_language(notebook: dict) -> str:
    metadata = _mapping(notebook.get("metadata"))
    language = _mapping(metadata.get("language_info")).get("name") or _mapping(metadata.get("kernelspec")).get(
        "language"
    )
    return str(language or "python").lower()


def notebook_to_script(text: str) -> str:
    """Convert notebook JSON to a script; raises `NotebookError` when `text` is not a notebook."""
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as err:
        raise NotebookError(f"not valid JSON: {err}") from err
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells", notebook.get("worksheets")), list):
        raise NotebookError("no `cells` list")
    cells = notebook.get("cells")
    if cells is None:  # nbformat 3 keeps cells under worksheets
        cells = [cell for sheet in notebook["worksheets"] for cell in sheet.get("cells", [])]
    prefix = _COMMENT_PREFIX.get(notebook_language(notebook), "#")
    blocks = []
    for cell in cells:
        if not isinstance(cell, dict):
            raise NotebookError("a cell that is not an object")
        source = _cell_source(cell)
        if not source.strip():
            continue
        if cell.get("cell_type") == "code":
            blocks.append(source.rstrip())
        elif cell.get("cell_type") in ("markdown", "raw", "heading"):
            blocks.append("\n".join(f"{prefix} {line}".rstrip() for line in source.rstrip().splitlines()))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def looks_like_notebook(text: str) -> bool:
    """Cheap check before parsing: notebook JSON starts with `{` and names its cells."""
    head = text.lstrip()[:4096]
    return head.startswith("{") and ('"cells"' in head or '"worksheets"' in head or '"nbformat"' in text[-2048:])
