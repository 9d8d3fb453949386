"""Licence identification benchmark: text alone against an independent metadata label, on real licence files.

Three real sources on the machine that runs it, each item deduplicated by content:
- Debian DEP-5 copyright files (`/usr/share/doc/*/copyright`): the label is the `License:` name of the
  `Files: *` paragraph; the text is the licence body DEP-5 gives for it (name lines removed).
- Python wheels' `*.dist-info`: the label comes from METADATA (`License-Expression`, `License`, classifiers);
  the text is the wheel's licence files.
- npm packages under `node_modules`: the label is package.json's `license`; the text is the LICENSE file.

Each method names an SPDX licence from the text alone: snowcoder_hf's `identify_text`, askalono (`pyaskalono`,
Rust, score >= 0.8 as its CLI) and pre-commit's `identify.license_id` (edit distance to bundled SPDX texts).
A prediction is `exact` when it equals the label, `compatible` when it names only licences of the label
(`GPL-2.0-only` for `GPL-2.0-or-later`, `MIT` for `MIT OR Apache-2.0`), `wrong` otherwise and `missed` when
empty; `permissive agrees` compares the keep/drop decision of the default permissive filter. Throughput is
end to end per method over the same texts, one process. Peer spellings are normalised to SPDX first.

Usage:
    pip install pyaskalono identify ukkonen   # the peers; a missing one is skipped and said so
    python benchmarks/licenses.py --results benchmarks/results/licenses.md
"""

from __future__ import annotations

import argparse
import collections
import glob
import hashlib
import json
import os
import platform
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field

from snowcoder_hf.licensing import (
    dep5_license_text,
    family,
    identify_text,
    is_license_file,
    is_permissive,
    licence_ids,
    license_from_core_metadata,
    license_from_dep5,
    license_from_files,
    license_from_package_json,
    normalize_expression,
    parse_expression,
)
from snowcoder_hf.licensing.metadata import is_dep5, main_dep5_paragraph, parse_dep5
from snowcoder_hf.licensing.repo import read_text_file


@dataclass
class Item:
    source: str  # debian | dist-info | npm
    name: str
    label: str
    files: dict[str, str]  # licence file name -> text
    predictions: dict[str, str | None] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(self.files.values())


def _digest(texts) -> str:
    return hashlib.sha1("\0".join(texts).encode("utf-8", "surrogatepass")).hexdigest()


def debian_items(skipped: collections.Counter) -> list[Item]:
    items, seen = [], set()
    for path in sorted(glob.glob("/usr/share/doc/*/copyright")):
        content = read_text_file(path)
        if content is None or not is_dep5(content):
            skipped["debian: not DEP-5 or unreadable"] += 1
            continue
        main = main_dep5_paragraph(parse_dep5(content))
        label = license_from_dep5(content)
        if main is None or label is None:
            skipped[f"debian: label not recognised ({main.license_name if main else 'no Files paragraph'})"] += 1
            continue
        text = dep5_license_text(content)
        if not text.strip():
            skipped["debian: no licence text for the label"] += 1
            continue
        key = _digest([label.spdx, text])
        if key not in seen:
            seen.add(key)
            items.append(Item("debian", path.split("/")[-2], label.spdx, {"copyright": text}))
    return items


def dist_info_items(site_packages: str, skipped: collections.Counter) -> list[Item]:
    items, seen = [], set()
    for info in sorted(glob.glob(os.path.join(site_packages, "*.dist-info"))):
        metadata = read_text_file(os.path.join(info, "METADATA"))
        label = license_from_core_metadata(metadata) if metadata else None
        if label is None or label.spdx is None:
            skipped["dist-info: no recognised METADATA licence"] += 1
            continue
        files = {}
        for folder in (info, os.path.join(info, "licenses")):
            if os.path.isdir(folder):
                for name in sorted(os.listdir(folder)):
                    path = os.path.join(folder, name)
                    if os.path.isfile(path) and (is_license_file(name) or folder.endswith("licenses")):
                        text = read_text_file(path)
                        if text and text.strip():
                            files[name] = text
        if not files:
            skipped["dist-info: no licence file"] += 1
            continue
        key = _digest([label.spdx, *files.values()])
        if key not in seen:
            seen.add(key)
            items.append(Item("dist-info", os.path.basename(info), label.spdx, files))
    return items


