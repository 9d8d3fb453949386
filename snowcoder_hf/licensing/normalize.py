"""Licence text to a list of comparable words: case, punctuation, wrapping, comment markers, markdown and
copyright lines removed, and the spelling variants of the SPDX matching guidelines folded together."""

from __future__ import annotations

import re

_COMMENT_PREFIX_RE = re.compile(
    r"^[ \t]*(?:/\*+|\*+/|\*|//+|#+|--+|;+|%+|\"\"\"|'''|rem\b|dnl\b|!)?[ \t]*", re.I | re.M
)
# A holder's line ("Copyright (c) 2020 Jane", "(C) 2001 ACME") but not a wrapped "copyright notice ..." clause.
_COPYRIGHT_LINE_RE = re.compile(
    r"^[ \t]*(?:(?:portions )?copyright\s*(?:\(c\)|©|\d{4}|by\b|:)|\(c\)\s*\d{4}|©).*$|^[ \t]*all rights reserved\.?[ \t]*$",
    re.I | re.M,
)
_MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HTML_TAG_RE = re.compile(r"<[^>\n]{0,200}>")
_URL_PREFIX_RE = re.compile(r"https?://(?:www\.)?", re.I)
_WORD_RE = re.compile(r"[a-z0-9]+")
# Words the SPDX matching guidelines treat as the same, folded to one spelling.
_EQUIVALENTS = {
    "licence": "license", "licences": "licenses", "licenced": "licensed", "licencing": "licensing",
    "acknowledgement": "acknowledgment", "analogue": "analog", "authorise": "authorize",
    "authorised": "authorized", "centre": "center", "favour": "favor", "organisation": "organization",
    "organisations": "organizations", "recognise": "recognize", "utilise": "utilize", "whilst": "while",
    "sublicence": "sublicense", "holders": "holder", "owners": "holder", "owner": "holder",
}  # fmt: skip
_JOINED = re.compile(r"\b(non|sub|co)[- ](?=[a-z])", re.I)  # non-commercial / non commercial / noncommercial


def clean_markup(text: str) -> str:
    """Drop markdown links and HTML tags (keeping their words), comment markers and copyright lines."""
    text = _MD_LINK_RE.sub(r"\1", text)
    text = _HTML_TAG_RE.sub(" ", text)
    text = _COMMENT_PREFIX_RE.sub("", text)
    text = _COPYRIGHT_LINE_RE.sub(" ", text)
    return _URL_PREFIX_RE.sub("", text)


def words(text: str) -> list[str]:
    """The comparable words of a licence text, in order."""
    text = clean_markup(text.replace("\r", "\n")).lower()
    text = _JOINED.sub(r"\1", text.replace("&", " and "))
    return [_EQUIVALENTS.get(w, w) for w in _WORD_RE.findall(text)]


def phrase_words(phrase: str) -> list[str]:
    """Words of a reference phrase, folded the same way as a text's (no line-level cleanup)."""
    text = _JOINED.sub(r"\1", phrase.lower().replace("&", " and "))
    return [_EQUIVALENTS.get(w, w) for w in _WORD_RE.findall(text)]


def trigrams(tokens: list[str]) -> list[tuple[str, str, str]]:
    return list(zip(tokens, tokens[1:], tokens[2:], strict=False))  # the last two words start no trigram
