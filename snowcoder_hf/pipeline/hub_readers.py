"""Hub code datasets in the-stack / starcoderdata shape, as a thin adapter over DataTrove's readers.

The adapter maps a dataset's columns (`content`, `max_stars_repo_name`, `max_stars_repo_path`, `lang`,
`max_stars_repo_licenses`, `max_stars_count`, ...) onto the project's document shape, and counts rows without
text as `empty_text` drops. A local parquet path goes through `BalancedParquetReader` (DataTrove's
`ParquetReader`, dealt out by row group); a Hub id through DataTrove's `HuggingFaceDatasetReader`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from snowcoder_hf.common.languages import EXTENSIONS, FILENAMES, PAPER_LANGUAGES, detect_language
from snowcoder_hf.pipeline.readers import stable_id

# The Stack v1/v2 column names; starcoderdata uses the same `max_stars_*` family.
THE_STACK_COLUMNS = {
    "repo": "max_stars_repo_name",
    "path": "max_stars_repo_path",
    "language": "lang",
    "license": "max_stars_repo_licenses",
    "stars": "max_stars_count",
    "forks": "max_forks_count",
}
_CANONICAL = {name.lower(): name for name in (*PAPER_LANGUAGES, *EXTENSIONS.values(), *FILENAMES.values())}
_CANONICAL.update({"jupyter": "Jupyter Notebook", "ipynb": "Jupyter Notebook", "c-sharp": "C#", "csharp": "C#",
                   "cpp": "C++", "js": "JavaScript", "ts": "TypeScript", "bash": "Shell", "golang": "Go"})  # fmt: skip


def canonical_language(value: Any, path: str | None = None) -> str | None:
    """The Stack's `lang` spellings (`python`, `c++`, `jupyter-scripts-python`) to the project's names."""
    if isinstance(value, str) and value.strip():
        key = value.strip().lower().replace("_", "-")
        if key in _CANONICAL:
            return _CANONICAL[key]
        if key.startswith("jupyter"):
            return "Jupyter Notebook"
        return value.strip()
    return detect_language(path) if path else None


@dataclass
class CodeColumnsAdapter:
    """A DataTrove reader `adapter`: one dataset row to `{text, id, metadata}` in the project's shape.

    `columns` maps metadata keys to dataset columns; columns absent from a row are left out. The id is
    a hash of repo and path when both exist, else DataTrove's `path/index` id.
    """

    text_column: str = "content"
    columns: dict[str, str] = field(default_factory=lambda: dict(THE_STACK_COLUMNS))
    language: str | None = None  # fixed language, for per-language data dirs (starcoderdata/python)

    def __call__(self, reader, data: dict, path: str, id_in_file: int | str) -> dict:
        text = data.get(self.text_column)
        if not text and hasattr(reader, "stat_update"):
            # DataTrove's readers skip a row without text silently; count it as the reader's drop instead.
            reader.stat_update("dropped", "dropped_empty_text")
        metadata: dict[str, Any] = {}
        for key, column in self.columns.items():
            if column in data and data[column] is not None:
                value = data[column]
                metadata[key] = list(value) if isinstance(value, tuple) else value
        if isinstance(metadata.get("license"), list) and len(metadata["license"]) == 1:
            metadata["license"] = metadata["license"][0]
        metadata["language"] = self.language or canonical_language(metadata.get("language"), metadata.get("path"))
        metadata["size"] = len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else 0
        if metadata.get("repo") and metadata.get("path"):
            doc_id = stable_id(str(metadata["repo"]), str(metadata["path"]))
        else:
            doc_id = f"{path}/{id_in_file}"
        if not isinstance(text, str) or not text:
            # DataTrove's readers skip a row without text silently; count it so no file vanishes unreported.
            if hasattr(reader, "stat_update"):
                reader.stat_update("skipped_empty" if text == "" or text is None else "skipped_not_text")
            text = ""
        return {"text": text, "id": doc_id, "metadata": metadata}


def hub_code_reader(
    source: str,
    *,
    split: str = "train",
    data_dir: str | None = None,
    adapter: CodeColumnsAdapter | None = None,
    streaming: bool = True,
    limit: int = -1,
    glob_pattern: str | None = None,
):
    """A DataTrove reader for a code dataset: a local parquet file/folder, or a Hub dataset id."""
    import os

    adapter = adapter or CodeColumnsAdapter()
    if os.path.exists(source):
        from snowcoder_hf.pipeline.parquet_shards import BalancedParquetReader

        if os.path.isfile(source):
            source, glob_pattern = os.path.dirname(source) or ".", os.path.basename(source)
        return BalancedParquetReader(source, glob_pattern=glob_pattern or "**/*.parquet", adapter=adapter,
                                     limit=limit, text_key=adapter.text_column)  # fmt: skip
    from datatrove.pipeline.readers import HuggingFaceDatasetReader

    options: dict[str, Any] = {"split": split}
    if data_dir:
        options["data_dir"] = data_dir
    return HuggingFaceDatasetReader(source, dataset_options=options, streaming=streaming, adapter=adapter,
                                    limit=limit, text_key=adapter.text_column)  # fmt: skip
