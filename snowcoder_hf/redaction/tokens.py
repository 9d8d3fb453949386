"""API keys and tokens with a recognisable shape: vendor prefixes, JWTs and PEM private-key blocks.

Every pattern starts with a literal (so the regex engine jumps between candidates) followed by a fixed-width
lookbehind that rejects a candidate glued to a longer token; every repetition is bounded or stops at a
character it cannot contain, so a scan is linear in the text, pathological lines included.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from snowcoder_hf.redaction.spans import Span
from snowcoder_hf.redaction.values import is_placeholder, looks_random


class TokenPattern(NamedTuple):
    rule: str
    trigger: str  # a literal the text must contain, to skip the regex cheaply
    regex: re.Pattern
    body_start: int  # characters of fixed prefix before the random part (checked by `valid`)
    valid: Callable[[str], bool]


def _not_placeholder(body: str) -> bool:
    return not is_placeholder(body, allow_test=True)


def _random(min_length: int) -> Callable[[str], bool]:
    return lambda body: looks_random(body, min_length) and not is_placeholder(body, allow_test=True)


def _has_digit(body: str) -> bool:
    return any(c.isdigit() for c in body) and _not_placeholder(body)


_B62 = "A-Za-z0-9"
TOKEN_PATTERNS: tuple[TokenPattern, ...] = (
    TokenPattern("aws_access_key_id", "A", re.compile(
        r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])(?<![A-Za-z0-9_]....)[A-Z0-9]{16}(?![A-Za-z0-9])"), 4, _not_placeholder),
    TokenPattern("github_token", "gh", re.compile(
        rf"gh[pousr]_(?<![{_B62}_]....)[{_B62}]{{36,251}}(?![{_B62}_])"), 4, _not_placeholder),
    TokenPattern("github_token", "github_pat_", re.compile(
        rf"github_pat_(?<![{_B62}_]github_pat_)[{_B62}_]{{22,251}}(?![{_B62}_])"), 11, _not_placeholder),
    TokenPattern("huggingface_token", "hf_", re.compile(
        rf"hf_(?<![{_B62}_]hf_)[{_B62}]{{30,40}}(?![{_B62}_])"), 3, _random(30)),
    TokenPattern("huggingface_token", "api_org_", re.compile(
        rf"api_org_(?<![{_B62}_]api_org_)[{_B62}]{{30,40}}(?![{_B62}_])"), 8, _random(30)),
    TokenPattern("slack_token", "xox", re.compile(
        rf"xox[abposre]-(?<![{_B62}_-]xox.-)[{_B62}-]{{10,250}}(?![{_B62}-])"), 5, _has_digit),
    TokenPattern("slack_token", "xapp-", re.compile(
        rf"xapp-(?<![{_B62}_-]xapp-)[0-9]-[{_B62}-]{{10,250}}(?![{_B62}-])"), 5, _has_digit),
    TokenPattern("slack_webhook", "hooks.slack.com", re.compile(
        rf"hooks\.slack\.com/services/(T[{_B62}_]{{6,20}}/B[{_B62}_]{{6,20}}/[{_B62}_]{{16,64}})"), 0, _not_placeholder),
    TokenPattern("stripe_key", "sk_", re.compile(
        rf"sk_(?:live|test)_(?<![{_B62}_]sk_(?:live|test)_)[{_B62}]{{16,247}}(?![{_B62}])"), 8, _random(16)),
    TokenPattern("stripe_key", "rk_", re.compile(
        rf"rk_(?:live|test)_(?<![{_B62}_]rk_(?:live|test)_)[{_B62}]{{16,247}}(?![{_B62}])"), 8, _random(16)),
    TokenPattern("stripe_key", "whsec_", re.compile(
        rf"whsec_(?<![{_B62}_]whsec_)[{_B62}+/=]{{24,128}}(?![{_B62}+/=])"), 6, _random(24)),
    TokenPattern("google_api_key", "AIza", re.compile(
        r"AIza(?<![A-Za-z0-9_-]AIza)[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"), 4, _not_placeholder),
    TokenPattern("google_oauth", "GOCSPX-", re.compile(
        r"GOCSPX-(?<![A-Za-z0-9_-]GOCSPX-)[0-9A-Za-z_-]{28}(?![0-9A-Za-z_-])"), 7, _not_placeholder),
    TokenPattern("google_oauth", "ya29.", re.compile(
        r"ya29\.(?<![A-Za-z0-9_.-]ya29\.)[0-9A-Za-z_-]{20,2048}(?![0-9A-Za-z_-])"), 5, _random(20)),
    TokenPattern("openai_key", "sk-", re.compile(
        r"sk-(?<![A-Za-z0-9_-]sk-)[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])"), 3, _random(20)),
    TokenPattern("npm_token", "npm_", re.compile(
        rf"npm_(?<![{_B62}_]npm_)[{_B62}]{{36}}(?![{_B62}_])"), 4, _not_placeholder),
    TokenPattern("npm_token", "_authToken", re.compile(
        r"_authToken\s*=\s*[\"']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![0-9a-f-])"),
        0, _not_placeholder),
)  # fmt: skip

_JWT_RE = re.compile(r"eyJ(?<![A-Za-z0-9_-]eyJ)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_PEM_BEGIN_RE = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?)-----")
_PEM_END_RE = re.compile(r"-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_PEM_MAX_BODY = 64_000
# Around a body: whitespace, quotes, `\n` escapes, and `+` / `,` joining string literals (only when a quote
# follows: a body can itself start with `+`, a base64 character).
_PEM_EDGE_RE = re.compile(r"(?:[ \t\r\n\"']|\\[nr]|[+,](?=[ \t\r\n]*[\"']))*")
_PEM_EDGE_REVERSED_RE = re.compile(r"(?:[ \t\r\n\"']|[nr]\\|[+,](?=[ \t\r\n]*[\"']))*")  # read backwards
_PEM_BASE64_RE = re.compile(r"[A-Za-z0-9+/=]{8,}")


def find_tokens(text: str) -> Iterator[Span]:
    for pattern in TOKEN_PATTERNS:
        if pattern.trigger not in text:
            continue
        for match in pattern.regex.finditer(text):
            start, end = match.span(1) if pattern.regex.groups else match.span()
            if pattern.valid(text[start + pattern.body_start : end]):
                yield Span("key", start, end, pattern.rule)


def _b64_json(part: str) -> object | None:
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError):
        return None


def find_jwts(text: str) -> Iterator[Span]:
    if "eyJ" not in text:
        return
    for match in _JWT_RE.finditer(text):
        header, payload = match.group().split(".")[:2]
        decoded = _b64_json(header)
        if isinstance(decoded, dict) and ("alg" in decoded or "typ" in decoded) and _b64_json(payload) is not None:
            yield Span("key", match.start(), match.end(), "jwt")


def find_private_keys(text: str) -> Iterator[Span]:
    """The body between a `-----BEGIN ... PRIVATE KEY-----` header and its footer, which both stay.

    The footer is the first one after the header (and before the next header); without one, the body is the
    run of base64-looking lines that follows. Quotes, `\\n` escapes and `+` joins at the edges stay, so a key
    written as a string literal keeps its syntax."""
    if "-----BEGIN " not in text:
        return
    begins = list(_PEM_BEGIN_RE.finditer(text))
    if not begins:
        return
    ends = [m.start() for m in _PEM_END_RE.finditer(text)]
    for n, begin in enumerate(begins):
        body_start = begin.end()
        limit = min(begins[n + 1].start() if n + 1 < len(begins) else len(text), body_start + _PEM_MAX_BODY)
        k = bisect.bisect_left(ends, body_start)
        if k < len(ends) and ends[k] <= limit:
            body_end = ends[k]
        else:
            body_end = _base64_run_end(text, body_start, limit)
        body_start, body_end = _trim_pem_edges(text, body_start, body_end)
        if body_end > body_start:
            yield Span("key", body_start, body_end, "private_key")


def _trim_pem_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """Move `start` and `end` inwards over whitespace, quotes, `+` / `,` joins and `\\n` / `\\r` escapes."""
    body = text[start:end]
    left = _PEM_EDGE_RE.match(body).end()
    right = len(body) - _PEM_EDGE_REVERSED_RE.match(body[::-1]).end()
    return start + left, start + max(left, right)


def _base64_run_end(text: str, start: int, limit: int) -> int:
    """End of the base64-looking lines after a header whose footer is missing (at most 200 lines)."""
    position = start
    for n in range(200):
        if position >= limit:
            return limit
        line_end = text.find("\n", position, limit)
        line_end = limit if line_end < 0 else line_end
        a, b = _trim_pem_edges(text, position, line_end)
        core = text[a:b]
        if not core and n > 0:
            return position  # a blank line ends the block
        if core and not (_PEM_BASE64_RE.fullmatch(core) or core.startswith(("Proc-Type:", "DEK-Info:"))):
            return position
        position = line_end + 1
    return position
