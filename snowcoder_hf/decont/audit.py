"""phi-1's pruning audit: each document's nearest benchmark problems by embedding similarity, and how much
their syntax trees agree.

The AST match rate of two Python snippets is the `difflib` ratio of their pre-order node-type sequences
(names, attributes, constant values and docstrings left out, so renaming does not change it). A document longer than
one function is compared function by function, and its best function counts. phi-1 pruned its exercises
at match rates from 0.95 down to 0.8 and re-evaluated; the report gives the counts at those thresholds.
"""

from __future__ import annotations

import ast
import difflib
import html
from dataclasses import dataclass, field

import numpy as np

from snowcoder_hf.decont.normalize import parse_python, remove_docstrings
from snowcoder_hf.decont.sources import full_solution
from snowcoder_hf.evalsets.registry import BenchmarkItem

AST_THRESHOLDS = (0.95, 0.9, 0.85, 0.8)
_MAX_NODES = 4000  # difflib is quadratic in the worst case; a longer sequence is cut


def ast_signature(node: ast.AST) -> list[str]:
    out: list[str] = []
    stack = [node]
    while stack and len(out) < _MAX_NODES:
        current = stack.pop()
        out.append(type(current).__name__)
        stack.extend(reversed(list(ast.iter_child_nodes(current))))
    return out


def snippet_signatures(code: str) -> list[list[str]]:
    """Signatures of a snippet's functions (the whole module too when short); empty if it does not parse."""
    tree = parse_python(code)
    if tree is None:
        return []
    remove_docstrings(tree)  # prose, not structure: the text match covers it
    functions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    signatures = [ast_signature(f) for f in functions]
    if len(code) < 4000 or not functions:
        signatures.append(ast_signature(tree))
    return signatures


def ast_match_rate(a: list[list[str]], b: list[list[str]]) -> float:
    """Best ratio over every pair of signatures; 0.0 when either side has none."""
    best = 0.0
    for sa in a:
        for sb in b:
            if min(len(sa), len(sb)) / max(len(sa), len(sb), 1) <= best:
                continue  # the ratio cannot beat `best`
            best = max(best, difflib.SequenceMatcher(None, sa, sb, autojunk=False).ratio())
    return best


@dataclass
class AuditRow:
    doc_id: str
    text: str
    neighbors: list[dict] = field(default_factory=list)  # {benchmark, task_id, similarity, ast_match}

    @property
    def best_ast_match(self) -> float:
        return max((n["ast_match"] for n in self.neighbors), default=0.0)

    @property
    def best_similarity(self) -> float:
        return max((n["similarity"] for n in self.neighbors), default=0.0)


def benchmark_text(item: BenchmarkItem) -> str:
    return full_solution(item) if item.solution.strip() else item.prompt


def audit(docs: list[tuple[str, str]], items: list[BenchmarkItem], encode, top_k: int = 5) -> list[AuditRow]:
    """Nearest `top_k` items of each `(doc_id, text)` by cosine similarity of `encode(texts) -> array`, with
    the AST match rate to each."""
    if top_k < 1:
        raise ValueError(f"`top_k` must be at least 1, got {top_k}.")
    item_texts = [benchmark_text(it) for it in items]
    item_vectors = _normalized(encode(item_texts))
    doc_vectors = _normalized(encode([text for _, text in docs]))
    item_signatures: dict[int, list[list[str]]] = {}
    rows = []
    for (doc_id, text), vector in zip(docs, doc_vectors, strict=True):
        similarity = item_vectors @ vector
        nearest = np.argsort(-similarity)[:top_k]
        doc_signatures = snippet_signatures(text)
        row = AuditRow(doc_id, text)
        for i in nearest.tolist():
            if i not in item_signatures:
                item_signatures[i] = snippet_signatures(item_texts[i])
            row.neighbors.append({"benchmark": items[i].benchmark, "task_id": items[i].task_id,
                                  "similarity": round(float(similarity[i]), 4),
                                  "ast_match": round(ast_match_rate(doc_signatures, item_signatures[i]), 4),
                                  "text": item_texts[i]})  # fmt: skip
        rows.append(row)
    return rows


def _normalized(vectors) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def threshold_counts(rows: list[AuditRow], thresholds=AST_THRESHOLDS) -> dict[float, int]:
    return {t: sum(row.best_ast_match >= t for row in rows) for t in thresholds}


def _cell(text: str, limit: int = 1800) -> str:
    text = text if len(text) <= limit else text[:limit] + "\n..."
    return f"<pre>{html.escape(text)}</pre>"


def render_report(rows: list[AuditRow], encoder_name: str, benchmarks: list[str], pairs: int = 20) -> str:
    """Markdown: counts at the AST thresholds, then the closest pairs side by side."""
    lines = ["# Benchmark similarity audit (phi-1 pruning)", "",
             (f"{len(rows):,} documents against {', '.join(benchmarks)}; encoder `{encoder_name}`; AST match rate "
             "= difflib ratio of name-free AST node sequences, best function."), "",
             "| AST match rate >= | documents | share |", "|---|---|---|"]  # fmt: skip
    for threshold, count in threshold_counts(rows).items():
        share = count / len(rows) if rows else 0.0
        lines.append(f"| {threshold:.2f} | {count:,} | {share:.2%} |")
    ranked = sorted(rows, key=lambda r: (r.best_ast_match, r.best_similarity), reverse=True)[:pairs]
    lines += ["", f"## The {len(ranked)} closest pairs", ""]
    for row in ranked:
        top = max(row.neighbors, key=lambda n: (n["ast_match"], n["similarity"]))
        lines += [(f"### `{row.doc_id}` ~ {top['benchmark']} `{top['task_id']}`: AST match {top['ast_match']:.3f}, "
                  f"cosine {top['similarity']:.3f}"), "",
                  "<table><tr><th>document</th><th>benchmark</th></tr>",
                  f"<tr><td>{_cell(row.text)}</td><td>{_cell(top['text'])}</td></tr></table>", ""]  # fmt: skip
    return "\n".join(lines) + "\n"
