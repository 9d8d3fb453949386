"""A `JsonlWriter` whose gzip is fast: ISA-L's igzip at level 3 (python-isal), else zlib at level 6.

fsspec's gzip is Python's `GzipFile` at level 9 unless python-isal is installed; on code, zlib's level 9
compresses at about 17 MB/s, level 6 at 35 MB/s for files 0.5% larger, igzip level 3 at 260 MB/s for
files 13% larger than level 6 (measured in `benchmarks/results/dedup.md`). Writing the kept documents
was the largest cost of a dedup run. The files are ordinary `.jsonl.gz`: every gzip reader reads them.
"""

from __future__ import annotations

from datatrove.pipeline.writers import JsonlWriter
from fsspec.compression import compr, register_compression

try:  # python-isal: the same gzip format, compressed with ISA-L's SIMD deflate
    from isal import igzip as _gzip

    GZIP_LEVEL = 3
except ImportError:  # pragma: no cover - exercised where python-isal is not installed
    import gzip as _gzip

    GZIP_LEVEL = 6
COMPRESSION = f"gzip-fast-{GZIP_LEVEL}"


def open_gzip(infile, mode="rb", **kwargs):
    """A gzip stream over `infile` at this module's level (for writing; reading ignores the level)."""
    return _gzip.GzipFile(fileobj=infile, mode=mode, compresslevel=GZIP_LEVEL, **kwargs)


if COMPRESSION not in compr:  # registered on import, so unpickling the writer in a worker registers it too
    register_compression(COMPRESSION, open_gzip, [])


class GzipJsonlWriter(JsonlWriter):
    """DataTrove's `JsonlWriter` with `.jsonl.gz` output at the fast gzip level above."""

    def __init__(self, output_folder, output_filename: str = "${rank}.jsonl.gz", **kwargs):
        if not output_filename.endswith(".gz"):
            output_filename += ".gz"
        super().__init__(output_folder, output_filename=output_filename, compression=COMPRESSION, **kwargs)

    def _default_adapter(self, document) -> dict:
        """DataTrove's default record (`text`, `id`, `media`, `metadata`, empty ones left out) without
        `dataclasses.asdict`, whose deep copy of every document cost more than serializing it."""
        if document.media or self.expand_metadata:
            return super()._default_adapter(document)
        return {key: value for key, value in (("text", document.text), ("id", document.id),
                                              ("metadata", document.metadata)) if value}  # fmt: skip
