"""Which licence a text is: an `SPDX-License-Identifier` tag, a full licence text matched against the
references, a standard notice ("Licensed under the Apache License, Version 2.0", "either version 2 of the
License, or (at your option) any later version"), or, in a README's licence section, the licence's name.

Full texts are matched by word-trigram containment, so extra text around a licence (holders, bundled
notices, a project's preface) does not hide it; when two references match the same span, the one that
explains more of it wins (BSD-3-Clause over BSD-2-Clause, MIT over MIT-0).
"""

from __future__ import annotations

import collections
import functools
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from snowcoder_hf.licensing.normalize import clean_markup, phrase_words, trigrams, words
from snowcoder_hf.licensing.references import REFERENCES
from snowcoder_hf.licensing.spdx import exact_name, normalize_expression, normalize_name

MAX_TEXT_CHARS = 300_000  # a licence file past this is bundled notices; its head decides
_CLAUSE_SHARE = 0.6  # a required clause must be this much present; a required title (few trigrams) whole
_TITLE_GRAMS = 10
_TITLE_WAIVER = 0.9  # a missing title is forgiven when the rest of the reference is this much present
_MAX_OCCURRENCES = 64  # of one trigram, when locating a fragment (boilerplate trigrams repeat)

KINDS = ("spdx_tag", "full_text", "notice", "name")


@dataclass(frozen=True)
class LicenseMatch:
    """One licence found in a text: SPDX id or expression, how it was found, how much of the reference was
    present (1.0 for tags and notices), and the word span of its evidence."""

    spdx: str
    kind: str
    score: float
    position: int
    end: int = -1


@dataclass(frozen=True)
class _Fragment:
    alternatives: tuple[frozenset, ...]  # trigram sets of the accepted wordings
    width: int  # words the fragment spans, plus slack for inserted words
    required: bool

    @property
    def title(self) -> bool:
        return max(len(a) for a in self.alternatives) <= _TITLE_GRAMS


@dataclass(frozen=True)
class _Compiled:
    spdx: str
    threshold: float
    fragments: tuple[_Fragment, ...]


@functools.cache
def _compiled() -> tuple[_Compiled, ...]:
    out = []
    for ref in REFERENCES:
        fragments = []
        for text in ref.fragments:
            alternatives, width = [], 0
            for wording in text.lstrip("!").split("||"):
                grams = set()
                for part in wording.split("{}"):  # no trigram spans a varying part
                    grams.update(trigrams(phrase_words(part)))
                alternatives.append(frozenset(grams))
                width = max(width, len(phrase_words(wording)) + 4 * wording.count("{}") + 10)
            fragments.append(_Fragment(tuple(alternatives), width, text.startswith("!")))
        out.append(_Compiled(ref.spdx, ref.threshold, tuple(fragments)))
    return tuple(out)


def _index(tokens: list[str]) -> dict[tuple, list[int]]:
    index: dict[tuple, list[int]] = collections.defaultdict(list)
    for i, gram in enumerate(trigrams(tokens)):
        index[gram].append(i)
    return dict(index)


def _locate(grams: frozenset, width: int, index: dict) -> tuple[int, int, int]:
    """`(distinct trigrams found, start, end)` of the window of `width` words holding most of `grams`."""
    points = sorted((p, g) for g in grams for p in index.get(g, ())[:_MAX_OCCURRENCES])
    best, counts, left = (0, -1, -1), {}, 0
    for position, gram in points:
        counts[gram] = counts.get(gram, 0) + 1
        while position - points[left][0] > width:
            old = points[left][1]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            left += 1
        if len(counts) > best[0]:
            best = (len(counts), points[left][0], position + 3)
    return best


def _match(ref: _Compiled, index: dict) -> LicenseMatch | None:
    """`ref` in the indexed text, or None: every required fragment present, enough of the whole found."""
    hits_sum = size_sum = 0
    missing_title = False
    anchors: list[tuple[int, int]] = []
    others: list[tuple[int, int]] = []
    anchored = any(f.required for f in ref.fragments)  # required fragments locate the licence, else all do
    # Cheap bound first: trigrams present anywhere. Most references fail here without being located.
    present_anywhere = sum(max(sum(g in index for g in grams) for grams in f.alternatives) for f in ref.fragments)
    if present_anywhere < ref.threshold * sum(max(len(g) for g in f.alternatives) for f in ref.fragments) * 0.9:
        return None
    for fragment in ref.fragments:
        located = [(*_locate(grams, fragment.width, index), len(grams)) for grams in fragment.alternatives]
        hits, start, end, total = max(located, key=lambda item: item[0] / max(item[3], 1))  # best wording
        present = hits >= (total if fragment.title else _CLAUSE_SHARE * total)
        if fragment.required and not present:
            if not fragment.title:
                return None
            missing_title = True
            continue
        hits_sum, size_sum = hits_sum + hits, size_sum + total
        if hits:
            (anchors if fragment.required or not anchored else others).append((start, end))
    anchors = anchors or others  # a waived title leaves the other fragments to place the licence
    if not anchors or not size_sum:
        return None
    score = hits_sum / size_sum
    if score < (max(ref.threshold, _TITLE_WAIVER) if missing_title else ref.threshold):
        return None
    return LicenseMatch(ref.spdx, "full_text", score, min(a for a, _ in anchors), max(b for _, b in anchors))


