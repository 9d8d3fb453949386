"""The whole stage-2 data run in one call: build data, train variants, validate, score, select.

`recipes/stage2_data.py` parses a YAML into `Stage2DataConfig` and calls `run_stage2_data`; the demo
calls it directly.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Stage2DataConfig:
    stage1_dir: str = field(metadata={"help": "Stage-1 output folder (files/, summary.json, tokenizer/)."})
    output_dir: str = field(metadata={"help": "Stage-2 output folder."})
    encoder: str = field(default="Snowflake/snowflake-arctic-embed-m", metadata={"help": "Sentence encoder id."})
    encoder_revision: str | None = field(default=None, metadata={"help": "Encoder revision (pinned in the card)."})
    offline_sources: bool = field(default=False, metadata={"help": "Use the offline stand-ins for positives."})
    sources: str | None = field(default=None, metadata={"help": "YAML file of positive sources (else defaults)."})
    positives_limit: int = field(default=220_000, metadata={"help": "Records per positive source."})
    negatives: int = field(default=300_000, metadata={"help": "Random stage-1 files as training negatives."})
    heldout_negatives: int = field(default=10_000, metadata={"help": "Disjoint held-out negatives."})
    ratings: str | None = field(default=None, metadata={"help": "EDU ratings JSONL (for the ins/edu variants)."})
    variants: str = field(default="hqins,hq", metadata={"help": "Variants to train; the first one scores."})
    benchmarks: str = field(default="auto", metadata={"help": "ROC-AUC benchmarks; `auto`: each paper benchmark in "
                            "`benchmark_dir` (without one, HumanEval from its pip package)."})  # fmt: skip
    benchmark_dir: str | None = field(default=None, metadata={"help": "Offline benchmark release files."})
    chunks: str = field(default="top_middle_bottom", metadata={"help": "first | top_middle_bottom | all"})
    budget_tokens: int = field(default=12_500_000_000, metadata={"help": "Selected tokens before repetition."})
    repeat: int = field(default=4, metadata={"help": "Repetition factor for stage-2 training."})
    mix: str | None = field(default=None, metadata={"help": "Share overrides, e.g. python=0.5."})
    tokenizer: str | None = field(default=None, metadata={"help": "Training tokenizer (default stage1_dir/tokenizer)."})
    device: str | None = field(default=None, metadata={"help": "cpu, cuda... (default: GPU if any)."})
    dtype: str = field(default="auto", metadata={"help": "Encoder precision: auto (bf16 on GPU, fp32 on CPU), fast "
                       "(auto, but bf16 on a CPU with native bf16: about 1.8x), float32, bfloat16, float16."})  # fmt: skip
    tasks: int = field(default=1, metadata={"help": "DataTrove tasks for scoring and selection."})
    workers: int = field(default=1, metadata={"help": "Tasks run at once."})
    seed: int = field(default=0)


def run_stage2_data(cfg: Stage2DataConfig, command: str = "recipes/stage2_data.py") -> dict[str, Any]:
    from snowcoder_hf.annotator.encoder import ChunkEncoder
    from snowcoder_hf.annotator.sources import DEFAULT_SOURCES, check_variant
    from snowcoder_hf.annotator.training import build_training_data, train_annotator
    from snowcoder_hf.annotator.validate import run_validation
    from snowcoder_hf.stages.scoring import run_score
    from snowcoder_hf.stages.selection import stage1_mix

    start = time.perf_counter()
    timings: dict[str, float] = {}  # seconds per part, so a report can say where the time went
    mark = [start]

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - mark[0], 1)
        mark[0] = now

    stage1, out = Path(cfg.stage1_dir), Path(cfg.output_dir)
    variants = [check_variant(v.strip()) for v in cfg.variants.split(",") if v.strip()]
    if not variants:
        raise ValueError("`variants` must name at least one of hq, hqins, ins, edu.")
    tokenizer = Path(cfg.tokenizer) if cfg.tokenizer else stage1 / "tokenizer"
    if not tokenizer.exists():
        raise FileNotFoundError(f"training tokenizer {tokenizer} not found: set `tokenizer` in the config.")
    if cfg.sources:
        import yaml

        sources = yaml.safe_load(Path(cfg.sources).read_text())
    elif cfg.offline_sources:
        sources = {"hq": [{"type": "stdlib_hq"}], "ins": [{"type": "package_instructions"}]}
    else:
        sources = DEFAULT_SOURCES
    data = out / "annotator_data"
    build_training_data(data, stage1_files=stage1 / "files", sources=sources,
                        limits={"hq": cfg.positives_limit, "ins": cfg.positives_limit}, negatives=cfg.negatives,
                        heldout_negatives=cfg.heldout_negatives, ratings=cfg.ratings, seed=cfg.seed)  # fmt: skip
    lap("training data")
    encoder = ChunkEncoder(cfg.encoder, revision=cfg.encoder_revision, device=cfg.device, dtype=cfg.dtype)
    config_text = json.dumps(dataclasses.asdict(cfg), indent=2)
    folders = []
    for variant in variants:
        folder = out / "annotators" / variant
        train_annotator(data, variant, folder, encoder=cfg.encoder, encoder_revision=cfg.encoder_revision,
                        chunks=cfg.chunks, seed=cfg.seed, chunk_encoder=encoder, command=command,
                        config_text=config_text)  # fmt: skip
        folders.append(folder)
    lap("annotator training")
    table = run_validation(folders, data, cfg.benchmarks, cfg.benchmark_dir, out / "validation",
                           device=cfg.device, dtype=cfg.dtype, command=command)  # fmt: skip
    lap("validation")
    del encoder
    scored = out / "scored"
    run_score(str(stage1 / "files"), str(scored), str(folders[0]), chunks=cfg.chunks, device=cfg.device,
              dtype=cfg.dtype, executor_config={"type": "local", "tasks": cfg.tasks, "workers": cfg.workers})  # fmt: skip
    lap("scoring")
    from snowcoder_hf.pipeline.select import parse_mix
    from snowcoder_hf.stages.selection import run_selection

    default_mix = stage1_mix(stage1) if (stage1 / "summary.json").exists() else None
    selection = run_selection(scored / "kept", out, budget_tokens=cfg.budget_tokens, tokenizer_path=tokenizer,
                              repeat=cfg.repeat, mix=parse_mix(cfg.mix), default_mix=default_mix,
                              executor_config={"type": "local", "tasks": cfg.tasks, "workers": cfg.workers})  # fmt: skip
    lap("selection")
    summary = {"roc_auc": table, "selection": selection, "annotator": str(folders[0]),
               "seconds": round(time.perf_counter() - start, 1), "timings": timings}  # fmt: skip
    (out / "stage2_summary.json").write_text(json.dumps(summary, indent=2))
    return summary
