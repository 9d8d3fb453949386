"""The unbiased pass@k estimator (Chen et al. 2021): 1 - C(n-c, k) / C(n, k) per task, averaged."""

from __future__ import annotations

from collections.abc import Iterable


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of `k` samples drawn from `n` (of which `c` pass) passes."""
    if not 0 <= c <= n:
        raise ValueError(f"`c` must be between 0 and n={n}, got {c}.")
    if not 1 <= k <= n:
        raise ValueError(f"`k` must be between 1 and n={n}, got {k}.")
    if n - c < k:
        return 1.0
    result = 1.0
    for i in range(n - c + 1, n + 1):  # numerically stable product form
        result *= 1.0 - k / i
    return 1.0 - result


def mean_pass_at_k(counts: Iterable[tuple[int, int]], k: int = 1) -> float:
    """Mean pass@k over tasks given `(n_samples, n_correct)` per task; greedy pass@1 is `(1, 0|1)`."""
    values = [pass_at_k(n, c, k) for n, c in counts]
    if not values:
        raise ValueError("`counts` is empty: no task was scored.")
    return sum(values) / len(values)
