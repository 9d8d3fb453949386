"""Licences declared in package metadata: package.json, PKG-INFO / METADATA, pyproject.toml, Debian DEP-5
copyright files, and a dataset's licence column. Each reader returns a `LicenseResult` or None."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.parser import HeaderParser
from typing import Any

from snowcoder_hf.licensing.identify import identify_text
from snowcoder_hf.licensing.spdx import normalize_expression, normalize_name


@dataclass(frozen=True)
class LicenseResult:
    """A licence as an SPDX expression, and where it came from (`package.json`, `METADATA:License-Expression`,
    `LICENSE:full_text`, `column`, ...). `pointer` names a file the metadata defers to (`SEE LICENSE IN x`)."""

    spdx: str | None
    source: str
    pointer: str | None = None


_SEE_FILE_RE = re.compile(r"^\s*see licen[cs]e in\s+(\S+)", re.I)
_CLASSIFIER_PREFIX = "License ::"


def _text_or_name(value: str, source: str) -> LicenseResult | None:
    """A metadata field that holds either a licence name or a whole licence text."""
    value = value.strip()
    if not value:
        return None
    if "\n" in value or len(value) > 200:
        match = identify_text(value)
        return LicenseResult(match.spdx, f"{source}:{match.kind}") if match else None
    spdx = normalize_expression(value)
    return LicenseResult(spdx, source) if spdx else None


def license_from_package_json(content: str | dict) -> LicenseResult | None:
    """npm's `license` (an SPDX expression, `SEE LICENSE IN <file>`, `UNLICENSED`), or the old `licenses`
    list / `{type: ...}` object."""
    data = content
    if isinstance(content, str):
        try:
            data = json.loads(content)
        except ValueError:
            return None
    if not isinstance(data, dict):
        return None
    value = data.get("license")
    if isinstance(value, dict):
        value = value.get("type")
    if value is None and isinstance(data.get("licenses"), list):
        names = [v.get("type") if isinstance(v, dict) else v for v in data["licenses"]]
        value = [n for n in names if isinstance(n, str)] or None
    if isinstance(value, str) and (see := _SEE_FILE_RE.match(value)):
        return LicenseResult(None, "package.json", pointer=see.group(1))
    spdx = normalize_expression(value)
    return LicenseResult(spdx, "package.json") if spdx else None


def license_from_core_metadata(content: str, source: str = "METADATA") -> LicenseResult | None:
    """Python core metadata (PKG-INFO / METADATA): `License-Expression`, then a recognisable `License`
    (a name or a whole text), then the `License ::` classifiers (several are read as alternatives)."""
    headers = HeaderParser().parsestr(content, headersonly=True)
    expression = headers.get("License-Expression")
    if expression and (spdx := normalize_expression(str(expression))):
        return LicenseResult(spdx, f"{source}:License-Expression")
    license_field = headers.get("License")
    if license_field:
        found = _text_or_name(str(license_field), f"{source}:License")
        if found:
            return found
    names = [normalize_name(c.split("::")[-1]) for c in headers.get_all("Classifier") or []
             if str(c).startswith(_CLASSIFIER_PREFIX)]  # fmt: skip
    names = list(dict.fromkeys(n for n in names if n))
    if names:
        return LicenseResult(normalize_expression(" OR ".join(names)), f"{source}:Classifier")
    return None


def load_toml(content: str) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads(content)


def license_from_pyproject(content: str) -> LicenseResult | None:
    """`[project] license` (a PEP 639 expression, `{text = ...}` or `{file = ...}`), then its classifiers,
    then Poetry's `[tool.poetry] license`."""
    try:
        data = load_toml(content)
    except ValueError:  # tomllib.TOMLDecodeError is a ValueError
        return None
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    value = project.get("license")
    if isinstance(value, dict):
        if isinstance(value.get("file"), str) and "text" not in value:
            return LicenseResult(None, "pyproject.toml", pointer=value["file"])
        value = value.get("text")
    if isinstance(value, str) and (found := _text_or_name(value, "pyproject.toml")):
        return found
    classifiers = project.get("classifiers") if isinstance(project.get("classifiers"), list) else []
    names = [normalize_name(c.split("::")[-1]) for c in classifiers if str(c).startswith(_CLASSIFIER_PREFIX)]
    names = list(dict.fromkeys(n for n in names if n))
    if names:
        return LicenseResult(normalize_expression(" OR ".join(names)), "pyproject.toml:Classifier")
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if isinstance(poetry, dict) and isinstance(poetry.get("license"), str):
        spdx = normalize_expression(poetry["license"])
        return LicenseResult(spdx, "pyproject.toml:tool.poetry") if spdx else None
    return None