def full_text_matches(tokens: list[str]) -> list[LicenseMatch]:
    """Every reference licence whose text is in `tokens`, one per span (the reference that explains more
    of a span wins it), in text order."""
    index = _index(tokens)
    found = [m for m in (_match(ref, index) for ref in _compiled()) if m is not None]
    kept: list[LicenseMatch] = []
    weight = {r.spdx: sum(max(len(a) for a in f.alternatives) for f in r.fragments) for r in _compiled()}
    for match in sorted(found, key=lambda m: -m.score * weight[m.spdx]):
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
_GNU = r"gnu (lesser |library |affero )?(?:general public license|gpl)"
_LATER = r"( or at your option any later version| or any later version| or later)?"
_GNU_NOTICE_RE = re.compile(
    rf"\b{_GNU} (?:as published by the free software foundation )?(?:either )?(?:version|v) (\d)(?: (\d))?"
    rf"(?: of the license)?{_LATER}"
)
# "version 2.1 of the GNU Lesser General Public License ... or (at your option) any later version"
_GNU_VERSION_FIRST_RE = re.compile(
    rf"\bversion (\d)(?: (\d))? of the {_GNU}((?: [a-z0-9]+){{0,8}}? or (?:at your option )?any later version)?"
)
_NOTICES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"\blicensed under the apache license version 2 0\b"), "Apache-2.0"),
    (re.compile(r"\bsubject to the terms of the mozilla public license v 2 0\b"), "MPL-2.0"),
    (re.compile(r"\bhas waived all copyright and related or neighboring rights\b"), "CC0-1.0"),
    (re.compile(r"\bunder the same terms as perl itself\b"), "Artistic-1.0-Perl OR GPL-1.0-or-later"),
    (re.compile(r"\bgoverned by a bsd style license\b"), "BSD-3-Clause"),
    (re.compile(r"\bthis is free and unencumbered software released into the public domain\b"), "Unlicense"),
    (re.compile(r"\b(?:is|are|been|put|placed|released|dedicated|be) (?:in|into|on|to) the public domain\b"),
     "LicenseRef-Public-Domain"),
)  # fmt: skip
# "licensed under the MIT license", "is licensed Apache 2.0", "released under the terms of the BSD 3-clause"
_UNDER_RE = re.compile(
    r"\b(?:(?:licensed|licenced)(?: under)?|(?:released|distributed|available|published|provided|covered) under)"
    r"((?: [a-z0-9]+){1,10})"
)
# "the complete text of the Apache License Version 2.0 can be found in /usr/share/common-licenses/Apache-2.0"
_TEXT_OF_RE = re.compile(
    r"\b(?:full|complete) text of((?: [a-z0-9]+){1,10}?) (?:can|may|is|are) (?:be )?(?:found|available|contained)"
)
_COMMON_LICENSES_RE = re.compile(r"\bcommon licenses ([a-z]+[a-z0-9]*(?: \d+)*)")
_LEADING = {"the", "terms", "of", "an", "a", "conditions", "either"}
_SPDX_TAG_RE = re.compile(r"SPDX-License-Identifier:\s*([^\n\r*#]*?)\s*(?:\*/|-->|\"|$)", re.I | re.M)
_README_RE = re.compile(r"^readme(?:\.[a-z0-9]+)?$", re.I)
_HEADING_RE = re.compile(
    r"^(?:#{1,6}[ \t]*([^\n]*)|([^\n]+)\n[=\-~^*]{3,}[ \t]*)$|^\.\. _([^\n]*):$|^\*\*([^\n*]+)\*\*[ \t]*$", re.M
)
_STOP = {"and", "or", "with", "see", "for", "which", "except", "in", "to", "unless", "if", "you", "this", "that",
         "by", "please", "at", "from", "copyright", "but", "on", "can", "is", "as"}  # fmt: skip


def _name_in(window: list[str]) -> str | None:
    """The licence named at the start of `window` ("the terms of the BSD 3 clause license ...")."""
    while window and window[0] in _LEADING:
        window = window[1:]
    cut = next((i for i, w in enumerate(window) if w in _STOP or (i and w == "the")), len(window))
    window = window[: min(cut, 6)]
    if not window or "general" in window:  # a GNU name: the GNU patterns decide, or nothing does
        return None
    if window[0] in ("gpl", "lgpl", "agpl") and not (len(window) > 1 and window[1][:1].isdigit()):
        return None  # "released under the GPL": no version, so no licence to name
    text = re.sub(r"(\d) (?=\d)", r"\1.", " ".join(window))  # "2 0" was "2.0"
    for start in range(min(3, len(window))):  # "open source MIT-CMU license": the name may come later
        part = text.split(" ", start)[-1] if start else text
        for end in range(len(part.split()), 0, -1):
            exact = exact_name(" ".join(part.split()[:end]))
            if exact:
                return exact
    return normalize_name(text)


