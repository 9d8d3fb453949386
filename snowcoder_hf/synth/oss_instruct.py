"""OSS-Instruct for pretraining (Arctic-SnowCoder phase 3): one request per (seed, sample).

Each request asks for a new, self-contained, problem-solving source file in the seed's language,
inspired by a top-scored document. A request is a DataTrove `Document` whose text is the user prompt
and whose metadata carries everything provenance needs.
"""

from __future__ import annotations

from datatrove.data import Document

from snowcoder_hf.synth.fingerprint import sampling_seed
from snowcoder_hf.synth.prompts import fence_tag, render
from snowcoder_hf.synth.seeds import Seed

SEED_BEGIN, SEED_END = "[BEGIN]\n", "\n[END]"


def plan_oss_instruct(
    selected: list[tuple[Seed, int]], run_seed: int = 0, prompt: str = "oss_instruct"
) -> list[Document]:
    requests = []
    for seed, sample_index in selected:
        request_id = f"oss-{seed.id}-{sample_index}"
        text = render(prompt, language=seed.language, fence=fence_tag(seed.language), seed=seed.text)
        requests.append(Document(text=text, id=request_id, metadata={
            "kind": "oss_instruct", "prompt_name": prompt, "language": seed.language, "seed_id": seed.id,
            "seed_quality_score": seed.quality_score, "sample_index": sample_index,
            "sampling_seed": sampling_seed(run_seed, request_id),
        }))  # fmt: skip
    return requests


def seed_text_of(prompt_text: str) -> str:
    """The seed a prompt was built from (for the echo check)."""
    start = prompt_text.rfind(SEED_BEGIN)
    end = prompt_text.rfind(SEED_END)
    return prompt_text[start + len(SEED_BEGIN) : end] if 0 <= start < end else ""
