"""What a source file can be imported as, and what it imports, per language, from its path and text alone.

The rules are the ones DeepSeek-Coder and Seed-Coder describe for repository-level ordering: Python imports
(relative ones resolved against the file's package), Java/Kotlin/Scala `package` and `import`, C/C++ quoted and
angled `#include`s, Go import paths, and JS/TS `import`/`require` of relative paths. A name is matched against
what other files of the same repository provide; anything that resolves to no file there (the standard library,
third-party packages) is ignored.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

_PY_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w.]+(?:[ \t]*,[ \t]*[\w.]+)*)", re.M)
_PY_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\(?([\w., \t\n*]+)\)?", re.M)
_JVM_PACKAGE = re.compile(r"^[ \t]*package[ \t]+([\w.]+)", re.M)
_JVM_IMPORT = re.compile(r"^[ \t]*import[ \t]+(?:static[ \t]+)?(\w+(?:\.\w+)*(?:\.\*)?)", re.M)
_C_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"\n]+)[>"]', re.M)
_GO_IMPORT_BLOCK = re.compile(r"^import[ \t]*\((.*?)\)", re.M | re.S)
_GO_IMPORT_LINE = re.compile(r'^import[ \t]+(?:[\w.]+[ \t]+)?"([^"]+)"', re.M)
_GO_QUOTED = re.compile(r'"([^"]+)"')
_JS_IMPORT = re.compile(
    r"""(?:\bfrom[ \t]*|\bimport[ \t]*\(?[ \t]*|\brequire[ \t]*\([ \t]*)['"](\.{1,2}/[^'"\n]+)['"]"""
)

PYTHON = ("Python", "Jupyter")
JVM = ("Java", "Kotlin", "Scala")
C_FAMILY = ("C", "C++", "Objective-C")
JS = ("JavaScript", "TypeScript")
JS_SUFFIXES = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".d.ts")


@dataclass
class FileLinks:
    """The names a file can be reached by, and the names it reaches for."""

    provides: set[str] = field(default_factory=set)
    requires: set[str] = field(default_factory=set)
    # `from pkg import mod`: the submodules if they are files here, else the package itself (its __init__)
    either: list[tuple[frozenset[str], str]] = field(default_factory=list)


def _stem(path: str) -> str:
    base = path
    for suffix in sorted(JS_SUFFIXES, key=len, reverse=True):
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return posixpath.splitext(base)[0]


def _python(path: str, text: str) -> FileLinks:
    parts = _stem(path).split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    package = parts if path.endswith("__init__.py") else parts[:-1]
    # every suffix of the dotted path: `src/pkg/mod.py` is importable as `pkg.mod` (and `mod`) in a src layout
    links = FileLinks(provides={"py:" + ".".join(parts[i:]) for i in range(len(parts)) if parts[i:]})
    for match in _PY_IMPORT.finditer(text):
        for name in match.group(1).split(","):
            links.requires.add("py:" + name.strip())
    for match in _PY_FROM.finditer(text):
        dots, module, names = match.group(1), match.group(2), match.group(3)
        if dots:
            anchor = package[: len(package) - (len(dots) - 1)] if len(dots) - 1 <= len(package) else []
            module = ".".join([*anchor, *([module] if module else [])])
        if not module:
            continue
        specific = frozenset(f"py:{module}.{n}" for n in re.split(r"[,\s]+", names) if n.isidentifier())
        links.either.append((specific, "py:" + module))
    return links


def _jvm(path: str, text: str) -> FileLinks:
    package = _JVM_PACKAGE.search(text)
    name = posixpath.splitext(posixpath.basename(path))[0]
    prefix = package.group(1) if package else ""
    links = FileLinks(provides={f"jvm:{prefix}.{name}" if prefix else f"jvm:{name}", f"jvm:{prefix}.*"})
    for match in _JVM_IMPORT.finditer(text):
        links.requires.add("jvm:" + match.group(1))
    return links


def _c(path: str, text: str) -> FileLinks:
    parts = path.split("/")
    links = FileLinks(provides={"c:" + "/".join(parts[i:]) for i in range(len(parts))})
    for match in _C_INCLUDE.finditer(text):
        links.requires.add("c:" + posixpath.normpath(match.group(1)).lstrip("./"))
    return links


def _go(path: str, text: str) -> FileLinks:
    folder = posixpath.dirname(path)
    parts = folder.split("/") if folder else []
    links = FileLinks(provides={"go:" + "/".join(parts[i:]) for i in range(len(parts))})
    imports = [m.group(1) for m in _GO_IMPORT_LINE.finditer(text)]
    for block in _GO_IMPORT_BLOCK.finditer(text):
        imports += _GO_QUOTED.findall(block.group(1))
    for name in imports:
        pieces = name.split("/")  # a module path ends in the repository's folders: match every suffix
        links.requires.update("go:" + "/".join(pieces[i:]) for i in range(len(pieces)))
    return links


def _js(path: str, text: str) -> FileLinks:
    stem = _stem(path)
    provides = {"js:" + stem}
    if posixpath.basename(stem) == "index":
        provides.add("js:" + posixpath.dirname(stem))
    links = FileLinks(provides=provides)
    folder = posixpath.dirname(path)
    for match in _JS_IMPORT.finditer(text):
        target = posixpath.normpath(posixpath.join(folder, match.group(1)))
        links.requires.add("js:" + _stem(target))
    return links


def file_links(path: str, language: str, text: str) -> FileLinks:
    """The provided and required names of one file; empty for a language without rules."""
    if language in PYTHON:
        return _python(path, text)
    if language in JVM:
        return _jvm(path, text)
    if language in C_FAMILY:
        return _c(path, text)
    if language == "Go":
        return _go(path, text)
    if language in JS:
        return _js(path, text)
    return FileLinks()