def _word_index(joined: str, char_pos: int) -> int:
    return joined.count(" ", 0, char_pos)


def _gnu_spdx(family_word: str | None, major: str, minor: str | None, later: str | None) -> str | None:
    family = {"lesser ": "LGPL", "library ": "LGPL", "affero ": "AGPL"}.get(family_word or "", "GPL")
    version = f"{major}.{minor or '0'}"
    if family == "GPL" and version == "2.1":
        return None
    return normalize_name(f"{family}-{version}{'+' if later else ''}")


def notice_matches(tokens: list[str], *, names: bool = True) -> list[LicenseMatch]:
    """Standard licence notices (and, with `names`, "licensed under the X license" and "the complete text of
    X can be found in ...") in text order."""
    joined = " ".join(tokens)
    found: list[tuple[int, str]] = []
    for match in _GNU_NOTICE_RE.finditer(joined):
        found.append((match.start(), _gnu_spdx(match.group(1), match.group(2), match.group(3), match.group(4))))
    for match in _GNU_VERSION_FIRST_RE.finditer(joined):
        found.append((match.start(), _gnu_spdx(match.group(3), match.group(1), match.group(2), match.group(4))))
    for pattern, spdx in _NOTICES:
        found += [(match.start(), normalize_expression(spdx) or spdx) for match in pattern.finditer(joined)]
    if names:
        for pattern in (_UNDER_RE, _TEXT_OF_RE):
            found += [(m.start(), _name_in(m.group(1).split())) for m in pattern.finditer(joined)]
        for match in _COMMON_LICENSES_RE.finditer(joined):  # Debian's path names the licence file
            name = re.sub(r" (\d+(?: \d+)*)$", lambda m: "-" + m.group(1).replace(" ", "."), match.group(1))
            found.append((match.start(), normalize_name(name)))
    matches = {(_word_index(joined, pos), spdx) for pos, spdx in found if spdx}
    return [LicenseMatch(spdx, "notice", 1.0, pos) for pos, spdx in sorted(matches)]


def spdx_tags(text: str) -> list[LicenseMatch]:
    """`SPDX-License-Identifier: X` lines, each parsed as an expression, at their word positions."""
    out = []
    for match in _SPDX_TAG_RE.finditer(text[:MAX_TEXT_CHARS]):
        spdx = normalize_expression(match.group(1))
        if spdx:
            out.append(LicenseMatch(spdx, "spdx_tag", 1.0, len(words(text[: match.start()]))))
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
    """Every licence found in `text`, in text order: SPDX tags, full texts and notices (a notice after a
    matched full text is read as part of it: the GNU and Apache texts end with their own). A README is read
    only in its licence sections, where a bare licence name also counts; so does a licence file that holds
    only a name ("Apache 2.0")."""
    if not isinstance(text, str) or not text.strip():
        return []
    text = text[:MAX_TEXT_CHARS]
    if is_readme(filename):
        return _identify_readme(text)
    tags = spdx_tags(text) if "spdx" in text.lower() else []
    if not tags and len(text.strip()) <= 80 and "\n" not in text.strip():
        spdx = normalize_expression(clean_markup(text).strip())
        if spdx:
            return [LicenseMatch(spdx, "name", 1.0, 0)]
    tokens = words(text)
    full = full_text_matches(tokens)
    before = min((f.position for f in full), default=len(tokens))  # only notices before a full text count
    notices = [n for n in notice_matches(tokens[: before + 64]) if n.position < before]
    return sorted(tags + full + notices, key=lambda m: (m.position, KINDS.index(m.kind)))


def _identify_readme(text: str) -> list[LicenseMatch]:
    sections = license_sections(text)
    if not sections:  # no licence section: only a tag or an explicit notice anywhere in the README
        return spdx_tags(text) + notice_matches(words(text), names=False)
    found: list[LicenseMatch] = []
    for section in sections:
        tokens = words(section)
        full = full_text_matches(tokens)
        before = min((f.position for f in full), default=len(tokens))
        matches = full + [n for n in notice_matches(tokens[: before + 64]) if n.position < before]
        if not matches:
            for line in _name_lines(section):
                spdx = normalize_expression(line)
                if spdx:
                    matches = [LicenseMatch(spdx, "name", 1.0, 0)]
                    break
        found += sorted(matches, key=lambda m: m.position)
    return found


def identify_text(text: str, filename: str | None = None) -> LicenseMatch | None:
    """The licence of a licence file, README or source header: the first of `identify_all`, or None."""
    found = identify_all(text, filename)
    return found[0] if found else None
