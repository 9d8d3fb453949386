"""Which licence a text is: an `SPDX-License-Identifier` tag, a full licence text matched against the
references, a standard notice ("Licensed under the Apache License, Version 2.0", "either version 2 of the
License, or (at your option) any later version"), or, in a README's licence section, the licence's name.

Full texts are matched by word-trigram containment, so extra text around a licence (holders, bundled
notices, a project's preface) does not hide it; when two references match the same span, the one that
explains more of it wins (BSD-3-Clause over BSD-2-Clause, MIT over MIT-0).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from snowcoder_hf.licensing.normalize import clean_markup, phrase_words, trigrams, words
from snowcoder_hf.licensing.references import REFERENCES
from snowcoder_hf.licensing.spdx import normalize_expression, normalize_name

MAX_TEXT_CHARS = 300_000  # a licence file past this is bundled notices; its head decides
# A required title (a few words) must appear as a phrase; a required clause must be mostly present.
_REQUIRED_CLAUSE_SHARE, _TITLE_GRAMS = 0.6, 10

KINDS = ("spdx_tag", "full_text", "notice", "name")


@dataclass(frozen=True)
class LicenseMatch:
    """One licence found in a text: SPDX id or expression, how it was found, how much of the reference was
    present (1.0 for tags and notices), and the word position of its first evidence."""

    spdx: str
    kind: str
    score: float
    position: int
    end: int = -1


@dataclass(frozen=True)
class _Fragment:
    grams: frozenset
    required: bool
    phrase: str | None = None  # a required title, matched word for word


@dataclass(frozen=True)
class _Compiled:
    spdx: str
    threshold: float
    fragments: tuple[_Fragment, ...]
    total: int


@functools.cache
def _compiled() -> tuple[_Compiled, ...]:
    out = []
    for ref in REFERENCES:
        fragments = []
        for text in ref.fragments:
            required = text.startswith("!")
            grams = set()
            for part in text.lstrip("!").split("{}"):  # no trigram spans a varying part
                grams.update(trigrams(phrase_words(part)))
            phrase = " ".join(phrase_words(text.lstrip("!"))) if required and len(grams) <= _TITLE_GRAMS else None
            fragments.append(_Fragment(frozenset(grams), required, phrase))
        out.append(_Compiled(ref.spdx, ref.threshold, tuple(fragments), sum(len(f.grams) for f in fragments)))
    return tuple(out)


def full_text_matches(tokens: list[str]) -> list[LicenseMatch]:
    """Every reference licence whose text is contained in `tokens`, one per span, in text order."""
    first: dict[tuple, int] = {}
    for i, gram in enumerate(trigrams(tokens)):
        first.setdefault(gram, i)
    joined = f" {' '.join(tokens)} "
    found: list[tuple[int, LicenseMatch]] = []
    for ref in _compiled():
        matched, positions, ok = 0, [], True
        for fragment in ref.fragments:
            hits = [first[g] for g in fragment.grams if g in first]
            if fragment.phrase is not None and f" {fragment.phrase} " not in joined:
                ok = False
                break
            if fragment.required and len(hits) < _REQUIRED_CLAUSE_SHARE * len(fragment.grams):
                ok = False
                break
            matched += len(hits)
            positions += hits
        if ok and positions and matched >= ref.threshold * ref.total:
            found.append((matched, LicenseMatch(ref.spdx, "full_text", matched / ref.total, min(positions),
                                                max(positions) + 3)))  # fmt: skip
    kept: list[LicenseMatch] = []
    for _, match in sorted(found, key=lambda item: -item[0]):
        if not any(_overlap(match, other) > 0.5 for other in kept):
            kept.append(match)
    ids = {m.spdx for m in kept}
    if "LGPL-3.0-only" in ids:  # LGPL-3.0 is GPL-3.0 plus permissions: the pair is one licence
        kept = [m for m in kept if m.spdx != "GPL-3.0-only"]
    return sorted(kept, key=lambda m: m.position)


def _overlap(a: LicenseMatch, b: LicenseMatch) -> float:
    inter = min(a.end, b.end) - max(a.position, b.position)
    return max(inter, 0) / max(min(a.end - a.position, b.end - b.position), 1)


# -- notices, on the space-joined normalised words -----------------------------------------------------------
_GNU_NOTICE_RE = re.compile(
    r"\bgnu (lesser |library |affero )?general public license (?:as published by the free software foundation )?"
    r"(?:either )?(?:version|v) (\d)(?: (\d))?(?: of the license)?( or at your option any later version| or any "
    r"later version| or later)?"
)
_NOTICES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"\blicensed under the apache license version 2 0\b"), "Apache-2.0"),
    (re.compile(r"\bsubject to the terms of the mozilla public license v 2 0\b"), "MPL-2.0"),
    (re.compile(r"\bhas waived all copyright and related or neighboring rights\b"), "CC0-1.0"),
    (re.compile(r"\bunder the same terms as perl itself\b"), "Artistic-1.0-Perl OR GPL-1.0-or-later"),
    (re.compile(r"\bgoverned by a bsd style license\b"), "BSD-3-Clause"),
    (re.compile(r"\bthis is free and unencumbered software released into the public domain\b"), "Unlicense"),
)
_UNDER_NAME_RE = re.compile(
    r"\b(?:licensed|released|distributed|available|published|provided|covered|licenced) under (?:the )?"
    r"(?:terms of (?:the )?)?(?:an? )?((?:[a-z0-9]+ ){0,4}?[a-z0-9]+) license\b"
)
_SPDX_TAG_RE = re.compile(r"SPDX-License-Identifier:\s*([^\n\r*#]*?)\s*(?:\*/|-->|\"|$)", re.I | re.M)
_README_RE = re.compile(r"^readme(?:\.[a-z0-9]+)?$", re.I)
_HEADING_RE = re.compile(
    r"^(?:#{1,6}[ \t]*([^\n]*)|([^\n]+)\n[=\-~^*]{3,}[ \t]*)$|^\.\. _([^\n]*):$|^\*\*([^\n*]+)\*\*[ \t]*$", re.M
)


def _word_index(joined: str, char_pos: int) -> int:
    return joined.count(" ", 0, char_pos)


def _gnu_spdx(match: re.Match) -> str | None:
    family = {"lesser ": "LGPL", "library ": "LGPL", "affero ": "AGPL"}.get(match.group(1) or "", "GPL")
    version = f"{match.group(2)}.{match.group(3) or '0'}"
    name = f"{family}-{version}{'+' if match.group(4) else ''}"
    if family == "GPL" and version == "2.1":
        return None
    return normalize_name(name)


def notice_matches(tokens: list[str], *, names: bool = True) -> list[LicenseMatch]:
    """Standard licence notices (and, with `names`, "licensed under the X license") in text order."""
    joined = " ".join(tokens)
    out = []
    for match in _GNU_NOTICE_RE.finditer(joined):
        spdx = _gnu_spdx(match)
        if spdx:
            out.append(LicenseMatch(spdx, "notice", 1.0, _word_index(joined, match.start())))
    for pattern, spdx in _NOTICES:
        for match in pattern.finditer(joined):
            out.append(LicenseMatch(normalize_expression(spdx) or spdx, "notice", 1.0,
                                    _word_index(joined, match.start())))  # fmt: skip
    if names:
        for match in _UNDER_NAME_RE.finditer(joined):
            if "general public" in match.group(1):
                continue  # an unversioned GNU name: the GNU pattern above decides, or nothing does
            spdx = normalize_name(match.group(1) + " license")
            if spdx:
                out.append(LicenseMatch(spdx, "notice", 1.0, _word_index(joined, match.start())))
    return sorted(out, key=lambda m: m.position)


def spdx_tags(text: str) -> list[LicenseMatch]:
    """`SPDX-License-Identifier: X` lines, each parsed as an expression."""
    out = []
    for match in _SPDX_TAG_RE.finditer(text[:MAX_TEXT_CHARS]):
        spdx = normalize_expression(match.group(1))
        if spdx:
            out.append(LicenseMatch(spdx, "spdx_tag", 1.0, text.count(" ", 0, match.start())))
    return out


def license_sections(markdown: str) -> list[str]:
    """The bodies of a README's sections titled License / Licence / Licensing / Copying (markdown or rst)."""
    headings = list(_HEADING_RE.finditer(markdown))
    out = []
    for i, heading in enumerate(headings):
        title = next(g for g in heading.groups() if g is not None).strip().strip("#*:= ").lower()
        if re.match(r"^(?:\W*)(?:licen[cs]e|licen[cs]ing|copying|copyright and licen[cs]e)s?\b", title):
            end = headings[i + 1].start() if i + 1 < len(headings) else len(markdown)
            out.append(markdown[heading.end() : end])
    return out


