"""SPDX licence ids and expressions: spelling normalisation, parsing `A OR (B AND C WITH X)`, and evaluation
against an allow list (the permissive set that The Stack kept is the default).

Free-form names ("Apache 2.0", "MIT License", "GPLv3+", "Apache Software License", Debian's "GPL-2+" and
"Expat") map to current SPDX ids: a bare GNU version is `-only`, `+` / "or later" is `-or-later`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

# Current SPDX ids this package knows by name; lower case -> canonical spelling.
KNOWN_IDS: dict[str, str] = {
    i.lower(): i
    for i in (
        "MIT", "MIT-0", "X11", "Apache-1.1", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "BSD-3-Clause-Clear",
        "BSD-4-Clause", "0BSD", "BSD-2-Clause-Patent", "ISC", "MPL-1.1", "MPL-2.0", "EPL-1.0", "EPL-2.0",
        "GPL-1.0-only", "GPL-1.0-or-later", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later",
        "LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only",
        "LGPL-3.0-or-later", "AGPL-3.0-only", "AGPL-3.0-or-later", "Unlicense", "CC0-1.0", "Zlib", "BSL-1.0",
        "BUSL-1.1", "PSF-2.0", "Python-2.0", "Artistic-1.0", "Artistic-1.0-Perl", "Artistic-2.0", "WTFPL",
        "UPL-1.0", "NCSA", "PostgreSQL", "MS-PL", "MS-RL", "CDDL-1.0", "CDDL-1.1", "EUPL-1.1", "EUPL-1.2",
        "AFL-2.1", "AFL-3.0", "OFL-1.1", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0",
        "CC-BY-NC-4.0", "CC-BY-NC-SA-4.0", "GFDL-1.2-only", "GFDL-1.2-or-later", "GFDL-1.3-only", "GFDL-1.3-or-later", "Vim", "curl", "Libpng",
        "libpng-2.0", "OpenSSL", "Unicode-DFS-2016", "Unicode-3.0", "HPND", "MIT-CMU", "FSFULLR", "FSFAP",
        "Sleepycat", "OLDAP-2.8", "Ruby", "PHP-3.01", "JSON", "Beerware", "bzip2-1.0.6", "TCL", "Info-ZIP",
        "LicenseRef-Public-Domain", "LicenseRef-Proprietary",
    )
}  # fmt: skip

# Deprecated ids and other spellings that are one exact licence.
ALIASES: dict[str, str] = {
    "apache": "Apache-2.0", "apache2": "Apache-2.0", "asl 2.0": "Apache-2.0", "asl2": "Apache-2.0",
    "expat": "MIT", "mit/x11": "MIT", "mit/x": "MIT", "mit/x consortium": "MIT", "mit-1": "MIT",
    "isc license (iscl)": "ISC", "iscl": "ISC", "bsd": "BSD-3-Clause", "bsd3": "BSD-3-Clause",
    "bsd2": "BSD-2-Clause", "new bsd": "BSD-3-Clause", "modified bsd": "BSD-3-Clause", "revised bsd": "BSD-3-Clause",
    "simplified bsd": "BSD-2-Clause", "freebsd": "BSD-2-Clause", "0-clause bsd": "0BSD", "zero-clause bsd": "0BSD",
    "boost": "BSL-1.0", "boost software": "BSL-1.0", "psf": "PSF-2.0", "psfl": "PSF-2.0", "psf-2": "PSF-2.0",
    "python": "Python-2.0", "python software foundation": "PSF-2.0", "zlib/libpng": "Zlib", "libpng": "Libpng",
    "cc0": "CC0-1.0", "public domain": "LicenseRef-Public-Domain", "public-domain": "LicenseRef-Public-Domain",
    "pd": "LicenseRef-Public-Domain", "unlicensed": "LicenseRef-Proprietary", "proprietary": "LicenseRef-Proprietary",
    "commercial": "LicenseRef-Proprietary", "all rights reserved": "LicenseRef-Proprietary",
    "artistic": "Artistic-1.0-Perl", "perl": "Artistic-1.0-Perl", "wtfpl": "WTFPL", "postgresql": "PostgreSQL",
    "ms-pl": "MS-PL", "microsoft public": "MS-PL", "upl": "UPL-1.0", "universal permissive": "UPL-1.0",
    "eclipse": "EPL-2.0", "epl": "EPL-2.0", "mpl": "MPL-2.0", "mozilla": "MPL-2.0", "mozilla public": "MPL-2.0",
    "gfdl-1.2+": "GFDL-1.2-or-later", "gfdl-1.3+": "GFDL-1.3-or-later", "openldap-2.8": "OLDAP-2.8",
    "apache-2-llvm-exceptions": "Apache-2.0 WITH LLVM-exception", "unicode-dfs-2016": "Unicode-DFS-2016",
}  # fmt: skip
EXCEPTIONS: dict[str, str] = {
    e.lower(): e
    for e in ("LLVM-exception", "Classpath-exception-2.0", "GCC-exception-3.1", "GCC-exception-2.0",
              "Autoconf-exception-3.0", "Bison-exception-2.2", "OpenSSL-exception", "Font-exception-2.0")
}  # fmt: skip
EXCEPTIONS.update({"classpath": "Classpath-exception-2.0", "classpath exception": "Classpath-exception-2.0",
                   "openssl": "OpenSSL-exception", "openssl exception": "OpenSSL-exception",
                   "llvm": "LLVM-exception", "llvm exception": "LLVM-exception"})  # fmt: skip

# SPDX ids of the licences The Stack and starcoderdata count as permissive (the dedup keep rule's list).
PERMISSIVE_DEFAULT: frozenset[str] = frozenset(
    {"MIT", "MIT-0", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "BSD-3-Clause-Clear", "0BSD", "ISC", "Unlicense",
     "CC0-1.0", "Zlib", "PSF-2.0", "Python-2.0", "BSL-1.0", "Artistic-2.0", "WTFPL", "X11", "UPL-1.0", "NCSA",
     "PostgreSQL", "MS-PL"}
)  # fmt: skip

_OR_LATER_RE = re.compile(r"\s*(?:\+|\bor[ -](?:any[ -])?later(?:[ -]version)?|\band[ -]later\b|-or-later)", re.I)
_VERSION_RE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)")
_PAREN_NOTE_RE = re.compile(r"\s*\((?:[^()]*)\)\s*$")


def _version(text: str, default: str | None = None) -> str | None:
    match = _VERSION_RE.search(text)
    if not match:
        return default
    value = match.group(1)
    return value if "." in value else f"{value}.0"


def _gnu(family: str, rest: str) -> str | None:
    """GPL / LGPL / AGPL with a version and `-only` / `-or-later` from free text like `v2 or later`."""
    later = bool(_OR_LATER_RE.search(rest))
    version = _version(rest)
    if version is None:  # an unversioned GNU licence allows any version (its own section 9 / 14)
        version = {"GPL": "1.0", "LGPL": "2.0", "AGPL": "3.0"}[family]
        later = True
    if version == "2.1" and family != "LGPL" or version not in {"1.0", "2.0", "2.1", "3.0"}:
        return None
    if family == "AGPL" and version != "3.0":
        return None
    return f"{family}-{version}-{'or-later' if later else 'only'}"


def _key(name: str) -> str:
    key = name.strip().strip("\"'`").lower().replace("licence", "license")
    key = re.sub(r"^the\s+", "", key)
    key = re.sub(r"\s+", " ", key)
    return key


def exact_name(name: str) -> str | None:
    """A known id or alias, spelled any case, with or without `License` / `version` words."""
    key = _key(name)
    bare = re.sub(r"\b(?:license|software|agreement|version|v)\b", " ", key)
    bare = re.sub(r"\s+", " ", bare).strip(" ,.-")
    for table in (KNOWN_IDS, ALIASES):
        for candidate in (key, bare, key.replace(" ", "-"), bare.replace(" ", "-")):
            if candidate in table:
                return table[candidate]
    return None


def _by_rules(name: str) -> str | None:
    """The SPDX id a free-form licence name stands for, by family words, or None."""
    exact = exact_name(name)
    if exact is not None:
        return exact
    key = _key(name)
    words = set(re.findall(r"[a-z0-9]+", key))
    if "affero" in words or re.search(r"\bagpl", key):
        return _gnu("AGPL", key)
    if {"lesser", "library"} & words or re.search(r"\blgpl", key):
        return _gnu("LGPL", key)
    if re.search(r"\bgpl|general public", key):
        return _gnu("GPL", key)
    if "apache" in words:
        return "Apache-1.1" if _version(key) == "1.1" else "Apache-2.0" if _version(key, "2.0") == "2.0" else None
    if "mozilla" in words or re.search(r"\bmpl\b", key):
        return {"1.1": "MPL-1.1", "2.0": "MPL-2.0"}.get(_version(key, "2.0") or "")
    if "eclipse" in words or re.search(r"\bepl\b", key):
        return {"1.0": "EPL-1.0", "2.0": "EPL-2.0"}.get(_version(key, "2.0") or "")
    if "boost" in words:
        return "BSL-1.0"
    if "unlicense" in words:
        return "Unlicense"
    if "cc0" in words or "creative commons zero" in key:
        return "CC0-1.0"
    if match := re.search(r"\bcc[- ]by((?:[- ](?:sa|nc|nd))*)[- ]?(\d\.\d)?", key):
        parts = "-".join(p.upper() for p in re.findall(r"sa|nc|nd", match.group(1)))
        return f"CC-BY-{parts + '-' if parts else ''}{match.group(2) or '4.0'}"
    if "bsd" in words or re.search(r"\bbsd", key):
        if "0bsd" in words or re.search(r"\b(?:zero|0)[- ]clause", key):
            return "0BSD"
        if re.search(r"\b(?:2|two)[- ]?clause|simplified|freebsd", key):
            return "BSD-2-Clause"
        if re.search(r"\b(?:4|four)[- ]?clause|original", key):
            return "BSD-4-Clause"
        return "BSD-3-Clause"  # 3-clause, new, revised, modified, or a bare "BSD" (the common reading)
    if "isc" in words:
        return "ISC"
    if re.search(r"\bmit\b", key):
        return "MIT-0" if re.search(r"no attribution|mit-0", key) else "MIT"
    if "zlib" in words:
        return "Zlib"
    if "python" in words or "psf" in words:
        return "PSF-2.0"
    if "artistic" in words:
        return "Artistic-2.0" if _version(key) == "2.0" else "Artistic-1.0-Perl"
    if re.search(r"public[ -]domain", key):
        return "LicenseRef-Public-Domain"
    return None


@functools.lru_cache(maxsize=4096)
def normalize_name(name: str) -> str | None:
    """One licence's SPDX id (or `X WITH exception`) from any common spelling; None when not recognised."""
    text = name.strip()
    if not text or len(text) > 200:
        return None
    if _key(text) in {"unknown", "none", "other", "n/a", "na", "null", "no_license", "no license", "see license"}:
        return None
    found = _by_rules(text)
    if found is None and _PAREN_NOTE_RE.search(text):  # "GNU General Public License v3 (GPLv3)"
        found = _by_rules(_PAREN_NOTE_RE.sub("", text)) or _by_rules(text[text.rindex("(") + 1 : -1])
    return found


