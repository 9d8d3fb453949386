"""Programming-language identification from a file's name, and from its content when the name is ambiguous.

Language names follow The Stack / GitHub linguist spelling ("C++", "C#", "Jupyter Notebook"), so that
documents read from the Hub and from local trees carry the same `language` values.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

# The 18 languages of Arctic-SnowCoder's raw data (PAPER.md, "Raw data").
PAPER_LANGUAGES: tuple[str, ...] = (
    "Python", "Java", "C++", "C", "JavaScript", "PHP", "C#", "Go", "TypeScript", "SQL", "Ruby",
    "Rust", "Jupyter Notebook", "Scala", "Kotlin", "Shell", "Dart", "Swift",
)  # fmt: skip

EXTENSIONS: dict[str, str] = {
    # the paper's languages
    ".py": "Python", ".pyi": "Python", ".pyw": "Python", ".pyx": "Python",
    ".java": "Java",
    ".cc": "C++", ".cpp": "C++", ".cxx": "C++", ".c++": "C++", ".hpp": "C++", ".hh": "C++",
    ".hxx": "C++", ".h++": "C++", ".ipp": "C++", ".tpp": "C++", ".inl": "C++",
    ".c": "C",
    ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript", ".jsx": "JavaScript",
    ".php": "PHP", ".phtml": "PHP",
    ".cs": "C#",
    ".go": "Go",
    ".ts": "TypeScript", ".tsx": "TypeScript", ".mts": "TypeScript", ".cts": "TypeScript",
    ".sql": "SQL",
    ".rb": "Ruby", ".rake": "Ruby", ".gemspec": "Ruby",
    ".rs": "Rust",
    ".ipynb": "Jupyter Notebook",
    ".scala": "Scala", ".sc": "Scala",
    ".kt": "Kotlin", ".kts": "Kotlin",
    ".sh": "Shell", ".bash": "Shell", ".zsh": "Shell", ".ksh": "Shell",
    ".dart": "Dart",
    ".swift": "Swift",
    # common others
    ".lua": "Lua", ".pl": "Perl", ".pm": "Perl", ".r": "R", ".hs": "Haskell", ".jl": "Julia",
    ".mm": "Objective-C++", ".f90": "Fortran", ".f": "Fortran", ".ex": "Elixir", ".exs": "Elixir",
    ".erl": "Erlang", ".clj": "Clojure", ".ml": "OCaml", ".zig": "Zig", ".vue": "Vue",
    ".html": "HTML", ".htm": "HTML", ".css": "CSS", ".scss": "SCSS", ".md": "Markdown",
    ".rst": "reStructuredText", ".json": "JSON", ".yaml": "YAML", ".yml": "YAML", ".toml": "TOML",
    ".xml": "XML", ".cmake": "CMake", ".ps1": "PowerShell", ".groovy": "Groovy", ".cu": "Cuda",
    ".proto": "Protocol Buffer", ".tex": "TeX", ".vim": "Vim Script", ".el": "Emacs Lisp",
}  # fmt: skip

FILENAMES: dict[str, str] = {
    "Makefile": "Makefile", "GNUmakefile": "Makefile", "makefile": "Makefile",
    "Dockerfile": "Dockerfile", "CMakeLists.txt": "CMake", "Rakefile": "Ruby", "Gemfile": "Ruby",
    "Jenkinsfile": "Groovy", "BUILD": "Starlark", "WORKSPACE": "Starlark", ".bashrc": "Shell",
    ".zshrc": "Shell", ".profile": "Shell",
}  # fmt: skip

# Interpreters named on a `#!` line, for files without an extension.
SHEBANG_INTERPRETERS: dict[str, str] = {
    "python": "Python", "python2": "Python", "python3": "Python", "sh": "Shell", "bash": "Shell",
    "zsh": "Shell", "ksh": "Shell", "dash": "Shell", "node": "JavaScript", "ruby": "Ruby",
    "perl": "Perl", "php": "PHP", "lua": "Lua", "Rscript": "R", "deno": "TypeScript",
    "ts-node": "TypeScript", "scala": "Scala", "kotlin": "Kotlin", "swift": "Swift",
}  # fmt: skip

_SHEBANG_RE = re.compile(r"^#!\s*(\S+)(?:\s+(\S+))?")
# Constructs that only C++ has; a `.h` file with none of them is C.
_CPP_MARKERS = re.compile(
    r"^\s*(?:template\s*<|namespace\s+\w+|class\s+\w+[^;]*\{|#include\s*<(?:iostream|vector|string|memory|map)>"
    r"|using\s+namespace\b|public:|private:|protected:)|\w+::\w+|\bstd::",
    re.MULTILINE,
)
_OBJC_MARKERS = re.compile(r"^\s*(?:@interface|@implementation|@protocol|#import\s)", re.MULTILINE)
_MATLAB_MARKERS = re.compile(r"^\s*(?:function\s.*=|end\s*$|%)", re.MULTILINE)


def language_from_shebang(first_line: str) -> str | None:
    """Map `#!/usr/bin/env python3` or `#!/bin/bash` to a language, or None."""
    match = _SHEBANG_RE.match(first_line)
    if not match:
        return None
    program = PurePosixPath(match.group(1)).name
    if program == "env" and match.group(2):
        program = match.group(2)
    program = re.sub(r"[\d.]+$", "", program) or program  # python3.11 -> python
    return SHEBANG_INTERPRETERS.get(program) or SHEBANG_INTERPRETERS.get(program + "3")


def _header_language(text: str) -> str:
    if _OBJC_MARKERS.search(text):
        return "Objective-C"
    return "C++" if _CPP_MARKERS.search(text) else "C"


def detect_language(path: str, text: str | None = None) -> str | None:
    """Return the language of the file at `path`, or None when it is not a known code file.

    `text` (its first few KB are enough) decides the ambiguous cases: `.h` headers (C, C++ or
    Objective-C), `.m` (Objective-C or MATLAB) and extensionless scripts with a shebang.
    """
    name = PurePosixPath(path).name
    if name in FILENAMES:
        return FILENAMES[name]
    suffix = PurePosixPath(name.lower()).suffix
    if suffix == ".h":
        return _header_language(text or "")
    if suffix == ".m":
        if text and _OBJC_MARKERS.search(text):
            return "Objective-C"
        return "MATLAB" if text and _MATLAB_MARKERS.search(text) else "Objective-C"
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if text and text.startswith("#!"):
        return language_from_shebang(text.split("\n", 1)[0])
    return None
