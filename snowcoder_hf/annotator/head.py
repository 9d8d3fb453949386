"""The linear head on frozen embeddings: logistic for HQ/INS/HQINS, ridge regression for EDU.

Trained with scikit-learn on chunk embeddings (every chunk carries its file's label), stored as one
weight vector and a bias so that scoring needs only numpy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEAD_KINDS = ("classification", "regression")


@dataclass
class LinearHead:
    """`score(x) = sigmoid(x @ weight + bias)` (classification) or `x @ weight + bias` (regression)."""

    kind: str
    weight: np.ndarray
    bias: float

    def __post_init__(self):
        if self.kind not in HEAD_KINDS:
            raise ValueError(f"`kind` must be one of {', '.join(HEAD_KINDS)}, got {self.kind!r}.")
        self.weight = np.asarray(self.weight, dtype=np.float32).reshape(-1)

    def __call__(self, embeddings: np.ndarray) -> np.ndarray:
        embeddings = np.asarray(embeddings, dtype=np.float32).reshape(-1, self.weight.shape[0])
        logits = embeddings @ self.weight + np.float32(self.bias)
        if self.kind == "regression":
            return logits.astype(np.float64)
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / "head.json"
        path.write_text(json.dumps({"kind": self.kind, "bias": float(self.bias), "weight": self.weight.tolist()}))
        return path

    @classmethod
    def load(cls, folder: str | Path) -> LinearHead:
        path = Path(folder) / "head.json"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing: {folder} is not an annotator folder.")
        data = json.loads(path.read_text())
        return cls(kind=data["kind"], weight=np.asarray(data["weight"], dtype=np.float32), bias=float(data["bias"]))


def train_head(
    embeddings: np.ndarray, targets: np.ndarray, kind: str = "classification", *, c: float = 1.0, seed: int = 0
) -> LinearHead:
    """Fit the head. `targets` are 0/1 labels (classification) or ratings (regression); `c` is the
    inverse regularization strength (ridge uses `alpha = 1 / c`). Classes are balanced by weight."""
    if kind not in HEAD_KINDS:
        raise ValueError(f"`kind` must be one of {', '.join(HEAD_KINDS)}, got {kind!r}.")
    if c <= 0:
        raise ValueError(f"`c` must be positive, got {c}.")
    x = np.asarray(embeddings, dtype=np.float32)
    y = np.asarray(targets)
    if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"`embeddings` must be (n, dim) with n == len(targets) > 0, got {x.shape} and {len(y)}.")
    if kind == "classification":
        from sklearn.linear_model import LogisticRegression

        if len(np.unique(y)) != 2:
            raise ValueError("`targets` must hold both classes (0 and 1) to train a classification head.")
        model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", random_state=seed)
        model.fit(x, y.astype(int))
        return LinearHead(kind, model.coef_[0], float(model.intercept_[0]))
    from sklearn.linear_model import Ridge

    model = Ridge(alpha=1.0 / c)
    model.fit(x, y.astype(np.float64))
    return LinearHead(kind, model.coef_, float(model.intercept_))
