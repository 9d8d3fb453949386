"""Stage-3 synthetic data: OSS-Instruct for pretraining, phi-1 textbook sections and exercises.

    from snowcoder_hf.stages.stage3_data import run_stage3
    from snowcoder_hf.synth.config import Stage3Config
    from snowcoder_hf.standins.transformers_serve import serve_local_model

Importing this package imports nothing heavy; each module pulls its own dependencies.
"""
