"""phi-1 textbook sections: topic x audience x style x constraint, sampled per request."""

from __future__ import annotations

import random

from datatrove.data import Document

from snowcoder_hf.synth.fingerprint import sampling_seed
from snowcoder_hf.synth.prompts import axes, fence_tag, render

AXES = ("topics", "audiences", "styles", "constraints")


def plan_textbook(
    num_samples: int, run_seed: int = 0, language: str = "Python", prompt: str = "textbook"
) -> list[Document]:
    lists = axes("textbook")
    missing = [name for name in AXES if not lists.get(name)]
    if missing:
        raise ValueError(f"textbook_axes.yaml needs non-empty lists {missing}.")
    rng = random.Random(f"textbook:{run_seed}")
    requests = []
    for index in range(num_samples):
        choice = {name: rng.choice(lists[name]) for name in AXES}
        request_id = f"textbook-{index:07d}"
        text = render(prompt, language=language, fence=fence_tag(language), topic=choice["topics"],
                      audience=choice["audiences"], style=choice["styles"], constraint=choice["constraints"])  # fmt: skip
        requests.append(Document(text=text, id=request_id, metadata={
            "kind": "textbook", "prompt_name": prompt, "language": language, "topic": choice["topics"],
            "audience": choice["audiences"], "style": choice["styles"], "constraint": choice["constraints"],
            "sample_index": index, "sampling_seed": sampling_seed(run_seed, request_id),
        }))  # fmt: skip
    return requests
