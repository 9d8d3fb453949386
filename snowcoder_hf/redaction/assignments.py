"""Passwords and keys given as values: `name = value` in code and config, URL passwords, CLI flags and SQL.

A value is redacted when the name that receives it ends in a secret word (`DB_PASSWORD`, `apiKey`,
`spring.datasource.password`, `"client_secret":`, `--auth-token`), the value is a literal (quoted, or an
unquoted config value), and it is not a placeholder (`changeme`, `${PASSWORD}`, `<password>`,
`os.environ[...]`). Passwords can be any literal; keys must also look machine-made (`values.looks_random`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from snowcoder_hf.common.languages import EXTENSIONS, FILENAMES
from snowcoder_hf.redaction.spans import Span
from snowcoder_hf.redaction.values import is_placeholder, looks_random

PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "pass", "passphrase", "pw", "passwort", "pword", "passcode"})
KEY_WORDS = frozenset({
    "secret", "token", "apikey", "apitoken", "secretkey", "privatekey", "accesskey", "accesstoken", "authtoken",
    "refreshtoken", "clientsecret", "bearer", "authorization", "auth", "credential", "credentials", "signingkey",
    "webhooksecret"
})  # fmt: skip
# `<qualifier>_key` names a secret; a bare `key` (dict keys, sort keys, cache keys) does not.
KEY_QUALIFIERS = frozenset({
    "api", "access", "secret", "private", "client", "auth", "signing", "encryption", "master", "app",
    "application", "account", "consumer", "license", "service", "subscription", "shared", "admin", "deploy",
    "write", "read", "storage", "hmac", "webhook", "jwt", "session", "crypto", "cipher", "aes", "rsa", "ssh",
    "gpg", "pgp", "aws", "azure", "gcp", "google", "github", "gitlab", "openai", "anthropic", "stripe", "twilio",
    "sendgrid", "mailgun", "slack", "discord", "telegram", "hf", "huggingface", "mapbox", "algolia", "firebase",
    "heroku", "digitalocean", "datadog", "sentry", "pusher", "paypal", "shopify", "cloudflare", "npm", "pypi",
    "docker"
})  # fmt: skip
# `<qualifier>_token` that is not a credential: paging and idempotency tokens, tokenizer special tokens.
TOKEN_NON_SECRETS = frozenset({
    "request", "clientrequest", "idempotency", "continuation", "next", "page", "pagination", "sync", "cancel",
    "cancellation", "resume", "marker", "change", "pad", "eos", "bos", "unk", "sep", "cls", "mask", "start",
    "end", "special", "split"
})  # fmt: skip
# Names in these words hold fixtures, not credentials (`fake_token`, `EXPECTED_SECRET`, `dummy_password`).
FIXTURE_WORDS = frozenset({
    "fake", "dummy", "mock", "test", "tests", "example", "sample", "fixture", "expected", "placeholder",
    "invalid", "bad", "wrong", "default"
})  # fmt: skip

# Languages and files where an unquoted value is a literal (`password: hunter2`), not a variable reference.
CONFIG_LANGUAGES = frozenset({
    "YAML", "TOML", "INI", "Shell", "Dockerfile", "Makefile", "Markdown", "reStructuredText", "Text",
    "PowerShell", "Batchfile", "XML", "JSON", "SQL", "HCL", "Dotenv"
    }
) | {"Java Properties"}  # fmt: skip
CONFIG_SUFFIXES = frozenset({
    ".env", ".ini", ".cfg", ".conf", ".properties", ".yaml", ".yml", ".toml", ".sh", ".bash", ".zsh", ".txt",
    ".md", ".rst", ".json", ".xml", ".sql", ".tf", ".hcl", ".ps1", ".bat", ".cmd", ".service", ".envrc", ".netrc",
    ".npmrc", ".pypirc"
})  # fmt: skip

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_SEGMENT_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
# Run on the lowercased text: a secret word, the rest of its name, then an assignment-like operator. One regex
# per word: each starts with a literal the regex engine can jump to (an alternation tries every position).
_TRIGGER_TAIL = r"[a-z0-9_.-]{0,40}[\"'`\]]{0,3}[ \t]{0,4}(?:[:=>(,]|\?=)"
_TRIGGER_WORDS = ("pass", "pw", "secret", "token", "key", "auth", "credential", "bearer")
_TRIGGER_RES = tuple((word, re.compile(re.escape(word) + _TRIGGER_TAIL)) for word in _TRIGGER_WORDS)
_OPERATOR_RE = re.compile(
    r"(?P<close>[\"'`]?\]?[\"'`]?)[ \t]*"
    r"(?:(?P<annotation>:[ \t]*[A-Za-z_][\w.\[\], |]{0,40}?[ \t]+=(?![=~]))|(?P<op>:=|\?=|=>|=(?![=~>])|:(?![:=/])|,|\(|>))"
    r"[ \t]*"
)
_SCHEME_RE = re.compile(r"(?i:bearer|basic|token|digest)[ \t]+(?=\S)")
_UNQUOTED_RE = re.compile(r"[^\s'\"`,;(){}\[\]<>]{1,1024}")
_QUERY_PARAM_RE = re.compile(r"&[A-Za-z_][\w.-]*=")
_IDENTIFIER_RE = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
_NUMBER_LITERAL_RE = re.compile(r"0[xXoObB][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9]+)?")
_SETTER_CONTEXT_RE = re.compile(
    r"(?i:set\w*|put\w*|add\w*|setdefault|setenv|putenv)\(\s*(?:[\"'][^\"'\n]{0,40}[\"']\s*,\s*)?[\"']$"
)
_SETTER_NAME_RE = re.compile(r"(?:set|with)(?:_|[A-Z])")
_LINE_LEAD_RE = re.compile(r"[ \t]*(?:(?:export|set|ENV|declare|local|readonly)[ \t]+|-[ \t]+)?")
_MAX_VALUE = 1024
_LINE_WINDOW = 4096

# The password runs to the last `@` of the authority: unencoded `@`, `#` and `?` occur in real DSNs.
_URL_CREDENTIALS_RE = re.compile(r"://([^\s:/?#@\"'<>]{0,64}):([^\s/\"'<>]{1,128})@(?=[A-Za-z0-9\[])")
_CLI_USER_RE = re.compile(r"(?:-u|--user)[ \t=]+([\"']?)([^\s:\"'$]{1,64}):([^\s\"']{1,128})\1(?=[\s\"'\\]|$)")
_FLAG_RE = re.compile(  # on the lowercased text
    r"--(?:[a-z0-9]+-)*(password|passwd|pass|pwd|token|secret|api-key|apikey|access-key|secret-key|auth-token"
    r"|private-key)(?![a-z0-9_-])(?:[ \t]*=[ \t]*|[ \t]+)"
)
# On the lowercased text, each behind the literal it needs: mysql -pSECRET, sshpass -p SECRET, docker login -p X.
_TOOL_PASSWORD_RES = (
    ("mysql", re.compile(r"mysql(?:dump|admin)?\b[^\n]{0,200}?[ \t]-p(?=[^\s-])")),
    ("mariadb", re.compile(r"mariadb\b[^\n]{0,200}?[ \t]-p(?=[^\s-])")),
    ("sshpass", re.compile(r"sshpass[ \t]+-p[ \t]*")),
    ("docker", re.compile(r"docker[ \t]+login\b[^\n]{0,200}?[ \t]-p[ \t]+")),
)
_SQL_PASSWORD_RES = (  # on the lowercased text; the match ends at the opening quote
    ("identified", re.compile(r"identified[ \t]+by[ \t]+'")),
    ("password", re.compile(r"password[ \t]+e?'")),
)
_REGEX_LIKE_RE = re.compile(r"\\[dwsDWSbB]|\[[^\]]*\][*+?{]|\(\?[:=!<P]|\{\d+(?:,\d*)?\}")
_MYSQL_HASH_RE = re.compile(r"\*[0-9A-Fa-f]{40}")


def name_kind(name: str) -> str | None:
    """`password` or `key` for a name that holds one (judged by its last word), else None."""
    segments = [s.lower() for s in _SEGMENT_RE.findall(name)]
    while segments and segments[-1].isdigit():
        segments.pop()  # PASSWORD2
    if not segments or FIXTURE_WORDS.intersection(segments):
        return None
    last = segments[-1]
    if last in PASSWORD_WORDS or last.endswith(("password", "passwd")):
        return "password"
    if last == "token" and len(segments) > 1 and segments[-2] in TOKEN_NON_SECRETS:
        return None
    if last in KEY_WORDS or last.endswith(("token", "secret", "apikey", "secretkey", "accesskey", "privatekey")):
        return "key"
    if last == "key" and len(segments) > 1 and segments[-2] in KEY_QUALIFIERS:
        return "key"
    return None


def literal_context(language: str | None, path: str | None) -> bool | None:
    """True where unquoted values are literals (config files, shell), False in code, None when unknown."""
    if language:
        return language in CONFIG_LANGUAGES
    if path:
        p = PurePosixPath(str(path).replace("\\", "/"))
        if p.suffix.lower() in CONFIG_SUFFIXES or p.name.startswith(".env"):
            return True
        language = FILENAMES.get(p.name) or EXTENSIONS.get(p.suffix.lower())
        return None if language is None else language in CONFIG_LANGUAGES
    return None


def _line_bounds(text: str, position: int) -> tuple[int, int]:
    """The line around `position`, cut to `_LINE_WINDOW` characters each side (bounded work on huge lines)."""
    low = max(0, position - _LINE_WINDOW)
    start = text.rfind("\n", low, position) + 1 or low
    high = min(len(text), position + _LINE_WINDOW)
    end = text.find("\n", position, high)
    return start, high if end < 0 else end


def _quoted_end(text: str, start: int, quote: str, line_end: int) -> int | None:
    """Index of the closing quote of a string opening at `start` (same line, escapes honoured)."""
    position = start + 1
    limit = min(line_end, start + 1 + _MAX_VALUE)
    while True:
        close = text.find(quote, position, limit)
        if close < 0:
            return None
        backslashes = 0
        while close - 1 - backslashes > start and text[close - 1 - backslashes] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return close
        position = close + 1


def _parse_value(
    text: str, position: int, line_end: int, op: str, command_line: bool = False
) -> tuple[int, int, bool, str] | None:
    """(start, end, quoted, scheme) of the literal value at `position`, or None when it is an expression.

    An unquoted value followed by more words is prose or an expression, except on a `command_line`."""
    scheme = ""
    match = _SCHEME_RE.match(text, position, line_end)
    if match and op != ">":
        scheme, position = match.group().split()[0].lower(), match.end()
    if position >= line_end:
        return None
    first = text[position]
    is_fstring = False
    if first in "rbuRBUfF" and text[position + 1 : position + 2] in ("'", '"'):
        is_fstring = first in "fF"
        position += 1
        first = text[position]
    if first in "'\"`":
        if text.startswith(first * 3, position):
            return None  # a docstring or heredoc-like block, not a one-line literal
        close = _quoted_end(text, position, first, line_end)
        if close is None:
            return None
        start, end = position + 1, close
        inner = _SCHEME_RE.match(text, start, end)
        if inner and not scheme:
            scheme, start = inner.group().split()[0].lower(), inner.end()
        if is_fstring and "{" in text[start:end]:
            return None
        return start, end, True, scheme
    if op == ">":  # <password>value</password>
        close = text.find("</", position, min(line_end, position + _MAX_VALUE))
        return (position, close, True, scheme) if close > position else None
    match = _UNQUOTED_RE.match(text, position, line_end)
    if match is None:
        return None
    end = match.end()
    following = text[end] if end < line_end else "\n"
    if following in "([" or end - position == _MAX_VALUE and _UNQUOTED_RE.match(text, end, end + 1):
        return None  # a call or an index (an expression), or a run too long to be one value
    if following in " \t" and not command_line:
        rest = text[end:line_end].lstrip()
        if rest and not rest.startswith(("#", "//", ";", "--", "/*", "\\")) and rest[0] not in ")}]\"'`,":
            return None  # prose or an expression with operators
    query = _QUERY_PARAM_RE.search(text, position, end)
    return position, query.start() if query else end, False, scheme


def _basic_credentials(value: str) -> bool:
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return ":" in decoded and decoded.isprintable()


def _accept(kind: str, value: str, quoted: bool, literal: bool, scheme: str) -> bool:
    if kind == "password":
        if not 4 <= len(value) <= 128 or any(c.isspace() for c in value) or is_placeholder(value):
            return False
        if value.startswith(("/", "./", "~/", "http:", "https:")) or _REGEX_LIKE_RE.search(value):
            return False  # a path or URL named `pwd`, a regular expression
        return quoted or literal or not _IDENTIFIER_RE.fullmatch(value)
    if not quoted and _NUMBER_LITERAL_RE.fullmatch(value):
        return False
    if scheme == "basic" and len(value) >= 8 and _basic_credentials(value):
        return True
    return looks_random(value) and not is_placeholder(value)


def _is_line_shaped(text: str, name_start: int, line_start: int, value_end: int, line_end: int, op: str) -> bool:
    """`PASSWORD=hunter2` / `password: hunter2` alone on its line, as in .env, YAML and INI files."""
    if op not in ("=", ":", ":=", "?="):
        return False
    prefix = _LINE_LEAD_RE.match(text, line_start, name_start)
    if prefix is None or prefix.end() != name_start:
        return False
    rest = text[value_end:line_end].strip()
    return not rest or rest.startswith(("#", ";", "//"))


def _trigger_positions(lower: str) -> list[int]:
    positions: set[int] = set()
    for word, regex in _TRIGGER_RES:
        if word in lower:
            positions.update(m.start() for m in regex.finditer(lower))
    return sorted(positions)


def find_assignments(text: str, lower: str, literal: bool | None) -> Iterator[Span]:
    done_names: set[int] = set()
    for keyword in _trigger_positions(lower):
        name_start = keyword
        while name_start > 0 and text[name_start - 1] in _NAME_CHARS and keyword - name_start < 64:
            name_start -= 1
        if name_start in done_names:
            continue  # `secret_token`: one name, two secret words
        done_names.add(name_start)
        if text.startswith("${", name_start - 2):
            continue  # a shell expansion `${DB_PASSWORD:?missing}`, not an assignment
        name_end = keyword
        while name_end < len(text) and text[name_end] in _NAME_CHARS and name_end - keyword < 64:
            name_end += 1
        kind = name_kind(text[name_start:name_end])
        if kind is None:
            continue
        line_start, line_end = _line_bounds(text, keyword)
        operator = _OPERATOR_RE.match(text, name_end, line_end)
        if operator is None:
            continue
        op = ":=" if operator.group("annotation") else operator.group("op")
        quoted_name = any(q in operator.group("close") for q in "\"'`")
        if op == ">" and (name_start == 0 or text[name_start - 1] != "<" or operator.group("close")):
            continue
        if op == "," and not (
            quoted_name and _SETTER_CONTEXT_RE.search(text, max(line_start, name_start - 64), name_start)
        ):
            continue
        if op == "(" and not _is_setter_name(text[name_start:name_end]):
            continue
        parsed = _parse_value(text, operator.end(), line_end, op)
        if parsed is None:
            continue
        start, end, quoted, scheme = parsed
        if op in ("(", ",") and not quoted:
            continue
        is_literal = bool(literal) or (
            literal is None and _is_line_shaped(text, name_start, line_start, end, line_end, op)
        )
        if _accept(kind, text[start:end], quoted, is_literal, scheme):
            yield Span(kind, start, end, f"assignment_{kind}")


def _is_setter_name(name: str) -> bool:
    """`setPassword(`, `set_api_key(`, `withToken(`, or a builder's `.password(`."""
    last = name.rsplit(".", 1)[-1]
    return bool(_SETTER_NAME_RE.match(last)) or last.lower() in PASSWORD_WORDS


