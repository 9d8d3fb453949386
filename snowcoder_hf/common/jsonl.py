"""JSON Lines read leniently: blank lines skipped, lines that are not UTF-8 JSON counted by reason, never fatal."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any


def json_records(lines: Iterable[bytes], dropped: dict[str, int]) -> Iterator[Any]:
    """Each parsed line of `lines` (raw bytes); a malformed one adds 1 to `dropped["malformed_json"]`."""
    for raw in lines:
        if not raw.strip():
            continue
        try:
            yield json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            dropped["malformed_json"] = dropped.get("malformed_json", 0) + 1
