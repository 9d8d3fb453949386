"""One call from a checkpoint (or served model, or sample file) to scored results and a report."""

from __future__ import annotations

from pathlib import Path

from snowcoder_hf.eval.harness import HarnessConfig
from snowcoder_hf.eval.report import eval_results, write_report
from snowcoder_hf.eval.scoring import score_samples, summarize

DEFAULT_TASKS = "humaneval_plus,mbpp_plus,evoeval,bigcodebench"


def generate_samples(model: str | None, tasks: str, benchmark_dir: str | None, *, gguf_file: str | None = None,
                     endpoint: str | None = None, limit: int | None = None, batch_size: int = 8,
                     max_new_tokens: int = 768, style: str = "auto", task_ids: list[str] | None = None,
                     loaded: tuple | None = None) -> list[dict]:  # fmt: skip
    """Greedy samples for `tasks` from a local/Hub checkpoint (transformers; `loaded` is its already loaded
    `(tokenizer, model)`) or an `endpoint`."""
    from snowcoder_hf.eval import generation
    from snowcoder_hf.eval.prompts import default_style
    from snowcoder_hf.evalsets.registry import expand_benchmarks, load_benchmark

    items = []
    for name in expand_benchmarks(tasks):
        chosen = load_benchmark(name, benchmark_dir)
        if task_ids:
            chosen = [item for item in chosen if item.task_id in task_ids]
        items.extend(chosen[:limit])
    if endpoint:
        return generation.generate_endpoint(items, endpoint, model or "tgi", max_new_tokens)
    if not model:
        raise ValueError("`--model` is required unless `--samples` or `--endpoint` is given.")
    tokenizer, lm = loaded or load_checkpoint(model, gguf_file)
    chosen_style = default_style(tokenizer) if style == "auto" else style
    return generation.generate(items, tokenizer, lm, chosen_style, batch_size, max_new_tokens, paper=False)


def load_checkpoint(model: str, gguf_file: str | None = None):
    """`(tokenizer, model)` on the GPU when there is one, else the CPU."""
    import torch

    from snowcoder_hf.eval import generation

    return generation.load_model(model, gguf_file, "cuda" if torch.cuda.is_available() else "cpu")


def evaluate_samples(samples: list[dict], benchmark_dir: str | None, output: str | Path, model: str,
                     config: HarnessConfig | None = None, extra_rows: list[dict] | None = None,
                     bits_per_byte: dict[str, dict] | None = None) -> dict:  # fmt: skip
    """Score `samples`, add `bits_per_byte` entries (`{benchmark: {"bits_per_byte": ...}}`) to the summary,
    write the report into `output`; returns the summary."""
    from tqdm import tqdm

    with tqdm(total=len(samples), desc="checking", unit="task") as bar:
        results, programs, _ = score_samples(samples, benchmark_dir, config, progress=bar.update)
    summary = merge_bits_per_byte(summarize(results), bits_per_byte or {})
    completions = [s.get("completion", s.get("solution", "")) for s in samples][: len(results)]
    write_report(output, model, results, programs, summary, completions, extra_rows=extra_rows)
    return summary


def evaluate_checkpoint(model: str, output: str | Path, *, tasks: str = "humaneval_plus",
                        benchmark_dir: str | None = None, gguf_file: str | None = None, limit: int | None = None,
                        task_ids: list[str] | None = None, max_new_tokens: int = 384,
                        config: HarnessConfig | None = None) -> dict:  # fmt: skip
    """Generate and score in one go (the demo uses a tiny fixed HumanEval+ subset via `task_ids`).
    Returns `{"summary": ..., "eval_results": [...]}`; `eval_results` goes into a card context."""
    samples = generate_samples(model, tasks, benchmark_dir, gguf_file=gguf_file, limit=limit, task_ids=task_ids,
                               max_new_tokens=max_new_tokens)  # fmt: skip
    summary = evaluate_samples(samples, benchmark_dir, output, model, config)
    return {"summary": summary, "eval_results": eval_results(summary)}


def merge_bits_per_byte(summary: dict[str, dict], bits_per_byte: dict[str, dict]) -> dict[str, dict]:
    """`summary` with each benchmark's bits per byte beside its pass@1; a benchmark measured only for bits per
    byte gets an entry with `pass@1: None` (so readers of pass@1 skip it)."""
    merged = {name: dict(entry) for name, entry in summary.items()}
    for name, entry in bits_per_byte.items():
        target = merged.setdefault(name, {"pass@1": None, "tasks": 0, "environment_missing": 0, "statuses": {}})
        target["bits_per_byte"] = entry.get("bits_per_byte")
        target["bits_per_byte_items"] = entry.get("items", 0)
        target.update({k: v for k, v in entry.items() if k in ("source", "dropped")})
    return merged


def evaluate_model(model: str | None, output: str | Path, *, tasks: str = DEFAULT_TASKS,
                   benchmark_dir: str | None = None, gguf_file: str | None = None, endpoint: str | None = None,
                   limit: int | None = None, batch_size: int = 8, max_new_tokens: int = 768,
                   bits_per_byte_tasks: str | None = "auto", bits_per_byte_limit: int | None = None,
                   reference_dir: str | None = None, reference_limit: int = 200, name: str | None = None,
                   config: HarnessConfig | None = None) -> dict:  # fmt: skip
    """Generate (the model loaded once), measure bits per byte on the canonical programs of
    `bits_per_byte_tasks` (`auto`: every paper benchmark reachable; None: none) and on `reference_dir`,
    score and write the report into `output`. Bits per byte needs the weights, so a served `endpoint`
    gets pass@1 only. Returns the summary."""
    loaded = load_checkpoint(model, gguf_file) if model and not endpoint else None
    samples = generate_samples(model, tasks, benchmark_dir, gguf_file=gguf_file, endpoint=endpoint, limit=limit,
                               batch_size=batch_size, max_new_tokens=max_new_tokens, loaded=loaded)  # fmt: skip
    if not samples:
        raise ValueError(f"no samples to score for `tasks` {tasks!r}.")
    measured = {}
    if loaded is not None:
        from snowcoder_hf.eval.bits_per_byte import benchmark_bits_per_byte, reference_bits_per_byte
        from snowcoder_hf.evalsets.available import resolve_benchmarks

        tokenizer, lm = loaded
        if bits_per_byte_tasks:
            names, _ = resolve_benchmarks(bits_per_byte_tasks, benchmark_dir)
            measured = benchmark_bits_per_byte(lm, tokenizer, names, benchmark_dir, limit=bits_per_byte_limit)
        if reference_dir:
            measured["reference"] = reference_bits_per_byte(lm, tokenizer, reference_dir, limit=reference_limit)
    return evaluate_samples(samples, benchmark_dir, output, name or model or endpoint, config,
                            bits_per_byte=measured)  # fmt: skip
