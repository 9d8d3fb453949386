"""What to redact and how: the kinds, their StarCoder-style placeholders, allow lists and extra vendor patterns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

KINDS: tuple[str, ...] = ("email", "ip_address", "key", "password")

# StarCoder's PII placeholders, so redacted data reads like the data StarCoder was trained on.
DEFAULT_PLACEHOLDERS: dict[str, str] = {
    "email": "<EMAIL>",
    "ip_address": "<IP_ADDRESS>",
    "key": "<KEY>",
    "password": "<PASSWORD>",
}

# detect-secrets plugins whose patterns are precise (a fixed vendor prefix or shape) and run in linear time.
# Left out on purpose: KeywordDetector and the high-entropy plugins (this package's own assignment detector
# replaces them), ArtifactoryDetector (matches words such as "APACHELICENSE2"), NpmDetector (a `.+` that
# backtracks quadratically on long lines; an own `_authToken` rule replaces it) and the IBM / Cloudant /
# SoftLayer assignment patterns (they reduce to "any key=44 chars" and try every position of the text).
SUPPORTED_DETECT_SECRETS_PLUGINS: tuple[str, ...] = (
    "AzureStorageKeyDetector",
    "DiscordBotTokenDetector",
    "GitLabTokenDetector",
    "MailchimpDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SquareOAuthDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)


def _as_tuple(name: str, values: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise ValueError(f"`{name}` must be a list of strings, got the string {values!r}.")
    out = tuple(values)
    bad = [v for v in out if not isinstance(v, str) or not v]
    if bad:
        raise ValueError(f"`{name}` must hold non-empty strings, got {bad!r}.")
    return out


@dataclass(frozen=True)
class RedactionConfig:
    """Settings of the redaction engine; `from_dict` parses a YAML section strictly.

    - `kinds`: which of `email`, `ip_address`, `key`, `password` to redact.
    - `placeholders`: per-kind replacement text (missing kinds keep `DEFAULT_PLACEHOLDERS`).
    - `allow_values`: exact matched values that are never redacted (an address, a key, a password).
    - `allow_domains`: email domains never redacted, with their subdomains (`corp.example` allows `a@x.corp.example`).
    - `builtin_allow_list`: also allow the built-in non-personal values: reserved example/test domains,
      placeholder domains such as `yourdomain.com`, `git@github.com`, public DNS resolvers, AWS's documented
      example keys.
    - `detect_secrets_plugins`: extra vendor patterns taken from detect-secrets (see
      `SUPPORTED_DETECT_SECRETS_PLUGINS`); an empty list turns them off and detect-secrets is not imported.
    - `max_records`: at most this many `{kind, start, end}` records per document in `metadata.redactions`;
      every match is still redacted and the rest is counted in `metadata.redactions_omitted`.
    """

    kinds: tuple[str, ...] = KINDS
    placeholders: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PLACEHOLDERS))
    allow_values: tuple[str, ...] = ()
    allow_domains: tuple[str, ...] = ()
    builtin_allow_list: bool = True
    detect_secrets_plugins: tuple[str, ...] = SUPPORTED_DETECT_SECRETS_PLUGINS
    max_records: int = 10_000

    def __post_init__(self):
        kinds = _as_tuple("kinds", self.kinds)
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            raise ValueError(f"`kinds` must be a subset of {list(KINDS)}, got unknown {unknown}.")
        if not isinstance(self.placeholders, Mapping):
            raise ValueError(f"`placeholders` must map a kind to its text, got {self.placeholders!r}.")
        bad_keys = sorted(set(self.placeholders) - set(KINDS))
        if bad_keys:
            raise ValueError(f"`placeholders` keys must be among {list(KINDS)}, got {bad_keys}.")
        if any(not isinstance(v, str) for v in self.placeholders.values()):
            raise ValueError(f"`placeholders` values must be strings, got {dict(self.placeholders)!r}.")
        plugins = _as_tuple("detect_secrets_plugins", self.detect_secrets_plugins)
        unsupported = sorted(set(plugins) - set(SUPPORTED_DETECT_SECRETS_PLUGINS))
        if unsupported:
            raise ValueError(
                f"`detect_secrets_plugins` must be among {list(SUPPORTED_DETECT_SECRETS_PLUGINS)}, got {unsupported}."
            )
        if not isinstance(self.max_records, int) or self.max_records < 0:
            raise ValueError(f"`max_records` must be a non-negative integer, got {self.max_records!r}.")
        object.__setattr__(self, "kinds", tuple(k for k in KINDS if k in kinds))  # canonical order
        object.__setattr__(self, "placeholders", {**DEFAULT_PLACEHOLDERS, **self.placeholders})
        object.__setattr__(self, "allow_values", _as_tuple("allow_values", self.allow_values))
        domains = _as_tuple("allow_domains", self.allow_domains)
        object.__setattr__(self, "allow_domains", tuple(d.lower().lstrip("@.") for d in domains))
        object.__setattr__(self, "detect_secrets_plugins", plugins)

    @classmethod
    def from_dict(cls, values: Mapping) -> RedactionConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown redaction keys {unknown}; accepted: {sorted(known)}.")
        return cls(**values)
