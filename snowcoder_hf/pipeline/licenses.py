"""Licence blocks: `LicenseAnnotator` records each document's licence as SPDX, `LicenseFilter` keeps an allow list.

`LicenseAnnotator` reads the dataset's licence column (an SPDX string, a free-form name, or the-stack's
`max_stars_repo_licenses` list) and, when that names nothing, asks a per-repository resolver (by default
`RepoLicenseResolver`, which reads LICENSE / COPYING / package metadata / README files of a local checkout).
It writes `metadata["license"]` (an SPDX expression, or None), `metadata["license_source"]` and, when the
column said something else, `metadata["license_raw"]`. `LicenseFilter` drops `license_not_allowed` and
`license_unknown` (or keeps the unknown ones with `keep_unknown=True`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from snowcoder_hf.licensing import (
    PERMISSIVE_DEFAULT,
    LicenseResult,
    RepoLicenseResolver,
    license_from_column,
    normalize_expression,
    parse_expression,
    satisfies,
)

Resolver = Callable[[Mapping], "LicenseResult | None"]
PREFER = ("column", "resolver")


class LicenseAnnotator(PipelineStep):
    """Record `metadata["license"]` (SPDX) and `metadata["license_source"]` on every document.

    Args:
        resolver: a callable `metadata -> LicenseResult | None` (per repository; cache inside it), a folder of
            checkouts named like the documents' `repo` (read with `RepoLicenseResolver`), a list of those (the
            first that knows the repository answers), or None.
        column: the metadata key holding the dataset's licence value.
        prefer: `column` asks the resolver only when the column names no licence; `resolver` asks it first.
    """

    name = "⚖️ Licence annotator"
    type = "🏷️ - ANNOTATOR"

    def __init__(self, resolver: Resolver | str | list | None = None, column: str = "license",
                 prefer: str = "column"):  # fmt: skip
        super().__init__()
        resolvers = list(resolver) if isinstance(resolver, (list, tuple)) else [] if resolver is None else [resolver]
        resolvers = [RepoLicenseResolver(r) if isinstance(r, str) else r for r in resolvers]
        bad = [type(r).__name__ for r in resolvers if not callable(r)]
        if bad:
            raise ValueError(f"`resolver` must be a callable, a folder path, a list of those or None, got {bad[0]}.")
        self.resolvers = resolvers
        if not isinstance(column, str) or not column:
            raise ValueError(f"`column` must name a metadata key, got {column!r}.")
        if prefer not in PREFER:
            raise ValueError(f"`prefer` must be one of {', '.join(PREFER)}, got {prefer!r}.")
        self.column, self.prefer = column, prefer

    def _resolve(self, metadata: Mapping) -> LicenseResult | None:
        """The first resolver's answer that knows the repository (or the last reason none did)."""
        found = None
        for resolver in self.resolvers:
            found = resolver(metadata)
            if found is not None and (found.spdx or found.source != "repo_not_found"):
                return found
        return found

    def annotate(self, doc: Document) -> LicenseResult:
        raw = doc.metadata.get(self.column)
        from_column = license_from_column(raw)
        resolved = self._resolve(doc.metadata) if self.prefer == "resolver" or from_column is None else None
        if resolved is not None and resolved.spdx is None:  # keep why it failed ("repo_not_found") as the source
            result = from_column or resolved
        else:
            result = (from_column or resolved) if self.prefer == "column" else (resolved or from_column)
        result = result or LicenseResult(None, "none")
        if raw is not None and raw != result.spdx:
            doc.metadata["license_raw"] = list(raw) if isinstance(raw, tuple) else raw  # nothing said is lost
        doc.metadata["license"] = result.spdx
        doc.metadata["license_source"] = result.source
        return result

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                result = self.annotate(doc)
            self.stat_update("documents", "license_unknown" if result.spdx is None else "license_known")
            self.stat_update(f"license_source_{result.source.split(':')[0].split('->')[0]}")
            yield doc


class LicenseFilter(BaseFilter):
    """Keep documents whose `metadata["license"]` can be met with licences in `allow` (permissive by default,
    as The Stack kept): `MIT OR GPL-3.0-only` passes, `MIT AND GPL-3.0-only` does not. Drops with reasons
    `license_not_allowed` and `license_unknown` (kept and counted `kept_license_unknown` when `keep_unknown`)."""

    name = "⚖️ Licence filter"

    def __init__(self, allow: Iterable[str] = PERMISSIVE_DEFAULT, keep_unknown: bool = False,
                 column: str = "license", exclusion_writer: DiskWriter | None = None):  # fmt: skip
        super().__init__(exclusion_writer=exclusion_writer)
        if isinstance(allow, str):
            raise ValueError(f"`allow` must be a list of SPDX ids, got the string {allow!r}.")
        self.allow = frozenset(_allowed_id(a) for a in allow)
        if not self.allow:
            raise ValueError("`allow` must name at least one licence.")
        self.keep_unknown, self.column = bool(keep_unknown), column

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        spdx = normalize_expression(doc.metadata.get(self.column))
        if spdx is None:
            if self.keep_unknown:
                self.stat_update("kept_license_unknown")
                return True
            return False, "license_unknown"
        if satisfies(parse_expression(spdx), self.allow):
            return True
        return False, "license_not_allowed"


def _allowed_id(value: str) -> str:
    """One allow-list entry as its SPDX id; a misspelt entry is an error, not a licence that never matches."""
    spdx = normalize_expression(value) if isinstance(value, str) else None
    if spdx is None or " OR " in spdx or " AND " in spdx:
        raise ValueError(f"`allow` entries must be single SPDX licence ids (like `MIT`, `Apache-2.0`), got {value!r}.")
    return spdx