def npm_items(roots: list[str], skipped: collections.Counter) -> list[Item]:
    items, seen = [], set()
    for root in roots:
        for folder, _dirs, names in os.walk(root):
            parent, grand = os.path.basename(os.path.dirname(folder)), os.path.basename(
                os.path.dirname(os.path.dirname(folder)))  # fmt: skip
            is_package = parent == "node_modules" or (parent.startswith("@") and grand == "node_modules")
            if "package.json" not in names or not is_package:  # nested package.json files mark build folders
                continue
            package = read_text_file(os.path.join(folder, "package.json"))
            label = license_from_package_json(package) if package else None
            licence_files = [n for n in names if is_license_file(n)]
            if label is None or label.spdx is None:
                skipped["npm: no recognised package.json licence"] += 1
                continue
            if not licence_files:
                skipped["npm: no licence file"] += 1
                continue
            files = {n: t for n in sorted(licence_files) if (t := read_text_file(os.path.join(folder, n)))}
            key = _digest([label.spdx, *files.values()])
            if files and key not in seen:
                seen.add(key)
                items.append(Item("npm", os.path.relpath(folder, root), label.spdx, files))
    return items


# -- methods: each maps an item's licence files to an SPDX expression or None ------------------------------
def ours(item: Item) -> str | None:
    if item.source == "debian":
        match = identify_text(item.files["copyright"])
        return match.spdx if match else None
    return license_from_files(item.files, order=("license_file",)).spdx


def askalono_method():
    try:
        import askalono
    except ImportError:
        return None

    def run(item: Item) -> str | None:
        found = []
        for text in item.files.values():
            try:
                match = askalono.identify(text)
            except Exception:  # askalono raises on text it cannot read at all; that is a miss, not a crash
                continue
            if match is not None and match.score >= 0.8:
                found.append(normalize_expression(match.name) or match.name)
        return " AND ".join(dict.fromkeys(found)) if found else None

    return run


def identify_method(tmp: str):
    try:
        import ukkonen  # noqa: F401  identify's licence matching needs it
        from identify.identify import license_id
    except ImportError:
        return None

    def run(item: Item) -> str | None:
        found = []
        for i, text in enumerate(item.files.values()):
            path = os.path.join(tmp, f"LICENSE{i}")
            with open(path, "w", encoding="utf-8", errors="surrogatepass") as f:
                f.write(text)
            spdx = license_id(path)
            if spdx:
                found.append(normalize_expression(spdx) or spdx)
        return " AND ".join(dict.fromkeys(found)) if found else None

    return run


def _families(expression: str) -> set[str]:
    try:
        node = parse_expression(expression)
    except ValueError:
        return set()
    return {family(i) for i in licence_ids(node)} if node is not None else set()


def verdict(label: str, prediction: str | None) -> str:
    if not prediction:
        return "missed"
    if normalize_expression(prediction) == label:
        return "exact"
    predicted, allowed = _families(prediction), _families(label)
    return "compatible" if predicted and predicted <= allowed else "wrong"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site-packages", default=sysconfig.get_paths()["purelib"])
    parser.add_argument("--npm-root", action="append", default=None, help="folders holding node_modules")
    parser.add_argument("--results", default="benchmarks/results/licenses.md")
    parser.add_argument("--max-items", type=int, default=0, help="0: every item found")
    parser.add_argument("--methods", default="snowcoder_hf,askalono,identify", help="comma-separated subset")
    args = parser.parse_args()
    if args.max_items < 0:
        raise SystemExit("`--max-items` must be 0 (all) or a positive count.")

    skipped: collections.Counter = collections.Counter()
    items = debian_items(skipped) + dist_info_items(args.site_packages, skipped)
    items += npm_items(args.npm_root or ["/usr/lib/node_modules", "/usr/local/lib/node_modules"], skipped)
    if args.max_items:
        items = items[: args.max_items]
    if not items:
        raise SystemExit("no labelled licence files found on this machine")
    total_mb = sum(len(i.text.encode("utf-8", "surrogatepass")) for i in items) / 1e6
    print(f"{len(items)} items ({total_mb:.2f} MB): " + ", ".join(
        f"{s} {n}" for s, n in collections.Counter(i.source for i in items).items()), file=sys.stderr)  # fmt: skip

    with tempfile.TemporaryDirectory() as tmp:
        chosen = args.methods.split(",")
        unknown = set(chosen) - {"snowcoder_hf", "askalono", "identify"}
        if unknown or "snowcoder_hf" not in chosen:
            raise SystemExit(f"`--methods` takes snowcoder_hf plus askalono / identify, got {args.methods!r}")
        methods = {"snowcoder_hf": ours}
        methods |= {"askalono": askalono_method()} if "askalono" in chosen else {}
        methods |= {"identify": identify_method(tmp)} if "identify" in chosen else {}
        missing = [name for name, run in methods.items() if run is None]
        methods = {name: run for name, run in methods.items() if run is not None}
        seconds: dict[str, float] = {}
        for name, run in methods.items():
            start = time.perf_counter()
            for n, item in enumerate(items):
                item.predictions[name] = run(item)
                if n % 200 == 0:
                    print(f"  {name}: {n}/{len(items)}", file=sys.stderr)
            seconds[name] = time.perf_counter() - start
    write_report(args, items, methods, seconds, total_mb, skipped, missing)


