"""Vendor key patterns taken from detect-secrets plugins (GitLab, PyPI, SendGrid, Twilio, ...), run on whole texts.

detect-secrets keeps these vendor formats up to date; here only their compiled patterns are reused. They run
over the whole text at once (not line by line through detect-secrets' scanner), gated by a literal each
pattern needs, and a match glued to a longer token is dropped.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import NamedTuple

from snowcoder_hf.redaction.spans import Span
from snowcoder_hf.redaction.values import is_placeholder

# plugin class -> (its detect-secrets module, literals of which the text must hold one for the pattern to run)
_PLUGINS: dict[str, tuple[str, tuple[str, ...]]] = {
    "AzureStorageKeyDetector": ("azure_storage_key", ("AccountKey=",)),
    "DiscordBotTokenDetector": ("discord", (".",)),
    "GitLabTokenDetector": ("gitlab_token", ("gl", "GR1348941")),
    "MailchimpDetector": ("mailchimp", ("-us",)),
    "PypiTokenDetector": ("pypi_token", ("pypi-",)),
    "SendGridDetector": ("sendgrid", ("SG.",)),
    "SquareOAuthDetector": ("square_oauth", ("sq0csp-",)),
    "TelegramBotTokenDetector": ("telegram_token", (":",)),
    "TwilioKeyDetector": ("twilio", ("AC", "SK")),
}
# Patterns that begin with a character class try every position of a text; these start from a literal inside
# the pattern instead, and run the plugin's own regex only in a window around it: (anchor, chars before, after).
_ANCHORS: dict[str, tuple[re.Pattern, int, int]] = {
    "DiscordBotTokenDetector": (re.compile(r"\.[a-zA-Z0-9_-]{6}\.[a-zA-Z0-9_-]{27}"), 26, 0),
    "MailchimpDetector": (re.compile(r"-us[0-9]"), 32, 1),
    "TelegramBotTokenDetector": (re.compile(r":[0-9A-Za-z_-]{35}"), 10, 0),
}
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


class VendorPattern(NamedTuple):
    rule: str
    triggers: tuple[str, ...]
    regex: re.Pattern
    anchor: tuple[re.Pattern, int, int] | None


def load_vendor_patterns(plugins: tuple[str, ...]) -> tuple[VendorPattern, ...]:
    """The compiled patterns of the named detect-secrets plugins (MULTILINE, so `^`/`$` anchor lines)."""
    if not plugins:
        return ()
    try:
        importlib.import_module("detect_secrets")
    except ImportError as err:
        raise ImportError(
            "`detect_secrets_plugins` needs detect-secrets: pip install 'snowcoder_hf[pipeline]' "
            "(or pass detect_secrets_plugins=[] to use only the built-in detectors)."
        ) from err
    patterns = []
    for name in plugins:
        module, triggers = _PLUGINS[name]
        plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        rule = "detect_secrets_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Detector")).lower()
        for regex in plugin.denylist:
            compiled = re.compile(regex.pattern, regex.flags | re.MULTILINE)
            patterns.append(VendorPattern(rule, triggers, compiled, _ANCHORS.get(name)))
    return tuple(patterns)


def _matches(text: str, pattern: VendorPattern) -> Iterator[re.Match]:
    if pattern.anchor is None:
        yield from pattern.regex.finditer(text)
        return
    anchor, before, after = pattern.anchor
    searched_to = 0
    for hit in anchor.finditer(text):
        low = max(searched_to, hit.start() - before)
        high = min(len(text), hit.end() + after)
        match = pattern.regex.search(text, low, high)
        if match:
            searched_to = match.end()
            yield match


def find_vendor_keys(text: str, patterns: tuple[VendorPattern, ...]) -> Iterator[Span]:
    present: dict[tuple[str, ...], bool] = {}  # one plugin's patterns share its triggers: test them once
    for pattern in patterns:
        triggers = pattern.triggers
        if triggers not in present:
            present[triggers] = any(t in text for t in triggers)
        if not present[triggers]:
            continue
        for match in _matches(text, pattern):
            start, end = match.span()  # these plugins' groups hold a prefix (GitLab's `glpat`), not the secret
            if start > 0 and text[start - 1] in _TOKEN_CHARS or end < len(text) and text[end] in _TOKEN_CHARS:
                continue
            if not is_placeholder(text[start:end], allow_test=True):
                yield Span("key", start, end, pattern.rule)