# -- expressions -----------------------------------------------------------------------------------------------
_TOKEN_RE = re.compile(r"\(|\)|\s*,\s*(?:and|or)\s+|\s+(?:AND|OR|WITH)(?:\s+|$)|\s+(?:and|or|with)\s+", re.I)
_OPERATOR_WORDS = re.compile(r"\b(?:AND|OR|WITH)\b", re.I)

Expression = Any  # str id | ("OR" | "AND", tuple[Expression, ...]) | ("WITH", str, str)


class ExpressionError(ValueError):
    """An SPDX expression that does not parse."""


def _tokens(text: str) -> list[str]:
    text = _OR_LATER_RE.sub("+", text)  # "GPL-2.0 or later" is one licence, not an OR
    out, pos = [], 0
    for match in _TOKEN_RE.finditer(text):
        if text[pos : match.start()].strip():
            out.append(text[pos : match.start()].strip())
        op = match.group().strip()
        out.append("," + op.strip(",").strip().upper() if op.startswith(",") else op.upper())  # Debian's ", and"
        pos = match.end()
    if text[pos:].strip():
        out.append(text[pos:].strip())
    return out


def _term(raw: str) -> str:
    found = normalize_name(raw)
    if found is None:
        if raw.upper().startswith(("LICENSEREF-", "DOCUMENTREF-")):
            return raw
        return "LicenseRef-" + (re.sub(r"[^A-Za-z0-9.]+", "-", raw).strip("-") or "unknown")
    return found


