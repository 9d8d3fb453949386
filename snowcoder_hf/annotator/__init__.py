"""The stage-2 quality annotator: training sets, cached embeddings, linear heads, chunk-averaged scoring,
ROC-AUC alignment and per-language selection. `Annotator.load(path)` in `snowcoder_hf.annotator.model`
is the one call to load a trained annotator; importing this package imports nothing heavy."""
