"""Client-side prompts for TGI's native route: the chat template, no doubled BOS, templates without a system role, raw."""

from __future__ import annotations

import pytest

from snowcoder_hf.synth.prompt_format import load_prompt_format

MESSAGES = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Write a sort."}]
LLAMA_LIKE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|eot|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
NO_SYSTEM = (
    "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
    "{% endif %}<turn>{{ m['role'] }}\n{{ m['content'] }}</turn>\n{% endfor %}<turn>model\n"
)


def _save(tiny_tokenizer_dir, tmp_path, template: str | None, adds_bos: bool):
    from tokenizers.processors import TemplateProcessing
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    if adds_bos:  # as Llama's tokenizer does: TGI then adds a BOS of its own to every native prompt
        bos = tokenizer.bos_token
        tokenizer.backend_tokenizer.post_processor = TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A $B", special_tokens=[(bos, tokenizer.bos_token_id)]
        )
    tokenizer.chat_template = template
    tokenizer.save_pretrained(tmp_path)
    return str(tmp_path)


def test_a_template_that_writes_bos_loses_it_when_the_tokenizer_adds_one(tiny_tokenizer_dir, tmp_path):
    path = _save(tiny_tokenizer_dir, tmp_path / "adds", LLAMA_LIKE, adds_bos=True)
    fmt = load_prompt_format("auto", path)
    prompt = fmt.render(MESSAGES)
    assert prompt == "<|system|>Be terse.<|eot|><|user|>Write a sort.<|eot|><|assistant|>"
    ids = fmt.tokenizer(prompt, add_special_tokens=True)["input_ids"]
    assert ids.count(fmt.tokenizer.bos_token_id) == 1  # what TGI will see: one BOS, not two
    assert fmt.count_tokens(prompt) == len(ids)
    kept = load_prompt_format("auto", _save(tiny_tokenizer_dir, tmp_path / "keeps", LLAMA_LIKE, adds_bos=False))
    assert kept.render(MESSAGES).startswith(kept.tokenizer.bos_token)
    assert fmt.identity()["chat_template_sha256"] == kept.identity()["chat_template_sha256"]


def test_a_template_without_a_system_role_gets_the_system_text_in_the_first_user_turn(tiny_tokenizer_dir, tmp_path):
    fmt = load_prompt_format("chat_template", _save(tiny_tokenizer_dir, tmp_path, NO_SYSTEM, adds_bos=False))
    assert fmt.render(MESSAGES) == "<turn>user\nBe terse.\n\nWrite a sort.</turn>\n<turn>model"


def test_auto_falls_back_to_raw_for_a_base_model_and_chat_template_insists(tiny_tokenizer_dir, tmp_path):
    path = _save(tiny_tokenizer_dir, tmp_path, None, adds_bos=False)
    fmt = load_prompt_format("auto", path)
    assert fmt.kind == "raw"
    assert fmt.render(MESSAGES) == "Be terse.\n\nWrite a sort."
    assert fmt.count_tokens("Be terse.") > 0  # the base model's tokenizer still counts
    with pytest.raises(ValueError, match="has no chat template"):
        load_prompt_format("chat_template", path)
    bare = load_prompt_format("raw", None)
    assert bare.render(MESSAGES) == "Be terse.\n\nWrite a sort."
    assert bare.count_tokens("x") is None


def test_a_missing_tokenizer_names_the_fix(tmp_path):
    with pytest.raises(ValueError, match=r"Cannot load the tokenizer .*prompt_format: raw"):
        load_prompt_format("auto", str(tmp_path / "missing"))
