"""The stage-2 scoring run: chunk-averaged quality scores for every document, as a resumable DataTrove run."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def run_score(
    input_path: str,
    output: str,
    annotator: str,
    *,
    chunks: str | None = None,
    threshold: float | None = None,
    batch_size: int = 64,
    device: str | None = None,
    dtype: str = "auto",
    executor_config: dict[str, Any] | None = None,
    extra_steps: list | None = None,
) -> Path:
    """Score `input_path` into `output/kept/` (and `output/removed/`). Re-running the same command after a
    kill skips the tasks DataTrove recorded as complete. Returns the logging dir."""
    from snowcoder_hf.common.executors import build_executor
    from snowcoder_hf.pipeline.document_files import DocumentFileReader, kept_writer, removed_writer
    from snowcoder_hf.pipeline.quality import ChunkAveragedQualityFilter

    out = Path(output)
    pipeline = [
        DocumentFileReader(input_path, exclusion_writer=removed_writer(out, "read")),
        ChunkAveragedQualityFilter(
            annotator,
            threshold=threshold,
            chunks=chunks,
            batch_size=batch_size,
            device=device,
            dtype=dtype,
            exclusion_writer=removed_writer(out, "quality"),
        ),  # fmt: skip
        *(extra_steps or []),
        kept_writer(out),
    ]
    logging_dir = out / "stats" / "score"
    build_executor(pipeline, executor_config, str(logging_dir)).run()
    return logging_dir
