"""Commands and paths as a card records them: as the user typed them, with no path of the publishing machine.

A card's "exact command" is read by someone on another machine. The interpreter path of a virtual
environment becomes `python` (and `python -m accelerate.commands.launch` becomes `accelerate
launch`), paths under the run's output folder become `$OUT/...`, paths under the working directory
(the project root, where recipes run) become relative, installed-package paths become
`<site-packages>/...`, the home folder `~`, and any other absolute path `<local>/<its name>`.
"""

from __future__ import annotations

import os
import re
import shlex
import site
import sys
import sysconfig
import tempfile
from pathlib import Path

OUT = "$OUT"
LOCAL = "<local>"
# Module launchers that have a console script of their own.
_MODULE_COMMANDS = {"accelerate.commands.launch": "accelerate launch", "snowcoder_hf.cli": "snowcoder",
                    "torch.distributed.run": "torchrun"}  # fmt: skip
# An absolute POSIX path not preceded by a word character, ':' or '/' (so URLs and relative paths are left alone).
_ABSOLUTE = re.compile(r"(?<![\w:/.~$<>-])/(?:[\w.+@-]+/)*[\w.+@-]+")


def _roots(output_root: str | Path | None) -> list[tuple[str, str]]:
    """(prefix, replacement) pairs, the most specific prefix first."""
    roots: list[tuple[str, str]] = []
    if output_root:
        roots.append((str(Path(output_root).resolve()), OUT))
    packages = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
    roots += [(str(Path(p).resolve()), "<site-packages>") for p in packages if p]
    roots.append((str(Path.cwd().resolve()), "."))
    roots.append((str(Path(tempfile.gettempdir()).resolve()), "<tmp>"))
    roots.append((str(Path.home().resolve()), "~"))
    return sorted({r for r in roots if r[0] not in ("/", "")}, key=lambda r: -len(r[0]))


def portable_path(path: str, output_root: str | Path | None = None) -> str:
    """One absolute path, rewritten (relative paths are returned as typed)."""
    if not path.startswith("/"):
        return path
    resolved = os.path.normpath(path)
    for prefix, replacement in _roots(output_root):
        if resolved == prefix:
            return replacement
        if resolved.startswith(prefix + "/"):
            rest = resolved[len(prefix) + 1 :]
            return rest if replacement == "." else f"{replacement}/{rest}"
    return f"{LOCAL}/{Path(resolved).name}"


def portable_text(text: str, output_root: str | Path | None = None) -> str:
    """Every absolute path inside free text (a config, a lineage id), rewritten."""
    interpreter = sys.executable
    text = text.replace(interpreter, "python") if interpreter else text
    return _ABSOLUTE.sub(lambda m: portable_path(m.group(0), output_root), text)


def _interpreter(argv: list[str]) -> list[str]:
    """`/venv/bin/python -m accelerate.commands.launch ...` -> `accelerate launch ...`; a venv script -> its name."""
    if not argv:
        return argv
    head = Path(argv[0]).name
    if re.fullmatch(r"python[\d.]*", head):
        if len(argv) > 2 and argv[1] == "-m" and argv[2] in _MODULE_COMMANDS:
            return [*_MODULE_COMMANDS[argv[2]].split(), *argv[3:]]
        return ["python", *argv[1:]]
    if argv[0].startswith("/") and Path(argv[0]).parent.name in ("bin", "Scripts"):
        return [head, *argv[1:]]
    return argv


def _quote(arg: str) -> str:
    bare = arg.replace(OUT, "OUT")
    if OUT in arg and shlex.quote(bare) == bare:
        return arg  # left unquoted so the shell expands $OUT
    return shlex.quote(arg)


def portable_command(command: str | list[str], output_root: str | Path | None = None) -> str:
    """The command line with every machine path rewritten, joined for a shell."""
    if isinstance(command, str):
        try:
            argv = shlex.split(command)
        except ValueError:  # unbalanced quotes: not a command line, only its paths are rewritten
            return portable_text(command, output_root)
    else:
        argv = list(command)
    argv = _interpreter(argv)
    out = []
    for arg in argv:
        flag, eq, value = arg.partition("=")
        if eq and flag.startswith("-") and value.startswith("/"):
            out.append(f"{flag}={portable_path(value, output_root)}")
        elif arg.startswith("/"):
            out.append(portable_path(arg, output_root))
        else:
            out.append(portable_text(arg, output_root))  # name=/path pairs and the like
    return " ".join(_quote(arg) for arg in out)
