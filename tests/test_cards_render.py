import pytest
from huggingface_hub import DatasetCard, ModelCard

from snowcoder_hf.hub.cards import CARD_KINDS, render_card, split_front_matter, write_card


def _context(**overrides):
    context = {
        "title": "snowcoder tiny alpha",
        "summary": "Stage-1 model trained on repo-level documents.",
        "license": "apache-2.0",
        "tags": ["code", "arctic-snowcoder"],
        "lineage": [{"role": "dataset", "id": "org/stage1-data", "revision": "0123abcd"}],
        "command": "accelerate launch recipes/stage1.py --config recipes/configs/tiny/stage1.yaml",
        "config": "learning_rate: 5.3e-4\nwarmup_steps: 600\n",
    }
    context.update(overrides)
    return context


@pytest.mark.parametrize("kind", CARD_KINDS)
def test_every_card_kind_renders_lineage_command_config_and_versions(kind):
    card = render_card(kind, _context())
    meta, body = split_front_matter(card)
    assert meta["license"] == "apache-2.0"
    assert meta["tags"] == ["code", "arctic-snowcoder"]
    assert "| dataset | `org/stage1-data` | `0123abcd` |" in body
    assert "accelerate launch recipes/stage1.py --config recipes/configs/tiny/stage1.yaml" in body
    assert "warmup_steps: 600" in body
    assert "- huggingface_hub " in body
    assert "- python " in body


def test_dataset_card_records_counts_tokens_and_parquet_config():
    counts = [{"block": "exact_dedup", "in": 1200, "kept": 1000, "dropped": 200, "reasons": {"duplicate": 200}}]
    card = render_card("dataset", _context(counts=counts, tokens=1_234_567))
    meta, body = split_front_matter(card)
    assert "| exact_dedup | 1,200 | 1,000 | 200 | duplicate=200 |" in body
    assert "**Tokens:** 1,234,567" in body
    assert meta["configs"][0]["data_files"][0]["path"] == "data/*.parquet"
    # huggingface_hub's own card class parses the front matter into known fields.
    assert DatasetCard(card).data.license == "apache-2.0"


def test_model_card_eval_results_become_a_model_index_the_hub_parses():
    results = [{"task": "humaneval_plus", "metric": "pass@1", "value": 0.125}]
    card = render_card("model", _context(base_model="org/alpha", eval_results=results))
    parsed = ModelCard(card).data
    assert parsed.base_model == "org/alpha"
    assert parsed.eval_results[0].metric_value == pytest.approx(0.125)
    assert parsed.eval_results[0].dataset_type == "humaneval_plus"
    assert "| humaneval_plus | pass@1 | 0.125 |" in card


def test_card_without_eval_results_says_not_evaluated():
    assert "Not evaluated yet." in render_card("model", _context())


def test_missing_required_key_is_an_error_naming_it():
    context = _context()
    del context["lineage"]
    with pytest.raises(ValueError, match="`lineage`"):
        render_card("model", context)


def test_misspelled_key_is_rejected_instead_of_rendering_empty():
    with pytest.raises(ValueError, match="unknown keys \\['eval_result'\\]"):
        render_card("model", _context(eval_result=[]))


def test_malformed_list_item_is_rejected():
    with pytest.raises(ValueError, match="`counts`"):
        render_card("dataset", _context(counts=[{"block": "x", "kept": 1}]))


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="`kind`"):
        render_card("space", _context())


def test_template_typo_fails_under_strict_undefined(tmp_path, monkeypatch):
    import jinja2

    from snowcoder_hf.hub import cards

    (tmp_path / "model.md.jinja").write_text("---\n{{ front_matter }}\n---\n{{ titel }}\n")
    monkeypatch.setattr(cards, "template_dir", lambda: tmp_path)
    with pytest.raises(jinja2.UndefinedError, match="titel"):
        render_card("model", _context())


def test_token_in_command_or_summary_never_reaches_the_card(tmp_path):
    secret = "hf_" + "a1B2c3D4" * 5
    context = _context(command=f"snowcoder hub push out --token {secret}", summary=f"made with {secret}")
    path = write_card(tmp_path, "model", context)
    text = path.read_text()
    assert secret not in text
    assert "--token <redacted>" in text
