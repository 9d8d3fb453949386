"""Is a matched value a real secret? Randomness, placeholder and template checks shared by the detectors."""

from __future__ import annotations

import math
import re
from collections import Counter
from operator import eq

# Normalized (lowercase, letters and digits only) values that are placeholders or public defaults, not secrets.
PLACEHOLDER_VALUES = frozenset({
    "changeme", "changeit", "changethis", "password", "passwd", "passw", "pass", "pwd", "secret", "secrets",
    "token", "apikey", "key", "none", "null", "nil", "undefined", "true", "false", "empty", "default", "dummy",
    "example", "sample", "test", "testing", "tester", "foo", "bar", "baz", "qux", "foobar", "admin",
    "administrator", "root", "guest", "user", "username", "login", "todo", "tbd", "fixme", "replaceme",
    "redacted", "hidden", "secretkey", "mysecret", "mypassword", "yourpassword", "yoursecret", "yourtoken",
    "yourkey", "yourapikey", "password1", "password123", "pass123", "letmein", "1234", "12345", "123456",
    "1234567", "12345678", "123456789", "1234567890", "0000", "00000000", "abc", "abc123", "abcd1234", "qwerty",
    "postgres", "mysql", "redis", "mongo", "rabbitmq", "sa", "xxx", "xxxx", "notset", "unset", "required",
    "optional", "string", "str", "value"
})  # fmt: skip
# Substrings of a normalized value that mark a placeholder ("your-api-key-here", "EXAMPLEKEY", "xxxx...").
PLACEHOLDER_MARKERS = (
    "example", "placeholder", "changeme", "dummy", "redacted", "your", "replace", "insert", "fake", "xxxx",
    "sample", "notreal", "mock", "secrethere", "keyhere", "tokenhere",
)  # fmt: skip
# Values that name a secret instead of holding one: env-var names, config keys ("DB_PASSWORD", "api_key").
SECRET_WORDS = ("password", "passwd", "secret", "token", "apikey", "credential", "privatekey", "accesskey")

_TEMPLATE_RE = re.compile(
    r"\$\{|\$\(|\{\{|\}\}|\{%|%\(|^%[sd]$|#\{|<%|^\$[A-Za-z_]|^\{[\w.-]*\}$|^<[^<>]*>$|^%[\w.-]+%$|^@[\w.-]+@$|^\*+$"
    r"|os\.environ|getenv|process\.env|ENV\[|System\.getenv|settings\.|config\.|vault:|!vault|\.{3}|…"
)
_SEGMENT_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_HEX = frozenset("0123456789abcdefABCDEF")
_SHORT_WORDS = frozenset({
    "a", "i", "x", "v", "id", "io", "ok", "db", "is", "my", "of", "to", "in", "on", "at", "by", "an", "no", "up",
    "me", "we", "it", "or", "as", "be", "do", "go", "so", "us"
})  # fmt: skip
_VOWEL_RE = re.compile(r"[aeiouy]")
_NOT_ALNUM_RE = re.compile(r"[^a-z0-9]+")
_SPACE_RE = re.compile(r"\s")
_DROP_LOWER = dict.fromkeys(range(ord("a"), ord("z") + 1))  # str.translate tables that delete a class
_DROP_UPPER = dict.fromkeys(range(ord("A"), ord("Z") + 1))
_DROP_DIGITS = dict.fromkeys(range(ord("0"), ord("9") + 1))
_NEXT_CHAR = {c: c + 1 for c in range(32, 127)}  # `abc` -> `bcd`: compared with the text shifted by one
_PREVIOUS_CHAR = {c: c - 1 for c in range(33, 128)}
_CONSONANT_RUN_RE = re.compile(r"[^aeiouy]{5}")


def normalize(value: str) -> str:
    """Lowercase ASCII letters and digits only: `Your-API_Key` -> `yourapikey`."""
    return _NOT_ALNUM_RE.sub("", value.lower())


