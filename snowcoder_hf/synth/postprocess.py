"""Post-processing of raw generations into the stage-3 set: validate, exact dedup, near dedup, decontaminate.

`SyntheticOutputFilter` turns each raw rollout into a document (the extracted file, or the whole
textbook section) with full provenance, or drops it under a reason. The dedup and decontamination
steps are the project's own blocks (`snowcoder_hf.pipeline`), run as their DataTrove stages.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from snowcoder_hf.synth.oss_instruct import seed_text_of
from snowcoder_hf.synth.prompts import fence_tag
from snowcoder_hf.synth.validate import code_blocks, parses, validate_generation

_EXTENSIONS = {"Python": "py", "JavaScript": "js", "TypeScript": "ts", "Java": "java", "C++": "cpp", "C": "c",
               "C#": "cs", "Go": "go", "Rust": "rs", "Ruby": "rb", "PHP": "php", "Shell": "sh"}  # fmt: skip


class SyntheticOutputFilter(BaseFilter):
    """Validate a raw generation (see `snowcoder_hf.synth.validate`) and rewrite it as a stage-3 document.

    Textbook sections keep their prose and need at least one fenced block, all of whose blocks in the
    section's language parse (`syntax_error` otherwise). Exercises also run their own doctests in the
    sandbox (`exercise_*` reasons)."""

    name = "✅ Synthetic validation"

    def __init__(self, provenance: dict, exclusion_writer=None, min_lines: int = 3, echo_threshold: float = 0.5,
                 exercise_timeout_s: float = 10.0):  # fmt: skip
        super().__init__(exclusion_writer=exclusion_writer)
        self.provenance = dict(provenance)
        self.min_lines = min_lines
        self.echo_threshold = echo_threshold
        self.exercise_timeout_s = exercise_timeout_s

    def _textbook_reason(self, text: str, language: str) -> str | None:
        fence = fence_tag(language)
        blocks = [code for tag, code in code_blocks(text) if tag in (fence, "py")]
        if not blocks:
            return "no_code"
        return None if all(parses(code, language) is not False for code in blocks) else "syntax_error"

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        meta = doc.metadata
        results = meta.get("generation") or [{"status": "failed", "error": "no rollout result"}]
        generation, kind, language = results[0], meta.get("kind"), meta.get("language", "Python")
        seed = seed_text_of(doc.text) if kind == "oss_instruct" else ""
        reason, code, parsed = validate_generation(generation, language, fence_tag(language), seed,
                                                   min_lines=1 if kind == "textbook" else self.min_lines,
                                                   echo_threshold=self.echo_threshold,
                                                   require_fence=kind == "textbook")  # fmt: skip
        if reason is None and kind == "textbook":
            code = generation["text"].strip()
            reason = self._textbook_reason(code, language)
        if reason is None and kind == "exercises":
            from snowcoder_hf.synth.exercises import check_exercise

            reason = check_exercise(code, meta["function_name"], timeout_s=self.exercise_timeout_s)
        if reason is not None:
            if generation.get("status") != "ok":
                meta["error"] = generation.get("error")
            return False, reason
        if parsed is None and kind != "textbook":
            self.stat_update("parse_unchecked")
        usage = generation.get("usage") or {}
        doc.metadata = {
            "repo": f"synthetic/{kind}", "path": f"{doc.id}.{_EXTENSIONS.get(language, 'txt') if kind != 'textbook' else 'md'}",
            "language": language, "license": None, "size": len(code.encode("utf-8", "surrogatepass")),
            **{k: v for k, v in meta.items() if k not in ("generation", "sampling_seed")},
            **self.provenance,
            "sampling": {**self.provenance.get("sampling", {}), "seed": meta["sampling_seed"]},
            "prompt_tokens": usage.get("prompt_tokens"), "completion_tokens": usage.get("completion_tokens"),
        }  # fmt: skip
        doc.text = code
        return True


def _run(pipeline, executor_config, logging_dir, **overrides) -> None:
    from snowcoder_hf.common.executors import build_executor

    build_executor(pipeline, executor_config, str(logging_dir), **overrides).run()


def postprocess(raw_dir: Path, output_dir: Path, work_dir: Path, provenance: dict, *, benchmarks: list[str],
                benchmark_dir: str | None, executor_config: dict | None, near_dedup_threshold: float = 0.7,
                min_lines: int = 3) -> list[Path]:  # fmt: skip
    """Run validation -> exact dedup -> near dedup -> decontamination; return the stats folders in order."""
    from datatrove.pipeline.writers import JsonlWriter

    from snowcoder_hf.dedup.minhash import CodeMinhashConfig
    from snowcoder_hf.pipeline.document_files import DocumentFileReader, removed_writer
    from snowcoder_hf.pipeline.exact_dedup import ExactDedupCluster, ExactDedupFilter, ExactDedupSignature
    from snowcoder_hf.pipeline.near_dedup import (
        CodeMinhashBuckets,
        CodeMinhashCluster,
        CodeMinhashFilter,
        CodeMinhashSignature,
    )

    post = work_dir / "post"
    for stale in (post, output_dir / "synthetic", output_dir / "removed"):
        shutil.rmtree(stale, ignore_errors=True)  # cheap to redo; never mix with an older pass
    single = {"tasks": 1, "workers": 1}
    minhash = CodeMinhashConfig(threshold=near_dedup_threshold)
    logs = [post / "logs" / name for name in ("validate", "exact_cluster", "exact_filter", "minhash_buckets",
                                               "minhash_cluster", "final")]  # fmt: skip

    def has_documents(folder: Path) -> bool:
        return any(folder.glob("*.jsonl.gz"))

    ran = [logs[0]]
    _run([DocumentFileReader(str(raw_dir)),
          SyntheticOutputFilter(provenance, exclusion_writer=removed_writer(output_dir, "validation"), min_lines=min_lines),
          ExactDedupSignature(str(post / "exact")), JsonlWriter(str(post / "validated"))],
         executor_config, logs[0], **single)  # fmt: skip
    if not has_documents(post / "validated"):
        (output_dir / "synthetic").mkdir(parents=True, exist_ok=True)
        return ran  # everything was rejected: nothing left to deduplicate
    _run([ExactDedupCluster(str(post / "exact"))], None, logs[1], **single)
    _run([DocumentFileReader(str(post / "validated")),
          ExactDedupFilter(str(post / "exact"), exclusion_writer=removed_writer(output_dir, "exact_dedup")),
          CodeMinhashSignature(str(post / "minhash"), config=minhash), JsonlWriter(str(post / "exact_deduped"))],
         None, logs[2], **single)  # fmt: skip
    _run([CodeMinhashBuckets(str(post / "minhash"), config=minhash)], None, logs[3], **single)
    _run([CodeMinhashCluster(str(post / "minhash"), config=minhash)], None, logs[4], **single)
    final = [
        DocumentFileReader(str(post / "exact_deduped")),
        CodeMinhashFilter(str(post / "minhash"), exclusion_writer=removed_writer(output_dir, "near_dedup")),
    ]
    if benchmarks:
        from snowcoder_hf.pipeline.decont import BenchmarkDecontaminationFilter

        final.append(BenchmarkDecontaminationFilter(benchmarks, benchmark_dir=benchmark_dir, mode="filter",
                                                    exclusion_writer=removed_writer(output_dir, "decontamination")))  # fmt: skip
    final.append(JsonlWriter(str(output_dir / "synthetic"), output_filename="${rank}.jsonl.gz"))
    _run(final, None, logs[5], **single)
    (output_dir / "synthetic").mkdir(parents=True, exist_ok=True)
    return logs