def find_url_passwords(text: str) -> Iterator[Span]:
    if "://" not in text:
        return
    for match in _URL_CREDENTIALS_RE.finditer(text):
        user, password = match.group(1), match.group(2)
        if password != user and len(password) >= 4 and not is_placeholder(password):
            yield Span("password", match.start(2), match.end(2), "url_password")


def find_cli_passwords(text: str, lower: str) -> Iterator[Span]:
    if "-u" in text:
        for match in _CLI_USER_RE.finditer(text):
            if match.start() > 0 and (text[match.start() - 1].isalnum() or text[match.start() - 1] in "_-"):
                continue
            user, password = match.group(2), match.group(3)
            if user.isdigit() or password == user or len(password) < 4 or is_placeholder(password):
                continue  # `-u 1000:1000` is a uid:gid
            yield Span("password", match.start(3), match.end(3), "cli_password")
    if "--" in text:
        for match in _FLAG_RE.finditer(lower):
            kind = name_kind(match.group(1).replace("-", "_"))
            line_start, line_end = _line_bounds(text, match.start())
            parsed = _parse_value(text, match.end(), line_end, "=", command_line=True)
            if kind and parsed and _accept(kind, text[parsed[0] : parsed[1]], parsed[2], True, parsed[3]):
                yield Span(kind, parsed[0], parsed[1], "cli_password" if kind == "password" else "cli_key")
    tools = [(r, "cli_password", False) for word, r in _TOOL_PASSWORD_RES if word in lower]
    if "'" in text:
        tools += [(r, "sql_password", True) for word, r in _SQL_PASSWORD_RES if word in lower]
    for regex, rule, at_quote in tools:
        for match in regex.finditer(lower):
            _, line_end = _line_bounds(text, match.start())
            position = match.end() - 1 if at_quote else match.end()
            parsed = _parse_value(text, position, line_end, "=", command_line=True)
            if parsed is None:
                continue
            value = text[parsed[0] : parsed[1]]
            if not _MYSQL_HASH_RE.fullmatch(value) and _accept("password", value, parsed[2], True, ""):
                yield Span("password", parsed[0], parsed[1], rule)