def shannon_entropy(value: str) -> float:
    n = len(value)
    if not n:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def is_template_or_reference(value: str) -> bool:
    """`${DB_PASS}`, `{{ vault_password }}`, `<password>`, `%(pw)s`, `$TOKEN`, `os.environ[...]`, `********`."""
    return bool(_TEMPLATE_RE.search(value))


def is_low_diversity(value: str) -> bool:
    """`xxxxxxxx`, `aaaa1111`, `abcdefghijkl`, `0123456789`: too few distinct characters or a plain sequence."""
    if len(set(value)) < max(3, min(8, len(value) // 3)):
        return True
    rest = value[1:]
    steps = sum(map(eq, value.translate(_NEXT_CHAR), rest)) + sum(map(eq, value.translate(_PREVIOUS_CHAR), rest))
    return steps >= 0.6 * (len(value) - 1)


def _has_marker(value: str) -> bool:
    """A placeholder word written in one case (`your-key`, `EXAMPLEKEY`, `xxxx`), not four random letters that
    happen to spell one in mixed case (`axXXxvf`)."""
    norm = normalize(value)
    if any(marker in norm for marker in PLACEHOLDER_MARKERS if len(marker) >= 6):
        return True  # six letters do not come out of a random generator: `your-secret-here`, `EXAMPLE_KEY`
    lower = value.lower()
    for marker in PLACEHOLDER_MARKERS:
        position = lower.find(marker) if len(marker) < 6 else -1
        while position >= 0:
            word = value[position : position + len(marker)]
            if word.islower() or word.isupper():
                return True
            position = lower.find(marker, position + 1)
    return False


def is_placeholder(value: str, allow_test: bool = False) -> bool:
    """True for values that are obviously not a real secret (placeholders, templates, names of secrets).

    `allow_test` keeps values containing "test" (Stripe's `sk_test_` keys are real credentials)."""
    norm = normalize(value)
    if not norm or norm in PLACEHOLDER_VALUES or is_template_or_reference(value) or is_low_diversity(norm):
        return True
    if _has_marker(value):
        return True
    if not allow_test and norm.startswith("test"):
        return True
    return any(word in norm for word in SECRET_WORDS) and len(norm) <= 40 and norm.isalpha()


def _is_word(segment: str) -> bool:
    lower = segment.lower()
    if len(lower) <= 2:
        return lower in _SHORT_WORDS
    return bool(_VOWEL_RE.search(lower)) and not _CONSONANT_RUN_RE.search(lower)


def is_phrase(value: str) -> bool:
    """Words, not noise: `ThisIsMySecretKey`, `my-dev-secret-2024`, `auth.backends.TokenBackend`.

    Every letter segment (split at separators, case changes and digits) must read as a word; random strings
    almost always hold a one- or two-letter segment that is not a word, or a run of five consonants."""
    segments = _SEGMENT_RE.findall(value)
    numbers = [s for s in segments if s.isdigit()]
    if len(numbers) > 2 or any(len(s) > 4 for s in numbers) or len(numbers) == len(segments):
        return False
    return all(_is_word(s) for s in segments if not s.isdigit())


def looks_random(value: str, min_length: int = 16) -> bool:
    """A machine-made secret: long enough, mixed characters or hex, high entropy, and not made of words."""
    n = len(value)
    if n < min_length or n > 1024 or _SPACE_RE.search(value):
        return False
    if "://" in value:
        return False
    if set(value) <= _HEX:
        digits = n - len(value.translate(_DROP_DIGITS))
        return 0 < digits < n and shannon_entropy(value) >= 3.0
    lower = n - len(value.translate(_DROP_LOWER))
    upper = n - len(value.translate(_DROP_UPPER))
    digits = n - len(value.translate(_DROP_DIGITS))
    if (lower > 0) + (upper > 0) + (digits > 0) < 2 or digits == n:
        return False
    if is_phrase(value) or is_low_diversity(value):
        return False
    return shannon_entropy(value) >= min(3.3, math.log2(n) - 0.8)