def _parse(tokens: list[str], pos: int = 0) -> tuple[Expression, int]:
    """Recursive descent: OR binds loosest, then AND, then WITH (SPDX precedence)."""

    def primary(i: int) -> tuple[Expression, int]:
        if i >= len(tokens):
            raise ExpressionError("the expression ends where a licence was expected")
        if tokens[i] == "(":
            node, i = level_or(i + 1)
            if i >= len(tokens) or tokens[i] != ")":
                raise ExpressionError("a `(` is not closed")
            return node, i + 1
        if tokens[i] in {"AND", "OR", "WITH", ",AND", ",OR", ")"}:
            raise ExpressionError(f"`{tokens[i]}` where a licence was expected")
        node: Expression = _term(tokens[i])
        i += 1
        if i < len(tokens) and tokens[i] == "WITH":
            if i + 1 >= len(tokens):
                raise ExpressionError("`WITH` names no exception")
            exc = tokens[i + 1]
            exc = EXCEPTIONS.get(re.sub(r"\s+", " ", exc.lower().strip()), re.sub(r"\s+", "-", exc.strip()))
            base = node[1] if isinstance(node, tuple) else node
            node, i = ("WITH", base, exc), i + 2
        elif isinstance(node, str) and " WITH " in node:  # an alias that is itself `id WITH exception`
            base, exc = node.split(" WITH ")
            node = ("WITH", base, exc)
        return node, i

    def level(i: int, op: str, lower) -> tuple[Expression, int]:
        node, i = lower(i)
        items = [node]
        while i < len(tokens) and tokens[i] == op:
            node, i = lower(i + 1)
            items.append(node)
        items = list(dict.fromkeys(items))  # "GNU Library or Lesser GPL" names one licence twice
        return (items[0] if len(items) == 1 else (op, tuple(items))), i

    def level_and(i: int):
        return level(i, "AND", primary)

    def level_or(i: int):
        return level(i, "OR", level_and)

    def level_comma(i: int):  # Debian DEP-5: "A or B, and C" is (A or B) and C
        node, i = level_or(i)
        while i < len(tokens) and tokens[i] in {",AND", ",OR"}:
            op = tokens[i][1:]
            right, i = level_or(i + 1)
            node = (op, tuple(dict.fromkeys((node, right))))
        return node, i

    return level_comma(pos)


