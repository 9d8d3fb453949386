"""The Jinja templates of the model, dataset and annotator cards, installed as `snowcoder_hf.model_cards`."""
