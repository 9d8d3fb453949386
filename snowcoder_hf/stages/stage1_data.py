"""Stage-1 data: read -> language id -> heuristics -> exact dedup -> near dedup -> decontaminate ->
repo-level documents -> tokenizer -> packed token shards, as DataTrove stages on the configured executor.

    from snowcoder_hf.stages.stage1_data import run_stage1
    from snowcoder_hf.stages.stage1_config import load_config
    result = run_stage1(load_config("recipes/configs/tiny/stage1_data.yaml"))

Output folder: files/ (curated per-file documents), documents/ (repo-level), tokenizer/ (when trained),
tokens/ (DataTrove token shards), removed/ (every dropped document with its reason), stats/ (DataTrove
logs, one folder per stage), summary.json, report.md and PNG charts. work/ holds intermediate shards.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from snowcoder_hf.stages.stage1_config import Stage1Config, resolve_roots


@dataclass
class Stage1Result:
    output_dir: Path
    counts: list[dict[str, Any]]
    tokens: int
    languages: dict[str, int]
    seconds: float
    stage_seconds: dict[str, float] = field(default_factory=dict)
    tokenizer_dir: Path | None = None


def _source_steps(config: Stage1Config, removed) -> list:
    source = config.source
    if source.type == "local":
        from snowcoder_hf.common.languages import PAPER_LANGUAGES
        from snowcoder_hf.pipeline.readers import SourceTreeReader

        return [SourceTreeReader(resolve_roots(source.roots), languages=source.languages or list(PAPER_LANGUAGES),
                                 exclusion_writer=removed("reader"), max_file_bytes=source.max_file_bytes,
                                 max_files=source.max_files, respect_gitignore=source.respect_gitignore,
                                 progress=True)]  # fmt: skip
    if not source.dataset:
        raise ValueError(f"`source.dataset` must name a {'Hub dataset' if source.type == 'hub' else 'path'}.")
    if source.type == "files":
        from snowcoder_hf.pipeline.document_files import DocumentFileReader

        return [DocumentFileReader(source.dataset, exclusion_writer=removed("reader"), limit=source.limit)]
    from snowcoder_hf.pipeline.hub_readers import THE_STACK_COLUMNS, CodeColumnsAdapter, hub_code_reader

    adapter = CodeColumnsAdapter(text_column=source.text_column, columns=source.columns or dict(THE_STACK_COLUMNS))
    return [hub_code_reader(source.dataset, split=source.split, data_dir=source.data_dir, adapter=adapter,
                            limit=source.limit)]  # fmt: skip


def _decontamination(config: Stage1Config, removed) -> list:
    decont = config.decontamination
    if not decont.enabled:
        return []
    try:
        from snowcoder_hf.pipeline.decont import BenchmarkDecontaminationFilter
    except ImportError as err:
        raise ValueError(
            f"`decontamination.enabled` is true but the decontamination block cannot be imported "
            f"({err}); install `pip install snowcoder_hf[pipeline]` or set it to false."
        ) from err
    return [BenchmarkDecontaminationFilter(decont.benchmarks, benchmark_dir=decont.benchmark_dir, mode=decont.mode,
                                           exclusion_writer=removed("decontamination"), **decont.options)]  # fmt: skip


def _optional_filters(config: Stage1Config, removed) -> list:
    """The blocks a config switches on after the heuristics: licences, syntax validity, then redaction."""
    steps = []
    if config.licenses.enabled:
        from snowcoder_hf.licensing import PERMISSIVE_DEFAULT
        from snowcoder_hf.licensing.repo import RepoLicenseResolver
        from snowcoder_hf.pipeline.licenses import LicenseAnnotator, LicenseFilter
        from snowcoder_hf.stages.stage1_config import resolve_roots

        lic = config.licenses
        roots = resolve_roots(config.source.roots) if config.source.type == "local" else []
        resolvers = [RepoLicenseResolver(r["path"], r.get("layout", "repos"), name=r.get("name")) for r in roots]
        steps += [LicenseAnnotator(resolver=resolvers or None, prefer=lic.prefer),
                  LicenseFilter(allow=lic.allow or PERMISSIVE_DEFAULT, keep_unknown=lic.keep_unknown,
                                exclusion_writer=removed("licenses"))]  # fmt: skip
    if config.syntax.enabled:
        from snowcoder_hf.pipeline.syntax import SyntaxValidityFilter

        syn = config.syntax
        steps.append(SyntaxValidityFilter(syn.max_error_fraction, syn.per_language, syn.languages,
                                          annotate_only=syn.annotate_only, exclusion_writer=removed("syntax")))  # fmt: skip
    if config.redact.enabled:
        from snowcoder_hf.pipeline.redact import SecretsRedactor

        steps.append(SecretsRedactor(kinds=config.redact.kinds, **config.redact.options))
    return steps


def _dedup_layout(config: Stage1Config) -> str:
    """`one_pass` on one machine (hash and sign in one read, filter in one write); the 4-stage layout for clusters."""
    layout = config.dedup.layout
    if layout not in ("auto", "one_pass", "stages"):
        raise ValueError(f"`dedup.layout` must be auto, one_pass or stages, got {layout!r}.")
    if config.dedup.level not in ("file", "repo"):
        raise ValueError(f"`dedup.level` must be file or repo, got {config.dedup.level!r}.")
    if layout == "auto":
        return "one_pass" if str(config.executor.get("type", "local")) == "local" else "stages"
    return layout


def build_stages(config: Stage1Config) -> list:
    """The DataTrove stages up to repo-level documents (tokenization follows the tokenizer's training)."""
    from datatrove.pipeline.writers import JsonlWriter

    from snowcoder_hf.pipeline.document_files import removed_writer
    from snowcoder_hf.pipeline.filters import CodeHeuristicFilter, LanguageIdentifier
    from snowcoder_hf.pipeline.repo_docs import RepoDocuments, RepoShardAssigner
    from snowcoder_hf.pipeline.spread_shards import SpreadShardAssigner
    from snowcoder_hf.stages.dedup import dedup_stages
    from snowcoder_hf.stages.runner import Stage

    out = Path(config.output_dir)
    work = out / "work"

    def removed(block: str):
        return removed_writer(out, block)

    source = _source_steps(config, removed)
    languages = config.source.languages
    steps = [*source, LanguageIdentifier(languages=languages, exclusion_writer=removed("language_id"))]
    if config.heuristics.enabled:
        steps.append(CodeHeuristicFilter(config.heuristics.default or None, config.heuristics.per_language,
                                         exclusion_writer=removed("heuristics")))  # fmt: skip
    steps.extend(_optional_filters(config, removed))
    repo = config.repo_documents
    final = [*_decontamination(config, removed), JsonlWriter(str(out / "files"), output_filename="${rank}.jsonl.gz"),
             RepoShardAssigner(config.tasks, repo.group_by),
             JsonlWriter(str(work / "by_repo"), output_filename="${repo_shard}/${rank}.jsonl.gz")]  # fmt: skip
    dedup = config.dedup
    if not dedup.exact and not dedup.near:
        from snowcoder_hf.stages.runner import Stage

        stages = [Stage("curate", [*steps, *final], config.tasks)]
    else:
        stages = dedup_stages(steps, final, work, out, config.tasks, threshold=dedup.threshold,
                              exact_only=not dedup.near,
                              minhash_options={"num_perm": dedup.num_perm, "n_grams": dedup.n_grams,
                                               "verify": dedup.verify},
                              removed_writer_factory=removed, layout=_dedup_layout(config),
                              level=dedup.level)  # fmt: skip
    documents = RepoDocuments(group_by=repo.group_by, repo_marker=repo.repo_marker, file_marker=repo.file_marker,
                              max_chars=repo.max_chars, seed=repo.seed, shard_folder=str(work / "by_repo"),
                              file_order=repo.file_order)  # fmt: skip
    # Spread over tasks x tasks files: one repository can be most of a corpus, and the tokenize stage's reader
    # deals whole files, so task r reads part r of every repo_documents task's output instead of one task's all.
    spread = [SpreadShardAssigner(config.tasks), JsonlWriter(str(out / "documents"),
                                                             output_filename="${rank}_${part_shard}.jsonl.gz")]  # fmt: skip
    stages.append(Stage("repo_documents", [documents, *spread], config.tasks))
    return stages


def _ensure_tokenizer(config: Stage1Config, out: Path) -> Path | None:
    tok = config.tokenizer
    if not tok.enabled:
        return None
    if not tok.train:
        return Path(tok.path)
    target = out / "tokenizer"
    marker = target / ".complete"
    if marker.exists():  # a resumed run keeps the tokenizer it already trained
        return target
    if config.executor.get("type", "local") != "local":
        raise ValueError(
            "`tokenizer.train` needs the documents on this machine: train with `snowcoder tokenizer "
            "train` after the cluster run, then set `tokenizer.path` and `tokenizer.train: false`."
        )
    from snowcoder_hf.training.tokenizer import iter_document_texts, train_tokenizer

    train_tokenizer(iter_document_texts(out / "documents", tok.max_chars), target, tok.vocab_size, tok.min_frequency)
    marker.write_text("trained\n")
    return target


def _tokenize_stage(config: Stage1Config, tokenizer_dir: Path):
    from snowcoder_hf.pipeline.document_files import DocumentFileReader
    from snowcoder_hf.pipeline.tokenize import CodeDocumentTokenizer
    from snowcoder_hf.stages.runner import Stage

    out = Path(config.output_dir)
    return Stage("tokenize", [DocumentFileReader(str(out / "documents")),
                              CodeDocumentTokenizer(str(out / "tokens"), tokenizer_dir,
                                                    seed=config.repo_documents.seed)], config.tasks)  # fmt: skip


def run_stage1(config: Stage1Config) -> Stage1Result:
    """Run the whole stage-1 chain; a re-run after a kill resumes and gives the same output.

    Locally the stages run in turn and the report is written at the end. On Slurm or Ray the stages are
    submitted as one dependent chain (tokenizing with `tokenizer.path`) and the result holds no counts
    yet: re-run the same command once the jobs are done to write the report (finished tasks are skipped).
    """
    from snowcoder_hf.stages.runner import run_stages
    from snowcoder_hf.stages.stage1_report import collect_counts, write_report

    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(config), indent=2, default=str))
    start = time.perf_counter()
    stages = build_stages(config)
    timings = []
    if config.executor.get("type", "local") != "local":
        tokenizer_dir = _ensure_tokenizer(config, out)  # raises when it would have to train here
        if tokenizer_dir is not None:
            stages.append(_tokenize_stage(config, tokenizer_dir))
        if not all((out / "stats" / s.name / "stats").is_dir() for s in stages):
            timings = run_stages(stages, config.executor, out / "stats").timings
            return Stage1Result(out, [], 0, {}, time.perf_counter() - start, {t.name: t.seconds for t in timings},
                                tokenizer_dir)  # fmt: skip
    else:
        timings = run_stages(stages, config.executor, out / "stats").timings
        tokenizer_dir = _ensure_tokenizer(config, out)
        if tokenizer_dir is not None:
            stages.append(_tokenize_stage(config, tokenizer_dir))
            timings += run_stages(stages[-1:], config.executor, out / "stats").timings
    counts, tokens, languages = collect_counts(out, [s.name for s in stages])
    result = Stage1Result(out, counts, tokens, languages, time.perf_counter() - start,
                          {t.name: t.seconds for t in timings}, tokenizer_dir)  # fmt: skip
    write_report(result, config)
    return result
