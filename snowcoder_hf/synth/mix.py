"""The stage-3 language mix (Python raised to about half, the rest in stage-1 proportions) and the
mixing config the training recipe reads (`mixture.yaml`)."""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

logger = logging.getLogger(__name__)


def target_language_mix(base: dict[str, float], python_share: float = 0.5, anchor: str = "Python") -> dict[str, float]:
    """`anchor` gets `python_share`; every other language keeps its share of the rest, in `base` proportions.

    Without the anchor in `base`, the base proportions are returned normalized: a mix cannot be raised
    toward a language there are no seeds for.
    """
    if not 0.0 <= python_share <= 1.0:
        raise ValueError(f"`python_share` must be in [0, 1], got {python_share}.")
    positive = {lang: float(v) for lang, v in base.items() if v and v > 0}
    if not positive:
        raise ValueError("`base` language proportions are empty: no seeds with a language to mix.")
    others = {lang: v for lang, v in positive.items() if lang != anchor}
    if anchor not in positive:
        total = sum(others.values())
        return {lang: v / total for lang, v in others.items()}
    if not others:
        return {anchor: 1.0}
    rest = sum(others.values())
    mix = {anchor: python_share}
    mix.update({lang: (1.0 - python_share) * v / rest for lang, v in others.items()})
    return mix


def allocate(total: int, mix: dict[str, float]) -> dict[str, int]:
    """Split `total` requests by `mix` with largest remainders, so the counts sum to `total` exactly."""
    if total < 0:
        raise ValueError(f"`num_samples` must be >= 0, got {total}.")
    norm = sum(mix.values())
    exact = {lang: total * share / norm for lang, share in mix.items()}
    counts = {lang: int(value) for lang, value in exact.items()}
    leftover = total - sum(counts.values())
    for lang in sorted(exact, key=lambda k: (-(exact[k] - counts[k]), k))[:leftover]:
        counts[lang] += 1
    return {lang: n for lang, n in counts.items() if n}


def write_mixture(output_dir: str | Path, synthetic_weight: float = 1.0,
                  replay: list[dict] | None = None, synthetic_kept: int | None = None) -> Path:  # fmt: skip
    """Write `OUT/mixture.yaml`: the synthetic set, plus optionally replayed stage-2 data.

    `replay` items are `{path, weight, repeat}`; weights are relative sampling weights. A run that kept no
    synthetic file (`synthetic_kept == 0`: every answer failed validation) leaves the synthetic source out, with
    a warning, so the final stage trains on the replay alone; with no replay either the mixture lists no source,
    and the final stage's pre-compute check says so in one line."""
    sources = []
    if synthetic_kept == 0:
        logger.warning("stage 3 kept no synthetic file (see %s/report.md for the drop reasons): mixture.yaml "
                       "lists the replayed data only", output_dir)  # fmt: skip
    else:
        sources.append({"path": "synthetic", "weight": float(synthetic_weight), "repeat": 1})
    for item in replay or []:
        unknown = set(item) - {"path", "weight", "repeat"}
        if unknown or "path" not in item:
            raise ValueError(f"`replay` items are {{path, weight, repeat}}, got {item!r}.")
        sources.append({"path": str(item["path"]), "weight": float(item.get("weight", 1.0)),
                        "repeat": int(item.get("repeat", 1))})  # fmt: skip
    path = Path(output_dir) / "mixture.yaml"
    path.write_text(yaml.safe_dump({"sources": sources}, sort_keys=False))
    return path
