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


def _cell_source(cell: dict, nbformat: int) -> str:
    source = cell.get("source", cell.get("input", ""))  # nbformat 2 and 3 name code `input`
    if not isinstance(source, list):
        return str(source)
    # From nbformat 3 on, each line of a list keeps its newline; nbformat 2 stored them without (its reader
    # joins with "\n"), and joining those with "" glues a cell into one line.
    return ("\n" if nbformat < 3 else "").join(str(line) for line in source)


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def notebook_language(notebook: dict) -> str:
    """The kernel's language; metadata of the wrong shape (a string where a mapping belongs) counts as absent."""
    metadata = _mapping(notebook.get("metadata"))
    kernel = _mapping(metadata.get("kernelspec"))
    language = _mapping(metadata.get("language_info")).get("name") or kernel.get("language")
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
    if cells is None:  # nbformat 2 and 3 keep cells under worksheets
        if not all(
            isinstance(sheet, dict) and isinstance(sheet.get("cells", []), list) for sheet in notebook["worksheets"]
        ):
            raise NotebookError("a worksheet that is not an object with a `cells` list")
        cells = [cell for sheet in notebook["worksheets"] for cell in sheet.get("cells", [])]
    nbformat = notebook.get("nbformat") if isinstance(notebook.get("nbformat"), int) else 4
    prefix = _COMMENT_PREFIX.get(notebook_language(notebook), "#")
    blocks = []
    for cell in cells:
        if not isinstance(cell, dict):
            raise NotebookError("a cell that is not an object")
        source = _cell_source(cell, nbformat)
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
