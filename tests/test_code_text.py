import pytest

from snowcoder_hf.common.code_text import code_tokens, collapse_whitespace, lexical_tokens, normalize_code, word_ngrams


def test_code_tokens_keep_case_underscores_and_digits():
    assert code_tokens("def Foo_bar(x1, y=2):\n    return x1**2") == [
        "def",
        "Foo_bar",
        "x1",
        "y",
        "2",
        "return",
        "x1",
        "2",
    ]


def test_lexical_tokens_tell_operators_apart_and_ignore_spacing():
    assert lexical_tokens("a+b") == lexical_tokens("a + b") == ["a", "+", "b"]
    assert lexical_tokens("a - b") != lexical_tokens("a + b")


def test_normalize_code_ignores_line_endings_trailing_space_and_blank_lines_but_keeps_indentation():
    a = "\ufeffdef f():\r\n    return 1   \r\n\r\n\r\nprint(f())\r\n"
    b = "def f():\n    return 1\n\nprint(f())"
    assert normalize_code(a) == normalize_code(b)
    assert normalize_code("if x:\n    y()") != normalize_code("if x:\ny()")


def test_collapse_whitespace_joins_rewrapped_text():
    assert collapse_whitespace("Return the\n   sum of  a\tand b.") == "Return the sum of a and b."


def test_word_ngrams_of_a_short_sequence_is_the_sequence_itself():
    assert list(word_ngrams(["a", "b"], 5)) == [("a", "b")]
    assert list(word_ngrams([], 5)) == []
    assert list(word_ngrams(["a", "b", "c"], 2)) == [("a", "b"), ("b", "c")]
    with pytest.raises(ValueError, match="`n`"):
        list(word_ngrams(["a"], 0))
