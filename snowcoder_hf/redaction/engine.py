"""The redaction engine: run every enabled detector over a text, resolve overlaps, write placeholders."""

from __future__ import annotations

from typing import NamedTuple

from snowcoder_hf.redaction.assignments import find_assignments, find_cli_passwords, find_url_passwords, literal_context
from snowcoder_hf.redaction.config import RedactionConfig
from snowcoder_hf.redaction.network import find_emails, find_ipv4, find_ipv6
from snowcoder_hf.redaction.spans import Span, apply_spans, resolve_overlaps
from snowcoder_hf.redaction.tokens import find_jwts, find_private_keys, find_tokens
from snowcoder_hf.redaction.vendor_plugins import VendorPattern, find_vendor_keys, load_vendor_patterns

_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


class Redaction(NamedTuple):
    """The redacted text and the spans that were replaced, as offsets into the ORIGINAL text."""

    text: str
    spans: list[Span]


def lowercase_same_length(text: str) -> str:
    """`text.lower()` when it keeps every offset (always for ASCII), else an ASCII-only lowercasing."""
    lower = text.lower()
    return lower if len(lower) == len(text) else text.translate(_ASCII_LOWER)


class Redactor:
    """Find and replace emails, public IPs, keys and passwords in text; see `RedactionConfig` for the options.

    `language` (The Stack spelling, e.g. "YAML") or `path` tells whether an unquoted value such as
    `password: hunter2` is a literal (config files, shell) or a variable reference (code); without either,
    a `NAME=value` alone on its line counts as a literal.
    """

    def __init__(self, config: RedactionConfig | dict | None = None, **options):
        if isinstance(config, dict):
            config = RedactionConfig.from_dict({**config, **options})
        elif config is None:
            config = RedactionConfig.from_dict(options)
        elif options:
            raise ValueError(f"pass either a `config` or keyword options, not both (got {sorted(options)}).")
        self.config = config
        self._kinds = frozenset(config.kinds)
        self._allow_values = frozenset(config.allow_values)
        self._vendor_patterns: tuple[VendorPattern, ...] | None = None  # loaded on first use

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_vendor_patterns"] = None
        return state

    @property
    def vendor_patterns(self) -> tuple[VendorPattern, ...]:
        if self._vendor_patterns is None:
            self._vendor_patterns = load_vendor_patterns(self.config.detect_secrets_plugins)
        return self._vendor_patterns

    def find(self, text: str, language: str | None = None, path: str | None = None) -> list[Span]:
        """Sorted, non-overlapping spans of everything to redact in `text`."""
        if not isinstance(text, str):
            raise TypeError(f"`text` must be a str, got {type(text).__name__}.")
        if not text:
            return []
        kinds, config = self._kinds, self.config
        spans: list[Span] = []
        if "email" in kinds and "@" in text:
            allowed = config.allow_domains
            spans.extend(find_emails(text, allowed, config.builtin_allow_list))
        if "ip_address" in kinds:
            spans.extend(find_ipv4(text, config.builtin_allow_list))
            if ":" in text:
                spans.extend(find_ipv6(text, config.builtin_allow_list))
        if "key" in kinds:
            spans.extend(find_tokens(text))
            spans.extend(find_jwts(text))
            spans.extend(find_private_keys(text))
            spans.extend(find_vendor_keys(text, self.vendor_patterns))
        if "key" in kinds or "password" in kinds:
            lower = lowercase_same_length(text)
            found = [
                *find_assignments(text, lower, literal_context(language, path)),
                *find_url_passwords(text),
                *find_cli_passwords(text, lower),
            ]
            spans.extend(s for s in found if s.kind in kinds)
        if self._allow_values:
            spans = [s for s in spans if text[s.start : s.end] not in self._allow_values]
        return resolve_overlaps(spans)

    def redact(self, text: str, language: str | None = None, path: str | None = None) -> Redaction:
        spans = self.find(text, language, path)
        return Redaction(apply_spans(text, spans, self.config.placeholders), spans)