# -- Debian machine-readable copyright (DEP-5) ----------------------------------------------------------------
@dataclass(frozen=True)
class Dep5Paragraph:
    fields: dict[str, str]  # field name (lower case) -> value, continuation lines joined with "\n"

    @property
    def license_name(self) -> str:
        return self.fields.get("license", "").split("\n", 1)[0].strip()

    @property
    def license_text(self) -> str:
        """The licence body after the name line; DEP-5 writes empty lines as a lone `.`."""
        body = self.fields.get("license", "").split("\n", 1)
        if len(body) < 2:
            return ""
        return "\n".join("" if line.strip() == "." else line for line in body[1].split("\n"))


def is_dep5(content: str) -> bool:
    return bool(re.match(r"\s*format:\s*\S*(?:copyright-format|dep5|DEP-5)", content, re.I))


def parse_dep5(content: str) -> list[Dep5Paragraph]:
    """The paragraphs of a DEP-5 file (header, `Files:` and standalone `License:` paragraphs)."""
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", content.replace("\r\n", "\n")):
        fields: dict[str, str] = {}
        current = None
        for line in block.split("\n"):
            if line.startswith("#"):
                continue
            if line[:1] in (" ", "\t") and current:
                fields[current] += "\n" + line.strip()
            elif ":" in line:
                name, value = line.split(":", 1)
                current = name.strip().lower()
                fields[current] = value.strip()
        if fields:
            paragraphs.append(Dep5Paragraph(fields))
    return paragraphs


def main_dep5_paragraph(paragraphs: list[Dep5Paragraph]) -> Dep5Paragraph | None:
    """The `Files: *` paragraph (the package's own licence), else the first `Files:` one."""
    files = [p for p in paragraphs if "files" in p.fields]
    for paragraph in files:
        if paragraph.fields["files"].split() and paragraph.fields["files"].split()[0] == "*":
            return paragraph
    return files[0] if files else None


def license_from_dep5(content: str) -> LicenseResult | None:
    """The declared licence of the `Files: *` paragraph of a Debian DEP-5 copyright file."""
    if not is_dep5(content):
        return None
    main = main_dep5_paragraph(parse_dep5(content))
    if main is None or not main.license_name:
        return None
    spdx = normalize_expression(main.license_name)
    return LicenseResult(spdx, "debian/copyright:License") if spdx else None


def dep5_license_text(content: str) -> str:
    """The text DEP-5 gives for the main licence: the body in the `Files: *` paragraph, else the standalone
    `License:` paragraph of that name. The `License:` name lines themselves are left out."""
    paragraphs = parse_dep5(content)
    main = main_dep5_paragraph(paragraphs)
    if main is None:
        return ""
    if main.license_text.strip():
        return main.license_text
    names = {n.strip().lower() for n in re.split(r"\s+(?:or|and)\s+|,", main.license_name, flags=re.I) if n.strip()}
    texts = [p.license_text for p in paragraphs if "files" not in p.fields and p.license_name.lower() in names]
    return "\n\n".join(texts)


def license_from_column(value: Any) -> LicenseResult | None:
    """A dataset's licence column: an SPDX string, a free-form name, or a list of licences found in the
    repository (the-stack's `max_stars_repo_licenses`), read as alternatives like the dedup keep rule."""
    if value is None or (isinstance(value, float) and value != value):  # None or NaN from pandas
        return None
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):
        value = list(value.tolist() if hasattr(value, "tolist") else value)
    spdx = normalize_expression(value)
    return LicenseResult(spdx, "column") if spdx else None
