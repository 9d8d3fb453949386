"""Licences as SPDX ids, read from a Debian DEP-5 copyright file, an npm package.json or a PyPI PKG-INFO.

The Stack's `max_stars_repo_licenses` is a list of SPDX ids for the repository. A package gives its
repository licence in one place: DEP-5's `Files: *` paragraph, package.json's `license`, PKG-INFO's
`License-Expression`, `License` or classifiers. A name with no SPDX id becomes `LicenseRef-<name>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.parser import HeaderParser

# Common SPDX ids, looked up case-insensitively; the GNU family is parsed by `_GNU_RE` instead.
_SPDX_IDS = (
    "MIT", "MIT-0", "Apache-1.1", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "BSD-3-Clause-Clear", "BSD-4-Clause",
    "0BSD", "ISC", "Zlib", "BSL-1.0", "PSF-2.0", "Python-2.0", "PostgreSQL", "Ruby", "Artistic-1.0",
    "Artistic-1.0-Perl", "Artistic-2.0", "MPL-1.1", "MPL-2.0", "EPL-1.0", "EPL-2.0", "CDDL-1.0", "CC0-1.0",
    "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0", "Unlicense", "WTFPL", "X11", "OFL-1.1", "ZPL-2.1",
    "OpenSSL", "curl", "TCL", "Unicode-DFS-2016", "Unicode-3.0", "BlueOak-1.0.0", "Vim", "NCSA", "UPL-1.0", "MS-PL",
    "LPPL-1.3c", "AFL-2.1", "AFL-3.0", "Beerware", "HPND", "Libpng", "IJG", "FTL", "bzip2-1.0.6",
)  # fmt: skip
_SPDX_LOWER = {spdx.lower(): spdx for spdx in _SPDX_IDS}
# Debian short names (DEP-5) and everyday spellings that are not SPDX ids.
_ALIASES = {
    "expat": "MIT", "mit/x11": "MIT", "mit license": "MIT", "the mit license": "MIT", "mit licence": "MIT",
    "bsd 3-clause license": "BSD-3-Clause", "bsd 3-clause": "BSD-3-Clause", "3-clause bsd": "BSD-3-Clause",
    "bsd 2-clause license": "BSD-2-Clause", "bsd 2-clause": "BSD-2-Clause", "2-clause bsd": "BSD-2-Clause",
    "apache license": "Apache-2.0", "apache-2": "Apache-2.0", "apache 2.0": "Apache-2.0",
    "apache2": "Apache-2.0", "apache license 2.0": "Apache-2.0", "apache license, version 2.0": "Apache-2.0",
    "asl 2.0": "Apache-2.0", "bsd-2-clause-freebsd": "BSD-2-Clause", "bsd-2": "BSD-2-Clause",
    "bsd-3": "BSD-3-Clause", "new bsd": "BSD-3-Clause", "modified bsd": "BSD-3-Clause", "bsd-4": "BSD-4-Clause",
    "zlib/libpng": "Zlib", "boost": "BSL-1.0", "bsl": "BSL-1.0", "psf": "PSF-2.0", "psf-2": "PSF-2.0",
    "psfl": "PSF-2.0", "cc0": "CC0-1.0", "mpl-2": "MPL-2.0", "mpl-1.1+": "MPL-1.1", "epl-1": "EPL-1.0",
    "sil-open-font": "OFL-1.1", "ofl": "OFL-1.1", "sil-ofl-1.1": "OFL-1.1", "zope-2.1": "ZPL-2.1",
    "artistic": "Artistic-1.0", "artistic-1": "Artistic-1.0", "artistic-2": "Artistic-2.0",
    "go": "BSD-3-Clause",  # Debian's name for Go's BSD-3-Clause text
    "public-domain": "LicenseRef-public-domain", "public domain": "LicenseRef-public-domain",
    "unlicensed": "LicenseRef-unlicensed",
}  # fmt: skip
_EXCEPTIONS = {  # keys: lower case, spaces as hyphens
    "classpath-exception": "Classpath-exception-2.0", "classpath": "Classpath-exception-2.0", "llvm-exception": "LLVM-exception",
    "gcc-runtime-library-exception": "GCC-exception-3.1", "autoconf-exception": "Autoconf-exception-3.0",
    "font-exception": "Font-exception-2.0", "openssl-exception": "OpenSSL-exception",
}  # fmt: skip
_GNU_RE = re.compile(r"^(a|l|gf)?gpl-?v?(\d+(?:\.\d+)?)?(\+|-or-later|-only)?$", re.IGNORECASE)
_UNVERSIONED_GNU = {
    "GPL": "GPL-1.0-or-later",
    "LGPL": "LGPL-2.0-or-later",
    "AGPL": "AGPL-3.0-or-later",
    "GFDL": "GFDL-1.1-or-later",
}
_EXPRESSION_SPLIT_RE = re.compile(r"\s+(?:or|and)\s+|[(),;]|\s+/\s+|\s+\|\s+", re.IGNORECASE)
_WITH_RE = re.compile(r"\s+with\s+", re.IGNORECASE)
# PyPI trove classifiers (`License :: OSI Approved :: <name>`), by their last segment.
_CLASSIFIERS = {
    "MIT License": "MIT", "MIT No Attribution License (MIT-0)": "MIT-0", "Apache Software License": "Apache-2.0",
    "BSD License": "LicenseRef-BSD", "ISC License (ISCL)": "ISC", "Python Software Foundation License": "PSF-2.0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0", "Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
    "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "The Unlicense (Unlicense)": "Unlicense", "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0", "Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",
    "Zope Public License": "ZPL-2.1", "Public Domain": "LicenseRef-public-domain",
    "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0", "zlib/libpng License": "Zlib",
    "Universal Permissive License (UPL)": "UPL-1.0", "Artistic License": "Artistic-2.0",
}  # fmt: skip
_COMMON_LICENSES_RE = re.compile(r"/usr/share/common-licenses/([A-Za-z0-9.+_-]*[A-Za-z0-9+])")


@dataclass(frozen=True)
class LicenseInfo:
    """A repository's licences (`ids`, what goes into `max_stars_repo_licenses`), where they were read from,
    and, for DEP-5, every licence the copyright file names for any of its files (`all_ids`)."""

    ids: list[str]
    source: str
    all_ids: list[str] = field(default_factory=list)


def _license_ref(name: str) -> str:
    return "LicenseRef-" + (re.sub(r"[^A-Za-z0-9.]+", "-", name).strip("-") or "unknown")


def spdx_id(name: str) -> str:
    """One licence name (an SPDX id, a Debian short name or a common spelling) as an SPDX id, or
    `LicenseRef-<name>` when it has none: `GPL-2+` -> `GPL-2.0-or-later`, `Expat` -> `MIT`."""
    key = name.strip()
    lower = key.lower()
    if lower in _ALIASES:
        return _ALIASES[lower]
    if lower in _SPDX_LOWER:
        return _SPDX_LOWER[lower]
    gnu = _GNU_RE.match(lower.replace(" ", "-"))
    if gnu:
        family = {"a": "AGPL", "l": "LGPL", "gf": "GFDL", None: "GPL"}[gnu.group(1) and gnu.group(1).lower()]
        version = gnu.group(2)
        if version is None:  # an unversioned name means any version of it
            return _UNVERSIONED_GNU[family]
        version = version if "." in version else f"{version}.0"
        return f"{family}-{version}{'-or-later' if gnu.group(3) in ('+', '-or-later') else '-only'}"
    return _license_ref(key)


def license_ids(expression: str) -> list[str]:
    """The licences an expression names, in order, once each: `(MIT OR Apache-2.0)` -> `[MIT, Apache-2.0]`,
    `GPL-2 with Classpath exception` -> `[GPL-2.0-only WITH Classpath-exception-2.0]`."""
    ids: list[str] = []
    for part in _EXPRESSION_SPLIT_RE.split(expression):
        part = part.strip()
        if not part:
            continue
        base, *exception = _WITH_RE.split(part, maxsplit=1)
        spdx = spdx_id(base)
        if exception:
            name = re.sub(r"\s+", "-", exception[0].strip())
            spdx = f"{spdx} WITH {_EXCEPTIONS.get(name.lower(), name)}"
        if spdx not in ids:
            ids.append(spdx)
    return ids


def _all_known(ids: list[str]) -> bool:
    return bool(ids) and not any(i.startswith("LicenseRef-") for i in ids)


# -- Debian ---------------------------------------------------------------------------------------------
def parse_deb822(text: str) -> list[dict[str, str]]:
    """Deb822 paragraphs (blank-line separated `Field: value` blocks, continuation lines indented, `#`
    lines are comments) as dicts with lower-case field names; a continuation keeps its own line."""
    paragraphs: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                paragraphs.append(current)
            current, key = {}, None
            continue
        if line[0] in " \t":
            if key is not None:
                current[key] += "\n" + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"not a Deb822 field line: {line[:80]!r}")
        key = name.strip().lower()
        current[key] = value.strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def is_dep5(text: str) -> bool:
    """Whether a copyright file is machine-readable (DEP-5): its first field is a `Format:` URL."""
    first = text.lstrip().split("\n", 1)[0]
    return first.lower().startswith("format:") and "copyright-format" in first.lower()


def _first_line(value: str) -> str:
    return value.split("\n", 1)[0].strip()


def debian_copyright_licenses(text: str) -> LicenseInfo:
    """The repository licence of a Debian package from its copyright file.

    DEP-5: the `License` of the `Files: *` paragraph (the whole tree), else of the paragraph with the most
    file patterns; `all_ids` lists every paragraph's licence. An older free-form file: the licences it
    points to under /usr/share/common-licenses (`-or-later` when it says "any later version")."""
    if not is_dep5(text):
        names = list(dict.fromkeys(_COMMON_LICENSES_RE.findall(text)))
        later = "any later version" in text.lower()
        versioned = {re.sub(r"-[\d.]+$", "", n) for n in names if re.search(r"-[\d.]+$", n)}
        ids = []
        for name in names:
            if name in versioned:  # `GPL` beside `GPL-3` only points at the folder of GPL versions
                continue
            spdx = spdx_id(f"{name}+" if later and _GNU_RE.match(name) and not name.endswith("+") else name)
            if spdx not in ids:
                ids.append(spdx)
        return LicenseInfo(ids, "debian-copyright (free-form, common-licenses references)", list(ids))
    paragraphs = [p for p in parse_deb822(text) if "license" in p]
    files = [p for p in paragraphs if "files" in p]
    header = next((p for p in paragraphs if "format" in p), None)
    main = next((p for p in files if "*" in p["files"].split()), None)
    if main is None and files:
        main = max(files, key=lambda p: len(p["files"].split()))
    main = main or header
    all_ids = list(dict.fromkeys(i for p in (files or paragraphs) for i in license_ids(_first_line(p["license"]))))
    if main is None:
        return LicenseInfo([], "debian-copyright (DEP-5 without a License field)", [])
    which = "Files: *" if "*" in main.get("files", "").split() else "widest Files paragraph"
    return LicenseInfo(license_ids(_first_line(main["license"])), f"debian-copyright (DEP-5, {which})", all_ids)


# -- npm and PyPI -----------------------------------------------------------------------------------------
def npm_licenses(package_json: dict) -> LicenseInfo:
    """package.json `license` (an SPDX expression, or the legacy `{type}` / `licenses: [{type}]` forms)."""
    value = package_json.get("license")
    if isinstance(value, dict):
        value = value.get("type")
    if isinstance(value, str) and value.strip():
        if value.upper().startswith("SEE LICENSE IN"):
            return LicenseInfo(["LicenseRef-see-license-file"], "package.json license")
        return LicenseInfo(license_ids(value), "package.json license")
    legacy = package_json.get("licenses")
    if isinstance(legacy, list):
        names = [item.get("type") if isinstance(item, dict) else item for item in legacy]
        ids = list(dict.fromkeys(i for name in names if isinstance(name, str) for i in license_ids(name)))
        if ids:
            return LicenseInfo(ids, "package.json licenses")
    return LicenseInfo([], "package.json (no license field)")


def pkg_info_licenses(pkg_info: str) -> LicenseInfo:
    """PKG-INFO: `License-Expression`, else a `License` (or the title line of the licence text in it) that
    names only known licences, else the `License ::` classifiers."""
    headers = HeaderParser().parsestr(pkg_info)
    expression = headers.get("License-Expression")
    if expression and expression.strip():
        return LicenseInfo(license_ids(expression), "PKG-INFO License-Expression")
    title = (headers.get("License") or "").strip().split("\n", 1)[0].strip()  # a full text starts with its title
    if title and len(title) <= 100:
        ids = license_ids(title)
        if _all_known(ids):
            return LicenseInfo(ids, "PKG-INFO License")
    ids = []
    for classifier in headers.get_all("Classifier") or []:
        parts = [p.strip() for p in classifier.split("::")]
        if parts[0] == "License" and len(parts) > 1 and parts[-1] != "OSI Approved":
            spdx = _CLASSIFIERS.get(parts[-1], _license_ref(parts[-1]))
            if spdx not in ids:
                ids.append(spdx)
    if ids:
        return LicenseInfo(ids, "PKG-INFO classifiers")
    return LicenseInfo([], "PKG-INFO (no licence field)")