def render(node: Expression, parent: str | None = None) -> str:
    """An expression tree as an SPDX string, with parentheses only where precedence needs them."""
    if isinstance(node, str):
        return node
    if node[0] == "WITH":
        return f"{node[1]} WITH {node[2]}"
    text = f" {node[0]} ".join(render(child, node[0]) for child in node[1])
    return f"({text})" if parent == "AND" and node[0] == "OR" else text


def _strip_notes(text: str) -> str:
    """Drop parenthesised notes after a name ("GPL v3 (GPLv3)"), keeping grouping parentheses."""

    def note(match: re.Match) -> str:
        before = text[: match.start()].rstrip()
        if (
            _OPERATOR_WORDS.search(match.group(1))
            or not before
            or before.endswith("(")
            or re.search(r"\b(?:AND|OR|WITH)$", before, re.I)
        ):
            return match.group()
        return ""

    return re.sub(r"\s*\(([^()]*)\)", note, text)


def _single(text: str) -> Expression | None:
    exact = exact_name(text)
    if exact is None and "/" in text:  # "MIT/Apache-2.0": Rust crates' dual licence
        parts = [p for p in text.split("/") if p.strip()]
        names = [normalize_name(p) for p in parts]
        if len(parts) > 1 and all(names):
            return ("OR", tuple(dict.fromkeys(names)))
    found = exact or normalize_name(text)
    if found is None:
        return None
    return ("WITH", *found.split(" WITH ")) if " WITH " in found else found


