"""The Arctic-SnowCoder paper's Table 2 (pass@1, greedy): the rows our results are placed beside."""

from __future__ import annotations

COLUMNS = ("humaneval_plus", "mbpp_plus", "evoeval", "bigcodebench")
HEADERS = {"humaneval_plus": "HumanEval+", "mbpp_plus": "MBPP+", "evoeval": "EvoEval", "bigcodebench": "BigCodeBench"}

# (model, training tokens, {column: pass@1 in percent}) as printed in arXiv 2409.02326, Table 2.
PAPER_ROWS = [
    ("Arctic-SnowCoder-alpha", "500B", (14.0, 27.8, 7.4, 10.3)),
    ("Arctic-SnowCoder-beta", "+50B", (21.3, 34.7, 12.8, 12.3)),
    ("Arctic-SnowCoder-1.3B", "+5B", (28.0, 42.9, 18.0, 19.4)),
    ("Phi-1.5-1.3B", "150B", (31.7, 43.7, 20.6, 14.3)),
    ("StarCoderBase-3B", "1T", (17.7, 36.8, 11.6, 5.9)),
    ("StarCoder2-3B", "3.3T+", (27.4, 49.2, 19.0, 21.4)),
    ("DeepSeek-Coder-1.3B", "2T", (28.7, 48.1, 19.2, 22.2)),
    ("CodeGemma-2B-v1.1", "3.5T", (32.3, 48.9, 19.8, 28.0)),
]


def paper_rows() -> list[dict]:
    return [{"model": m, "tokens": t, "scores": dict(zip(COLUMNS, s, strict=True)), "source": "paper"}
            for m, t, s in PAPER_ROWS]  # fmt: skip
