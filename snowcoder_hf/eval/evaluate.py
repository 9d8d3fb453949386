"""One call from a checkpoint (or served model, or sample file) to scored results and a report."""

from __future__ import annotations

from pathlib import Path

from snowcoder_hf.eval.harness import HarnessConfig
from snowcoder_hf.eval.report import eval_results, write_report
from snowcoder_hf.eval.scoring import score_samples, summarize

DEFAULT_TASKS = "humaneval_plus,mbpp_plus,evoeval,bigcodebench"


def generate_samples(model: str | None, tasks: str, benchmark_dir: str | None, *, gguf_file: str | None = None,
                     endpoint: str | None = None, limit: int | None = None, batch_size: int = 8,
                     max_new_tokens: int = 768, style: str = "auto", task_ids: list[str] | None = None) -> list[dict]:  # fmt: skip
    """Greedy samples for `tasks` from a local/Hub checkpoint (transformers) or an `endpoint`."""
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
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer, lm = generation.load_model(model, gguf_file, device)
    chosen_style = default_style(tokenizer) if style == "auto" else style
    return generation.generate(items, tokenizer, lm, chosen_style, batch_size, max_new_tokens, paper=False)


def evaluate_samples(samples: list[dict], benchmark_dir: str | None, output: str | Path, model: str,
                     config: HarnessConfig | None = None, extra_rows: list[dict] | None = None) -> dict:  # fmt: skip
    """Score `samples`, write the report into `output`; returns the summary."""
    from tqdm import tqdm

    with tqdm(total=len(samples), desc="checking", unit="task") as bar:
        results, programs, _ = score_samples(samples, benchmark_dir, config, progress=bar.update)
    summary = summarize(results)
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