def _name_lines(section: str) -> list[str]:
    """Short lines of a licence section that may be just a name: `MIT`, `[Apache 2.0](LICENSE)`, a badge."""
    out = []
    for badge in re.findall(r"badge/licen[cs]e-([A-Za-z0-9.+_%]+(?:--[A-Za-z0-9.+_%]+)*)-", section, re.I):
        out.append(badge.replace("--", "-").replace("%20", " ").replace("_", " "))
    for line in clean_markup(section).splitlines():
        line = line.strip(" \t-*>`:|")
        line = re.sub(r"^(?:licen[cs]e[ds]?|licen[cs]ing)\s*[:\-]\s*", "", line, flags=re.I)
        if 0 < len(line) <= 80:
            out.append(line)
    return out


def is_readme(filename: str | None) -> bool:
    return bool(filename) and bool(_README_RE.match(PurePosixPath(filename).name))


def identify_all(text: str, filename: str | None = None) -> list[LicenseMatch]:
    """Every licence found in `text`, best evidence first: SPDX tags, then full texts and notices in text
    order (a notice inside a matched full text is part of it). A README is read only in its licence
    sections, where a bare licence name also counts."""
    if not isinstance(text, str) or not text.strip():
        return []
    text = text[:MAX_TEXT_CHARS]
    tags = spdx_tags(text)
    readme = is_readme(filename)
    parts = license_sections(text) if readme else [text]
    found: list[LicenseMatch] = []
    offset = 0
    for part in parts:
        tokens = words(part)
        full = full_text_matches(tokens)
        # a notice after a full text is read as part of it: the GNU and Apache texts end with their own notice
        notices = [n for n in notice_matches(tokens) if not any(f.position <= n.position for f in full)]
        matches = list({(m.spdx, m.position): m for m in full + notices}.values())
        if readme and not matches:
            for line in _name_lines(part):
                spdx = normalize_expression(line)
                if spdx:
                    matches.append(LicenseMatch(spdx, "name", 1.0, 0))
                    break
        found += [LicenseMatch(m.spdx, m.kind, m.score, m.position + offset, m.end) for m in matches]
        offset += len(tokens)
    if readme and not parts:  # no licence section: only an explicit notice anywhere in the README
        found = [m for m in notice_matches(words(text), names=False)]
    return tags + sorted(found, key=lambda m: m.position)


def identify_text(text: str, filename: str | None = None) -> LicenseMatch | None:
    """The licence of a licence file, README or source header: the first of `identify_all`, or None."""
    found = identify_all(text, filename)
    return found[0] if found else None