def write_report(args, items, methods, seconds, total_mb, skipped, missing) -> None:
    sources = ["all", *dict.fromkeys(i.source for i in items)]
    lines = [
        "# Licence identification: text alone against the metadata label",
        "",
        f"Measured by `benchmarks/licenses.py` on {platform.machine()} (Python {platform.python_version()}), one "
        f"process, on {len(items)} real labelled licence texts ({total_mb:.2f} MB) found on the machine: "
        + ", ".join(f"{n} {s}" for s, n in collections.Counter(i.source for i in items).items())
        + ". Items are deduplicated by content; the label comes from metadata the text did not produce.",
        "",
        "| method | source | items | exact | compatible | wrong | missed | permissive agrees |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in methods:
        for source in sources:
            chosen = [i for i in items if source == "all" or i.source == source]
            counts = collections.Counter(verdict(i.label, i.predictions[name]) for i in chosen)
            agree = sum(is_permissive(i.label) == is_permissive(i.predictions[name]) for i in chosen)
            n = len(chosen)
            lines.append(
                f"| {name} | {source} | {n} | {counts['exact'] / n:.1%} | {counts['compatible'] / n:.1%} | "
                f"{counts['wrong'] / n:.1%} | {counts['missed'] / n:.1%} | {agree / n:.1%} |"
            )
    lines += ["", "| method | seconds | items/s | MB/s | time / snowcoder_hf's |", "|---|---|---|---|---|"]
    for name in methods:
        ratio = seconds[name] / seconds["snowcoder_hf"]
        lines.append(f"| {name} | {seconds[name]:.2f} | {len(items) / seconds[name]:.1f} | "
                     f"{total_mb / seconds[name]:.3f} | {ratio:.1f}x |")  # fmt: skip
    if "askalono" in methods:
        lines += ["", ("askalono's Python binding (pyaskalono) loads its licence store on every call (about 0.35 s "
                  "each here, whatever the text), so its time is that binding's end to end, not its Rust matcher's.")]  # fmt: skip
    if missing:
        lines += ["", f"Not measured (not installed): {', '.join(missing)}."]
    lines += ["", "## snowcoder_hf confusions (label -> prediction, most common first)", ""]
    confusions = collections.Counter(
        (i.source, i.label, i.predictions["snowcoder_hf"] or "(none)")
        for i in items if verdict(i.label, i.predictions["snowcoder_hf"]) in ("wrong", "missed")
    )  # fmt: skip
    lines += ["| source | label | prediction | items |", "|---|---|---|---|"]
    lines += [f"| {s} | {label} | {pred} | {n} |" for (s, label, pred), n in confusions.most_common(25)]
    examples = collections.defaultdict(list)
    for i in items:
        if verdict(i.label, i.predictions["snowcoder_hf"]) in ("wrong", "missed"):
            examples[(i.label, i.predictions["snowcoder_hf"])].append(i.name)
    lines += ["", "Examples: " + "; ".join(f"{k[0]} -> {k[1]}: {', '.join(v[:3])}" for k, v in
                                           list(examples.items())[:12])]  # fmt: skip
    lines += ["", "## Not scored", ""] + [f"- {reason}: {n}" for reason, n in skipped.most_common(12)]
    lines += ["", "## Reproduce", "", "```", "pip install pyaskalono identify ukkonen",
              f"python benchmarks/licenses.py --results {args.results}", "```", ""]  # fmt: skip
    os.makedirs(os.path.dirname(args.results) or ".", exist_ok=True)
    with open(args.results, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    print(json.dumps({name: round(s, 3) for name, s in seconds.items()}), file=sys.stderr)


if __name__ == "__main__":
    main()
