"""End to end against a real server: `transformers serve` with SmolLM2-135M-Instruct on 127.0.0.1."""

from __future__ import annotations

import pytest

from snowcoder_hf.stages.stage3_data import run_stage3
from snowcoder_hf.standins.transformers_serve import serve_local_model
from snowcoder_hf.synth.config import Stage3Config


@pytest.mark.slow
@pytest.mark.timeout(1800)  # GGUF conversion, server start and CPU decoding; minutes on a busy 2-core box
def test_oss_instruct_runs_against_transformers_serve_with_smollm2(tmp_path, stdlib_dir, smollm2_gguf):
    from test_synth_failures import read_set, write_seeds

    seeds = write_seeds(tmp_path / "seeds", stdlib_dir, python=2, javascript=0)
    with serve_local_model(tmp_path / "cache", threads=1) as server:
        config = Stage3Config(output=str(tmp_path / "out"), input=str(seeds), endpoint=server.base_url,
                              model=server.model, num_samples=2, concurrency=2, max_tokens=64, temperature=0.7,
                              seed_policy="snippet", decontaminate=["humaneval"], min_lines=1,
                              show_progress=False)  # fmt: skip
        result = run_stage3(config)
    # two real answers came back and each was either kept as parsed code or rejected under a reason
    assert result.generation["successful_requests"] == 2
    assert result.generation["completion_tokens"] > 0
    assert result.kept + sum(v for k, v in result.reasons.items() if not k.startswith("seed_")) == 2
    for doc in read_set(tmp_path / "out").values():
        compile(doc["text"], doc["id"], "exec")
        assert doc["metadata"]["model"] == server.model
