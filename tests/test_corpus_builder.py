"""benchmarks/corpus.py: licences, DEP-5, languages, file reading, shards, manifest, and reading it back
through stage 1's Hub-shaped reader. The slow test builds the real `small` corpus from the registries."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))  # the corpus builder lives there

from corpus_builder.audit import _crash_counting, run_stage1_filters, sample_corpus, summarize
from corpus_builder.build import repository_name, write_corpus
from corpus_builder.files import SkippedFile, file_language, name_language, read_repo
from corpus_builder.licenses import (
    LicenseInfo,
    debian_copyright_licenses,
    license_ids,
    npm_licenses,
    parse_deb822,
    pkg_info_licenses,
    spdx_id,
)
from corpus_builder.packages import SIZES, PackageSpec
from corpus_builder.registries import (
    FetchedPackage,
    PackageCache,
    RegistryError,
    _run,
    extract_archive,
    gunzip_tree,
)
from corpus_builder.shards import SCHEMA, language_folder

from snowcoder_hf.pipeline.hub_readers import hub_code_reader

STACK_COLUMNS = ["content", "max_stars_repo_name", "max_stars_repo_path", "lang", "max_stars_repo_licenses", "size",
                 "max_stars_count", "package_version"]  # fmt: skip


# -- licences ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "spdx"),
    [("GPL-2", "GPL-2.0-only"), ("GPL-2+", "GPL-2.0-or-later"), ("GPL-2.0+", "GPL-2.0-or-later"),
     ("LGPL-2.1+", "LGPL-2.1-or-later"), ("AGPL-3", "AGPL-3.0-only"), ("GPL", "GPL-1.0-or-later"),
     ("Expat", "MIT"), ("BSD-3-clause", "BSD-3-Clause"), ("Go", "BSD-3-Clause"), ("bsl-1.0", "BSL-1.0"),
     ("PostgreSQL", "PostgreSQL"), ("Apache 2.0", "Apache-2.0"), ("public-domain", "LicenseRef-public-domain"),
     ("Custom regex", "LicenseRef-Custom-regex")],
)  # fmt: skip
def test_spdx_id_maps_debian_and_common_names(name, spdx):
    assert spdx_id(name) == spdx


def test_license_expressions_split_into_ids_keeping_exceptions():
    assert license_ids("(MIT OR Apache-2.0)") == ["MIT", "Apache-2.0"]
    assert license_ids("BSD-2-clause or Ruby") == ["BSD-2-Clause", "Ruby"]
    assert license_ids("PostgreSQL and Custom-regex and PostgreSQL") == ["PostgreSQL", "LicenseRef-Custom-regex"]
    assert license_ids("GPL-2 with Classpath exception") == ["GPL-2.0-only WITH Classpath-exception-2.0"]
    assert license_ids("Apache-2.0 WITH LLVM-exception") == ["Apache-2.0 WITH LLVM-exception"]


DEP5 = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: example
Files-Excluded:
 *.min.js
# a comment inside a field, as rust-src's copyright has
 vendor/fonts

Files: vendor/one/*
Copyright: 2020 Someone
License: MIT or Apache-2.0

Files: *
Copyright: 2009 The Authors
License: GPL-2+
 This program is free software; a licence text continues here.
 .
 A second paragraph of it.

Files: src/regex/*
Copyright: 1998 Henry Spencer
License: BSD-3-clause and Custom-regex

License: Custom-regex
 The full text of the custom licence.
"""


def test_dep5_takes_the_files_star_paragraph_and_lists_every_licence():
    paragraphs = parse_deb822(DEP5)
    assert paragraphs[0]["files-excluded"] == "\n*.min.js\nvendor/fonts"
    assert paragraphs[2]["license"].startswith("GPL-2+\nThis program")
    info = debian_copyright_licenses(DEP5)
    assert info.ids == ["GPL-2.0-or-later"]
    assert info.source == "debian-copyright (DEP-5, Files: *)"
    assert info.all_ids == ["MIT", "Apache-2.0", "GPL-2.0-or-later", "BSD-3-Clause", "LicenseRef-Custom-regex"]


def test_dep5_without_files_star_takes_the_widest_paragraph():
    text = DEP5.replace("Files: *\n", "Files: compiler/* library/* src/*\n")
    info = debian_copyright_licenses(text)
    assert info.ids == ["GPL-2.0-or-later"]
    assert "widest" in info.source