@functools.lru_cache(maxsize=16384)
def _parse_text(text: str) -> Expression | None:
    if text.count("(") != text.count(")"):
        raise ExpressionError(f"unbalanced parentheses in {text!r}")
    tokens = _tokens(text)
    if not tokens:
        return None
    if len(tokens) == 1 or not ({"AND", "OR", "WITH", ",AND", ",OR"} & set(tokens)):
        single = _single(text)
        if single is not None:
            return single
        if "," in text:
            names = [normalize_name(p) for p in text.split(",") if p.strip()]
            if names and all(names):
                return names[0] if len(set(names)) == 1 else ("OR", tuple(dict.fromkeys(names)))
        return None
    try:
        node, end = _parse(tokens)
        if end != len(tokens):
            raise ExpressionError(f"unexpected `{tokens[end]}` in {text!r}")
    except ExpressionError:
        stripped = _strip_notes(text)
        if stripped == text:
            raise
        return _parse_text(stripped)
    return node


def parse_expression(value: Any) -> Expression | None:
    """Parse a licence value: an SPDX expression, a free-form name, or a list of alternatives (the-stack's
    `max_stars_repo_licenses`, read as OR). None when nothing in it is recognised; raises ExpressionError
    on a malformed expression."""
    if value is None:
        return None
    if isinstance(value, str):
        return _parse_text(value.strip()) if value.strip() else None
    if isinstance(value, Iterable) and not isinstance(value, (bytes, dict)):
        nodes = [n for n in (parse_expression(v) for v in value) if n is not None]
        nodes = list(dict.fromkeys(nodes))
        if not nodes:
            return None
        return nodes[0] if len(nodes) == 1 else ("OR", tuple(nodes))
    return None


def normalize_expression(value: Any) -> str | None:
    """`value` as a canonical SPDX expression string, or None when unrecognised or malformed."""
    try:
        node = parse_expression(value)
    except ExpressionError:
        return None
    if node is None or _only_refs(node):
        return None
    return render(node)


def _only_refs(node: Expression) -> bool:
    if isinstance(node, str):
        return node.startswith("LicenseRef-") and node not in KNOWN_IDS.values()
    if node[0] == "WITH":
        return _only_refs(node[1])
    return all(_only_refs(child) for child in node[1])


def satisfies(node: Expression, allow: frozenset[str] | set[str]) -> bool:
    """True when the licence terms in `node` can be met using only licences in `allow`."""
    if isinstance(node, str):
        return node in allow
    if node[0] == "WITH":
        return f"{node[1]} WITH {node[2]}" in allow or node[1] in allow
    test = any if node[0] == "OR" else all
    return test(satisfies(child, allow) for child in node[1])


def licence_ids(node: Expression) -> list[str]:
    """Every licence id named in an expression, in order."""
    if isinstance(node, str):
        return [node]
    if node[0] == "WITH":
        return [node[1]]
    return [i for child in node[1] for i in licence_ids(child)]


def _cache_key(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return value if isinstance(value, str) or value is None else str(value)


@functools.lru_cache(maxsize=16384)
def _is_permissive(key: Any) -> bool:
    try:
        node = parse_expression(key)
    except ExpressionError:
        return False
    return node is not None and satisfies(node, PERMISSIVE_DEFAULT)


def is_permissive(spdx_or_expression: Any) -> bool:
    """True when the licence value (an SPDX id or expression, a free-form name, or a list of alternatives)
    can be met using permissive licences only: `MIT OR GPL-3.0` is, `MIT AND GPL-3.0` is not."""
    return _is_permissive(_cache_key(spdx_or_expression))


def family(spdx: str) -> str:
    """`GPL-2.0-or-later` -> `GPL-2.0`: the licence without its `-only` / `-or-later` suffix."""
    return re.sub(r"-(?:only|or-later)$|\+$", "", spdx)