def test_free_form_copyright_reads_common_licenses_references():
    text = ("This is the Debian package of glibc.\n\nThis library is free software; either version 2.1 of the\n"
            "License, or (at your option) any later version. The LGPL can be found in\n"
            "`/usr/share/common-licenses/LGPL-2.1'. The GPL is in `/usr/share/common-licenses/GPL',\n"
            "version 2 in `/usr/share/common-licenses/GPL-2'.\n")  # fmt: skip
    info = debian_copyright_licenses(text)
    assert info.ids == ["LGPL-2.1-or-later", "GPL-2.0-or-later"]
    assert "free-form" in info.source
    assert debian_copyright_licenses("Copyright 2001 nobody, no licence named.\n").ids == []


def test_malformed_deb822_line_is_a_clear_error():
    with pytest.raises(ValueError, match="not a Deb822 field line"):
        parse_deb822("Format: x\nthis line has no colon\n")


def test_npm_licence_forms():
    assert npm_licenses({"license": "(MIT OR CC0-1.0)"}).ids == ["MIT", "CC0-1.0"]
    assert npm_licenses({"license": {"type": "ISC"}}).ids == ["ISC"]
    assert npm_licenses({"licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]}).ids == ["MIT", "Apache-2.0"]
    assert npm_licenses({"license": "SEE LICENSE IN LICENSE.md"}).ids == ["LicenseRef-see-license-file"]
    assert npm_licenses({}) == LicenseInfo([], "package.json (no license field)")


def test_pkg_info_licence_precedence():
    expression = "Metadata-Version: 2.4\nName: a\nVersion: 1\nLicense-Expression: BSD-3-Clause\nLicense: MIT\n"
    assert pkg_info_licenses(expression).ids == ["BSD-3-Clause"]
    field = "Metadata-Version: 2.1\nName: a\nVersion: 1\nLicense: Apache 2.0\n"
    assert pkg_info_licenses(field) == LicenseInfo(["Apache-2.0"], "PKG-INFO License")
    full_text = ("Metadata-Version: 2.1\nName: a\nVersion: 1\nLicense: Copyright (c) 2010 Somebody, all rights\n"
                 "Classifier: License :: OSI Approved :: MIT License\nClassifier: Programming Language :: Python\n")  # fmt: skip
    assert pkg_info_licenses(full_text) == LicenseInfo(["MIT"], "PKG-INFO classifiers")
    titled = ("Metadata-Version: 2.1\nName: a\nVersion: 1\nLicense: BSD 3-Clause License\n        \n"
              "        Copyright (c) 2001, Somebody\nClassifier: License :: OSI Approved :: BSD License\n")  # fmt: skip
    assert pkg_info_licenses(titled) == LicenseInfo(["BSD-3-Clause"], "PKG-INFO License")
    assert pkg_info_licenses("Metadata-Version: 2.1\nName: a\nVersion: 1\n").ids == []


# -- languages and files -------------------------------------------------------------------------------
def test_languages_use_the_project_names():
    assert name_language("src/a.py") == ("Python", False)
    assert name_language("lib/x.hpp") == ("C++", False)
    assert name_language("include/x.h") == (None, True)
    assert name_language("Makefile") == ("Makefile", False)
    assert name_language("logo.png") == (None, False)
    assert file_language("include/x.h", "#include <stdio.h>\nint f(void);\n") == "C"
    assert file_language("include/x.h", "namespace a { class B {}; }\n") == "C++"
    assert file_language("bin/run", "#!/usr/bin/env python3\n") == "Python"
    assert file_language("completions/git", "# git completion\n_git() { :; }\n") is None
    assert file_language("completions/git", "# git completion\n", extensionless_language="Shell") == "Shell"
    assert file_language("notes.txt", "text", extensionless_language="Shell") is None  # has an extension
    assert [language_folder(x) for x in ("C++", "C#", "Jupyter Notebook", "Python", "Objective-C")] == [
        "c++", "c-sharp", "jupyter-notebook", "python", "objective-c"]  # fmt: skip


def _fake_tree(root: Path) -> Path:
    files = {
        "pkg/setup.py": "from setuptools import setup\nsetup(name='fake')\n",
        "pkg/fake/__init__.py": "def hello():\n    return 'héllo'\n",
        "pkg/fake/empty.py": "",
        "pkg/web/app.js": "export const answer = 42;\n",
        "pkg/native/util.h": "#include <stdio.h>\nint util(void);\n",
        "pkg/native/vec.h": "namespace fake { template <class T> class Vec {}; }\n",
        "pkg/scripts/build": "#!/bin/sh\necho build\n",
        "pkg/completions/fake": "# fake(1) completion\n_fake() { :; }\n",
        "pkg/README.txt": "not code\n",
        "pkg/plugins/one/main.go": "package main\nfunc main() {}\n",
        "pkg/plugins/two/lib.rs": "pub fn two() -> u8 { 2 }\n",
        "pkg/gen/api.pb.go": "// Code generated by protoc-gen-go. DO NOT EDIT.\npackage api\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "pkg/fake/data.py").write_bytes(b"x = 1\n\0\0binary")
    (root / "pkg/fake/latin1.py").write_bytes("s = 'caf\xe9'\n".encode("latin-1"))
    (root / "pkg/fake/big.py").write_text("x = 1\n" * 400)
    os.symlink("app.js", root / "pkg/web/link.js")
    os.symlink("../fake", root / "pkg/web/fake_dir")
    return root / "pkg"


def test_read_repo_sorts_and_counts_every_skip(tmp_path):
    root = _fake_tree(tmp_path)
    items = list(read_repo(root, extensionless_language="Shell", max_file_bytes=1000))
    paths = [item.path for item in items]
    assert paths == sorted(paths)
    skipped = {item.path: item.reason for item in items if isinstance(item, SkippedFile)}
    assert skipped == {"README.txt": "unknown_language", "fake/big.py": "too_large", "fake/data.py": "binary",
                       "fake/latin1.py": "invalid_utf8", "web/fake_dir": "symlink", "web/link.js": "symlink"}  # fmt: skip
    languages = {item.path: item.language for item in items if not isinstance(item, SkippedFile)}
    assert languages["native/util.h"] == "C"
    assert languages["native/vec.h"] == "C++"
    assert languages["scripts/build"] == "Shell"
    assert languages["completions/fake"] == "Shell"
    assert languages["fake/empty.py"] == "Python"  # empty files stay in, as in The Stack; stage 1 drops them
    excluded = list(read_repo(root, exclude=frozenset({"plugins/one"})))
    assert not any(item.path.startswith("plugins/one/") for item in excluded)


# -- shards and manifest -----------------------------------------------------------------------------------
def _fetched(tmp_path: Path, spec: PackageSpec | None = None) -> FetchedPackage:
    root = _fake_tree(tmp_path / "tree")
    archive = tmp_path / "fake-1.0.tar.gz"
    archive.write_bytes(b"not really an archive")
    spec = spec or PackageSpec("debian", "fake-pkg", "1.0", "pkg", split=("plugins/*",),
                               extensionless_language="Shell")  # fmt: skip
    return FetchedPackage(spec, "1.0", archive, "0" * 64, root, LicenseInfo(["GPL-2.0-or-later"], "test"))


def _rows(output: Path) -> list[dict]:
    rows = []
    for shard in sorted(output.glob("data/*/*.parquet")):
        rows.extend(pq.read_table(shard).to_pylist())
    return rows


def test_write_corpus_shapes_rows_like_the_stack(tmp_path):
    package = _fetched(tmp_path)
    out = tmp_path / "out"
    manifest = write_corpus([package], out, progress=False)
    shard = next(out.glob("data/python/*.parquet"))
    assert shard.name == "train-00000-of-00001.parquet"
    assert pq.read_schema(shard).names == STACK_COLUMNS
    assert pq.read_schema(shard).equals(SCHEMA)
    assert pq.ParquetFile(shard).metadata.row_group(0).column(0).compression == "ZSTD"
    rows = {(r["max_stars_repo_name"], r["max_stars_repo_path"]): r for r in _rows(out)}
    init = rows[("debian/fake-pkg", "fake/__init__.py")]
    assert init["content"] == "def hello():\n    return 'héllo'\n"
    assert init["size"] == len(init["content"].encode())
    assert init["lang"] == "Python"
    assert init["max_stars_repo_licenses"] == ["GPL-2.0-or-later"]
    assert init["max_stars_count"] == 0
    assert init["package_version"] == "1.0"
    assert rows[("debian/fake-pkg/plugins/one", "main.go")]["lang"] == "Go"  # a split folder is its own repository
    assert ("debian/fake-pkg", "plugins/one/main.go") not in rows

    entry = manifest["packages"][0]
    assert entry["repositories"] == ["debian/fake-pkg/plugins/one", "debian/fake-pkg/plugins/two", "debian/fake-pkg"]
    assert entry["skipped"] == {"binary": 1, "invalid_utf8": 1, "symlink": 2, "unknown_language": 1}
    assert entry["languages"]["Python"] == {"files": 4, "bytes": sum(
        r["size"] for r in rows.values() if r["lang"] == "Python")}  # fmt: skip
    assert manifest["totals"]["files"] == len(rows) == sum(v["files"] for v in manifest["languages"].values())
    assert manifest["totals"]["skipped"] == entry["skipped"]
    assert {s["path"] for s in manifest["shards"]} == {p.relative_to(out).as_posix() for p in out.glob("data/*/*")}
    assert json.loads((out / "manifest.json").read_text()) == manifest


def test_write_corpus_is_deterministic_and_splits_shards(tmp_path):
    package = _fetched(tmp_path)
    first = write_corpus([package], tmp_path / "a", target_shard_bytes=1, row_group_bytes=40, progress=False)
    second = write_corpus([package], tmp_path / "b", target_shard_bytes=1, row_group_bytes=40, progress=False)
    assert first == second  # the manifest holds every shard's sha256
    python_shards = sorted(p.name for p in (tmp_path / "a/data/python").iterdir())
    assert len(python_shards) > 1
    assert all(name.endswith(f"-of-{len(python_shards):05d}.parquet") for name in python_shards)
    assert not list((tmp_path / "a").rglob("*.partial"))


def test_language_selection_is_counted(tmp_path):
    manifest = write_corpus([_fetched(tmp_path)], tmp_path / "out", languages={"Python"}, progress=False)
    assert set(manifest["languages"]) == {"Python"}
    assert manifest["packages"][0]["skipped"]["language_not_selected"] == 8


def test_hub_code_reader_reads_the_corpus_back(tmp_path):
    out = tmp_path / "out"
    manifest = write_corpus([_fetched(tmp_path)], out, progress=False)
    docs = list(hub_code_reader(str(out)).run())
    expected = Counter({k: v["files"] for k, v in manifest["languages"].items()})
    expected["Python"] -= 1  # DataTrove's readers skip a row with empty text (fake/empty.py), uncounted
    assert Counter(d.metadata["language"] for d in docs) == expected
    assert "fake/empty.py" not in {d.metadata["path"] for d in docs}
    init = next(d for d in docs if d.metadata["path"] == "fake/__init__.py")
    assert init.metadata["repo"] == "debian/fake-pkg"
    assert init.metadata["license"] == "GPL-2.0-or-later"
    assert init.metadata["stars"] == 0
    assert init.metadata["size"] == len(init.text.encode())
    only_c = list(hub_code_reader(str(out / "data" / "c")).run())
    assert [d.metadata["path"] for d in only_c] == ["native/util.h"]


def test_filter_audit_reports_drops_with_their_evidence(tmp_path):
    out = tmp_path / "out"
    write_corpus([_fetched(tmp_path)], out, progress=False)
    sampled = sample_corpus(out, tmp_path / "sample", per_language=100)
    assert sampled["Python"] == 4
    assert sampled["Go"] == 2
    run_stage1_filters(tmp_path / "sample", tmp_path / "audit")
    report = summarize(tmp_path / "sample", tmp_path / "audit", sampled, examples=5)
    assert report["Go"]["dropped"] == {"auto_generated": 1}
    assert report["Go"]["kept"] == 1
    (example,) = report["Go"]["examples"]
    assert example["path"] == "gen/api.pb.go"
    assert "code generated" in example["evidence"]["matched"].lower()  # the whole marker line
    assert report["Python"]["empty_rows_skipped_by_reader"] == 1
    assert report["Python"]["kept"] + sum(report["Python"]["dropped"].values()) == 3


def test_filter_audit_counts_a_crashing_rule_as_a_drop():
    from datatrove.data import Document
    from datatrove.pipeline.filters.base_filter import BaseFilter

    class Fragile(BaseFilter):
        def filter(self, doc):
            return doc.metadata["missing"]

    wrapped = _crash_counting(Fragile)()
    doc = Document(text="x = 1\n", id="a", metadata={})
    assert wrapped.filter(doc) == (False, "crashed_KeyError")
    assert doc.metadata["crash"] == "KeyError: 'missing'"


# -- fetching: archives and clear errors ------------------------------------------------------------------
def test_extract_archive_refuses_members_outside_the_folder(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (("pkg/ok.py", b"x = 1\n"), ("../evil.py", b"boom\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("pkg/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    dest = tmp_path / "dest"
    assert extract_archive(archive, dest) == 2
    assert (dest / "pkg/ok.py").read_text() == "x = 1\n"
    assert not (tmp_path / "evil.py").exists()
    assert not (dest / "pkg/passwd").exists()


def test_gunzip_tree_restores_debian_compressed_files(tmp_path):
    import gzip

    (tmp_path / "ex").mkdir()
    with gzip.open(tmp_path / "ex/example.py.gz", "wb") as f:
        f.write(b"print('hi')\n")
    assert gunzip_tree(tmp_path) == 1
    assert (tmp_path / "ex/example.py").read_text() == "print('hi')\n"
    assert not (tmp_path / "ex/example.py.gz").exists()


def test_registry_errors_are_one_clear_line(tmp_path, monkeypatch):
    with pytest.raises(RegistryError, match="`no-such-tool-xyz` is not installed"):
        _run(["no-such-tool-xyz"], "testing")
    with pytest.raises(RegistryError, match=r"failed \(`false`, exit 1\)"):
        _run(["false"], "testing")
    cache = PackageCache(tmp_path)
    monkeypatch.setattr(cache, "_apt_versions", lambda name: ["2.0-1", "1.9-3"])
    with pytest.raises(RegistryError, match=r"debian:fake=1.0 is pinned, but the apt index only has 2.0-1, 1.9-3"):
        cache._apt_download("fake", "1.0")
    with pytest.raises(ValueError, match="`registry` must be one of"):
        PackageSpec("maven", "x")


def _tar_gz(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _fake_deb(tmp_path: Path, name: str, files: dict[str, str | Path], doc_link: str | None = None) -> Path:
    """A real .deb built by dpkg-deb; a Path value is copied in as that file."""
    root = tmp_path / f"{name}-root"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN/control").write_text(f"Package: {name}\nVersion: 1.0-1\nArchitecture: all\n"
                                         "Maintainer: Nobody <nobody@example.org>\nDescription: test\n")  # fmt: skip
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy(content, root / rel)
        else:
            (root / rel).write_text(content)
    if doc_link:
        (root / "usr/share/doc").mkdir(parents=True, exist_ok=True)
        os.symlink(doc_link, root / "usr/share/doc" / name)
    deb = tmp_path / f"{name}_1.0-1_all.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(root), str(deb)], check=True, capture_output=True)
    return deb


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb to build a .deb")
def test_debian_fetch_unpacks_inner_archive_and_follows_doc_links(tmp_path, monkeypatch):
    inner = _tar_gz(tmp_path / "src.tar.gz", {"proj-1.0/main.c": "int main(void) { return 0; }\n"})
    debs = {  # like openjdk-17-source, whose copyright is two doc-folder links away
        "fake-src": _fake_deb(tmp_path, "fake-src", {"usr/src/proj.tar.gz": inner}, doc_link="fake-jdk"),
        "fake-jdk": _fake_deb(tmp_path, "fake-jdk", {}, doc_link="fake-jre"),
        "fake-jre": _fake_deb(tmp_path, "fake-jre", {"usr/share/doc/fake-jre/copyright": DEP5}),
    }
    cache = PackageCache(tmp_path / "cache", log=lambda message: None)
    monkeypatch.setattr(cache, "_apt_download", lambda name, version: debs[name])
    spec = PackageSpec("debian", "fake-src", "1.0-1", "proj-1.0", inner="usr/src/*.tar.gz")
    package = cache.fetch(spec)
    assert package.root == tmp_path / "cache/unpacked/debian/fake-src/1.0-1/inner/proj-1.0"
    assert (package.root / "main.c").read_text().startswith("int main")
    assert package.license.ids == ["GPL-2.0-or-later"]
    assert package.skipped_archive_members == 0
    (package.root / "marker").write_text("kept")  # a second fetch reuses the unpacked tree
    assert cache.fetch(spec) == package
    assert (package.root / "marker").exists()
    with pytest.raises(RegistryError, match="no folder 'nope'"):
        cache.fetch(PackageSpec("debian", "fake-src", "1.0-1", "nope", inner="usr/src/*.tar.gz"))


def test_npm_and_pypi_fetch_use_a_cached_archive(tmp_path):
    cache = PackageCache(tmp_path, log=lambda message: None)
    npm_dir = tmp_path / "downloads/npm/@scope_pkg/1.2.3"
    npm_dir.mkdir(parents=True)
    _tar_gz(npm_dir / "scope-pkg-1.2.3.tgz", {"package/package.json": json.dumps(
        {"name": "@scope/pkg", "version": "1.2.3", "license": "(MIT OR Apache-2.0)"}), "package/index.js": "x;\n"})  # fmt: skip
    npm = cache.fetch(PackageSpec("npm", "@scope/pkg", "1.2.3"))
    assert npm.root.name == "package"
    assert npm.license.ids == ["MIT", "Apache-2.0"]
    pypi_dir = tmp_path / "downloads/pypi/fake/0.1"
    pypi_dir.mkdir(parents=True)
    _tar_gz(pypi_dir / "fake-0.1.tar.gz", {"fake-0.1/PKG-INFO": "Metadata-Version: 2.4\nName: fake\nVersion: 0.1\n"
                                           "License-Expression: BSD-3-Clause\n", "fake-0.1/fake.py": "x = 1\n"})  # fmt: skip
    pypi = cache.fetch(PackageSpec("pypi", "fake", "0.1"))
    assert pypi.root.name == "fake-0.1"
    assert pypi.license.ids == ["BSD-3-Clause"]
    wrong = tmp_path / "downloads/pypi/fake/0.2"
    wrong.mkdir(parents=True)
    _tar_gz(wrong / "fake-0.2.tar.gz", {"fake-0.2/PKG-INFO": "Metadata-Version: 2.1\nName: fake\nVersion: 0.3\n"})
    with pytest.raises(RegistryError, match="PKG-INFO says 0.3, not 0.2"):
        cache.fetch(PackageSpec("pypi", "fake", "0.2"))


def test_every_package_is_pinned_and_listed_once():
    for size, specs in SIZES.items():
        keys = [spec.key for spec in specs]
        assert len(keys) == len(set(keys)), size
        assert [spec.key for spec in specs if not spec.version] == [], size
    assert repository_name("npm", "@angular/core") == "npm/@angular__core"


def test_cli_refuses_to_overwrite_without_flag(tmp_path):
    import corpus

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(SystemExit, match="not empty; pass --overwrite"):
        corpus.main(["--size", "small", "--output", str(tmp_path / "out")])
    with pytest.raises(SystemExit, match=r"also holds \['keep.txt'\], not written by a build"):
        corpus.main(["--size", "small", "--output", str(tmp_path / "out"), "--overwrite"])
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


# -- the real small corpus ------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(not all(shutil.which(t) for t in ("apt-get", "dpkg", "npm")), reason="needs apt-get, dpkg, npm")
def test_small_corpus_builds_from_the_registries_and_reads_back(tmp_path):
    import corpus

    cache = os.environ.get("SNOWCODER_CORPUS_CACHE", str(corpus.default_cache()))
    out = tmp_path / "small"
    manifest = corpus.main(["--size", "small", "--output", str(out), "--cache", cache, "--no-progress"])
    assert manifest["totals"]["bytes"] > 60_000_000
    paper = {"Python", "Java", "C++", "C", "JavaScript", "PHP", "C#", "Go", "TypeScript", "SQL", "Ruby", "Rust",
             "Jupyter Notebook", "Scala", "Kotlin", "Shell", "Dart", "Swift"}  # fmt: skip
    assert len(paper & {k for k, v in manifest["languages"].items() if v["files"] >= 20}) >= 6
    per_language = Counter(doc.metadata["language"] for doc in hub_code_reader(str(out)).run())
    empty = Counter(row["lang"] for shard in out.glob("data/*/*.parquet")
                    for row in pq.read_table(shard, columns=["lang", "size"]).to_pylist() if row["size"] == 0)  # fmt: skip
    assert per_language == Counter({k: v["files"] for k, v in manifest["languages"].items()}) - empty
    assert all(p["pinned"] for p in manifest["packages"])
