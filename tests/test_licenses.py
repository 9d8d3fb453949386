import gzip
import importlib.metadata
import json
import os
import pickle
import re
from pathlib import Path

import pytest
from datatrove.data import Document
from datatrove.pipeline.writers import JsonlWriter

from snowcoder_hf.dedup.keep_rule import keep_key
from snowcoder_hf.licensing import (
    PERMISSIVE_DEFAULT,
    RepoLicenseResolver,
    dep5_license_text,
    identify_all,
    identify_text,
    is_permissive,
    license_from_column,
    license_from_core_metadata,
    license_from_dep5,
    license_from_files,
    license_from_package_json,
    license_from_pyproject,
    normalize_expression,
)
from snowcoder_hf.pipeline import LicenseAnnotator, LicenseFilter

MIT = """MIT License

Copyright (c) 2021-2024 Jane Doe <jane@example.org>

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""
BSD_2 = """Copyright (c) 2015, The Example Project
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.
2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""
ENDORSE = """3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

"""
BSD_3 = BSD_2.replace("\nTHIS SOFTWARE", "\n" + ENDORSE + "THIS SOFTWARE")
ISC = """ISC License

Copyright (c) 2010 Someone

Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
"""
APACHE_HEADER = """# Copyright 2023 The Example Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
import os
"""
GPL_NOTICE = """/*
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version.
 */
"""
DEP5 = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: example
Source: https://example.org/example

Files: *
Copyright: 2001-2020 Example Authors
License: LGPL-2.1+

Files: debian/*
Copyright: 2020 A Packager <packager@example.org>
License: GPL-2+

License: LGPL-2.1+
 This library is free software; you can redistribute it and/or
 modify it under the terms of the GNU Lesser General Public
 License as published by the Free Software Foundation; either
 version 2.1 of the License, or (at your option) any later version.
 .
 On Debian systems, the complete text of the GNU Lesser General
 Public License can be found in "/usr/share/common-licenses/LGPL-2.1".

License: GPL-2+
 This program is free software; you can redistribute it and/or modify
 it under the terms of the GNU General Public License as published by
 the Free Software Foundation; either version 2 of the License, or
 (at your option) any later version.
"""


def _rewrap(text: str, width: int) -> str:
    """The same licence with other line breaks, as copies in the wild have."""
    out, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*out, line])


# -- names and expressions ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spelling", "spdx"),
    [
        ("Apache 2.0", "Apache-2.0"), ("Apache Software License", "Apache-2.0"), ("MIT License", "MIT"),
        ("The MIT License (MIT)", "MIT"), ("BSD", "BSD-3-Clause"), ("3-Clause BSD License", "BSD-3-Clause"),
        ("Simplified BSD", "BSD-2-Clause"), ("GPLv3+", "GPL-3.0-or-later"), ("GPL-2.0", "GPL-2.0-only"),
        ("GPL-2+", "GPL-2.0-or-later"), ("GNU General Public License v3 (GPLv3)", "GPL-3.0-only"),
        ("GNU Lesser General Public License v2 or later (LGPLv2+)", "LGPL-2.0-or-later"), ("Expat", "MIT"),
        ("LGPL-2.1+", "LGPL-2.1-or-later"), ("AGPL-3.0", "AGPL-3.0-only"), ("Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
        ("ISC License (ISCL)", "ISC"), ("Python Software Foundation License", "PSF-2.0"), ("Boost Software License 1.0", "BSL-1.0"),
        ("zlib/libpng", "Zlib"), ("Eclipse Public License 2.0", "EPL-2.0"), ("The Artistic License 2.0", "Artistic-2.0"),
        ("Unlicense", "Unlicense"), ("UNLICENSED", "LicenseRef-Proprietary"), ("CC0", "CC0-1.0"), ("mit", "MIT"),
        ("MIT/Apache-2.0", "MIT OR Apache-2.0"), ("MIT OR Apache-2.0", "MIT OR Apache-2.0"),
        ("GNU Library or Lesser General Public License (LGPL)", "LGPL-2.0-or-later"),
        ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"),
        ("GPL-2+ or Artistic, and BSD-3-clause", "(GPL-2.0-or-later OR Artistic-1.0-Perl) AND BSD-3-Clause"),
        ("MPL-2.0 AND (Apache-2.0 OR MIT)", "MPL-2.0 AND (Apache-2.0 OR MIT)"),
    ],
)  # fmt: skip
def test_common_spellings_normalise_to_spdx(spelling, spdx):
    assert normalize_expression(spelling) == spdx


@pytest.mark.parametrize(
    "value", [None, "", "UNKNOWN", "Dual License", "(MIT OR", "MIT AND (", 12, {"x": 1}, "x" * 5000]
)
def test_unrecognised_or_malformed_licence_values_give_none(value):
    assert normalize_expression(value) is None


def test_permissive_check_reads_spdx_expressions_lists_and_free_spellings():
    assert is_permissive("MIT")
    assert is_permissive("MIT License")
    assert is_permissive("Apache Software License")
    assert is_permissive("GPL-3.0-only OR MIT")
    assert not is_permissive("MIT AND GPL-3.0-only")
    assert is_permissive("Apache-2.0 WITH LLVM-exception")
    assert not is_permissive("GPL-2.0-only WITH Classpath-exception-2.0")
    assert is_permissive(["GPL-3.0", "apache-2.0"])  # the-stack's list: alternatives, as the keep rule read it
    assert not is_permissive(None)
    assert not is_permissive("(MIT OR")
    assert not is_permissive("LicenseRef-Proprietary")


def test_dedup_keep_rule_prefers_the_spdx_permissive_copy():
    keys = sorted([("a", {"license": "MIT AND GPL-3.0-only"}), ("b", {"license": "BSD 3-Clause License"})],
                  key=lambda item: keep_key(*item))  # fmt: skip
    assert keys[0][0] == "b"


# -- licence texts ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "spdx"), [(MIT, "MIT"), (BSD_2, "BSD-2-Clause"), (BSD_3, "BSD-3-Clause"), (ISC, "ISC")]
)
def test_licence_texts_are_identified_whatever_their_wrapping_and_markup(text, spdx):
    assert identify_text(text).spdx == spdx
    assert identify_text(_rewrap(text, 60)).spdx == spdx
    markdown = "# License\n\n" + text.replace("Permission is hereby", "**Permission** is _hereby_")
    assert identify_text(markdown).spdx == spdx
    assert identify_text(text.upper()).spdx == spdx


def test_near_variants_are_told_apart_by_their_distinguishing_clause():
    mit_0 = re.sub(r"subject to the following conditions:.*?Software\.\n", "", MIT, flags=re.S)
    assert identify_text(mit_0).spdx == "MIT-0"
    zero_bsd = ISC.replace(
        ", provided that the above\ncopyright notice and this permission notice appear in all copies", ""
    )
    assert identify_text(zero_bsd).spdx == "0BSD"


def test_a_licence_file_with_two_licences_reports_both_in_order():
    found = identify_all("This software is dual-licensed under the ISC and MIT licenses.\n\n" + ISC + "\n" + MIT)
    assert [m.spdx for m in found if m.kind == "full_text"] == ["ISC", "MIT"]


def test_headers_notices_and_spdx_tags_in_source_files():
    assert identify_text(APACHE_HEADER).spdx == "Apache-2.0"
    assert identify_text(GPL_NOTICE).spdx == "GPL-2.0-or-later"
    assert identify_text("// SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause\nint x;").spdx == (
        "GPL-2.0-only OR BSD-3-Clause"
    )
    assert identify_text("/* SPDX-License-Identifier: MIT */\n").kind == "spdx_tag"


def test_readme_licence_section_counts_but_other_mentions_do_not():
    readme = ("# tool\n\nA wrapper around libfoo, which is GPL.\n\n## Install\n\npip install tool\n\n"
              "## License\n\n[MIT](LICENSE) © Jane Doe\n")  # fmt: skip
    assert identify_text(readme, "README.md").spdx == "MIT"
    assert identify_text("Licence\n=======\n\nApache 2.0, see LICENSE.\n", "README.rst").spdx == "Apache-2.0"
    assert identify_text("# tool\n\nUses the GPL-licensed libfoo.\n", "README.md") is None


@pytest.mark.parametrize("name", ["Apache-2.0", "GPL-2", "GPL-3", "LGPL-2.1", "LGPL-3", "MPL-2.0", "BSD", "CC0-1.0"])
def test_full_licence_texts_shipped_by_debian_are_identified(name):
    path = Path("/usr/share/common-licenses") / name
    if not path.is_file():
        pytest.skip("no Debian common-licenses on this machine")
    expected = {"GPL-2": "GPL-2.0-only", "GPL-3": "GPL-3.0-only", "LGPL-2.1": "LGPL-2.1-only",
                "LGPL-3": "LGPL-3.0-only", "BSD": "BSD-3-Clause"}.get(name, name)  # fmt: skip
    assert identify_text(path.read_text()).spdx == expected


@pytest.mark.parametrize("package", ["PyYAML", "Jinja2", "rich", "tqdm", "datatrove", "numpy"])
def test_installed_wheels_licence_files_agree_with_their_metadata(package):
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{package} is not installed")
    label = license_from_core_metadata(dist.read_text("METADATA") or "")
    files = {Path(str(f)).name: Path(f.locate()).read_text(errors="replace") for f in dist.files or []
             if re.search(r"licen[cs]e|copying", Path(str(f)).name, re.I) and ".dist-info" in str(f)}  # fmt: skip
    files = {name: text for name, text in files.items() if text.strip()}
    if label is None or not files:
        pytest.skip(f"{package} ships no licence file or no licence metadata")
    found = license_from_files(files, order=("license_file",))
    assert found.spdx is not None
    assert set(re.findall(r"[\w.-]+", found.spdx)) & set(re.findall(r"[\w.-]+", label.spdx)), (found, label)


def test_bad_texts_give_no_licence_and_no_error():
    assert identify_text("") is None
    assert identify_text("   \n") is None
    assert identify_text("\x00\x01\x02binary\xff" * 100) is None
    assert identify_text("\udcff\udcfe not utf-8 \udc80") is None
    huge = MIT + "x " * 2_000_000  # bounded: only the head of a huge file is read
    assert identify_text(huge).spdx == "MIT"


# -- metadata ------------------------------------------------------------------------------------------------
def test_package_json_licence_forms():
    assert license_from_package_json('{"name": "a", "license": "(MIT OR Apache-2.0)"}').spdx == "MIT OR Apache-2.0"
    assert license_from_package_json({"licenses": [{"type": "MIT"}, {"type": "GPL-2.0"}]}).spdx == "MIT OR GPL-2.0-only"
    assert license_from_package_json({"license": {"type": "ISC"}}).spdx == "ISC"
    assert license_from_package_json({"license": "UNLICENSED"}).spdx == "LicenseRef-Proprietary"
    pointer = license_from_package_json({"license": "SEE LICENSE IN LICENSE.md"})
    assert pointer.spdx is None
    assert pointer.pointer == "LICENSE.md"
    assert license_from_package_json("{not json") is None
    assert license_from_package_json("[1]") is None


def test_python_core_metadata_prefers_expression_then_field_then_classifiers():
    assert license_from_core_metadata("Metadata-Version: 2.4\nName: a\nLicense-Expression: MIT OR Apache-2.0\n"
                                      "Classifier: License :: OSI Approved :: BSD License\n").spdx == "MIT OR Apache-2.0"  # fmt: skip
    assert license_from_core_metadata("Name: a\nLicense: Apache 2.0\n").source == "METADATA:License"
    classifiers = license_from_core_metadata(
        "Name: a\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n"
    )
    assert classifiers.spdx == "MIT"
    assert classifiers.source == "METADATA:Classifier"
    whole_text = "Name: a\nLicense: " + MIT.replace("\n", "\n        ") + "\n"
    assert license_from_core_metadata(whole_text).spdx == "MIT"
    assert license_from_core_metadata("Name: a\n") is None


def test_pyproject_licence_forms():
    assert license_from_pyproject('[project]\nname = "a"\nlicense = "BSD-3-Clause"\n').spdx == "BSD-3-Clause"
    assert license_from_pyproject('[project]\nlicense = { text = "Apache 2.0" }\n').spdx == "Apache-2.0"
    assert license_from_pyproject('[project]\nlicense = { file = "COPYING" }\n').pointer == "COPYING"
    assert (
        license_from_pyproject('[project]\nclassifiers = ["License :: OSI Approved :: ISC License (ISCL)"]\n').spdx
        == "ISC"
    )
    assert license_from_pyproject('[tool.poetry]\nlicense = "MIT"\n').spdx == "MIT"
    assert license_from_pyproject("[project\nbroken") is None


def test_debian_dep5_declared_licence_and_its_text():
    assert license_from_dep5(DEP5).spdx == "LGPL-2.1-or-later"
    text = dep5_license_text(DEP5)
    assert "License:" not in text
    assert "Lesser General Public" in text
    assert identify_text(text).spdx == "LGPL-2.1-or-later"
    assert license_from_dep5("This package was debianized by someone.\nIt is GPL.\n") is None  # not DEP-5


def test_dataset_licence_columns():
    assert license_from_column(["MIT", "Apache-2.0"]).spdx == "MIT OR Apache-2.0"
    assert license_from_column(("BSD-3-Clause",)).spdx == "BSD-3-Clause"
    assert license_from_column("apache-2.0").spdx == "Apache-2.0"
    assert license_from_column(float("nan")) is None
    assert license_from_column([]) is None
    np = pytest.importorskip("numpy")
    assert license_from_column(np.array(["mit", "isc"])).spdx == "MIT OR ISC"


# -- repositories -------------------------------------------------------------------------------------------
def _repo(root: Path, name: str, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root / name


def test_repository_licence_from_its_files(tmp_path):
    apache = Path("/usr/share/common-licenses/Apache-2.0")
    apache_text = apache.read_text() if apache.is_file() else "Licensed under the Apache License, Version 2.0\n"
    _repo(tmp_path, "dual", {"LICENSE-MIT": MIT, "LICENSE-APACHE": apache_text, "src/lib.rs": "fn main() {}"})
    _repo(tmp_path, "lesser", {"COPYING": "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n",
                               "COPYING.LESSER": "GNU LESSER GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n\n"
                               "This version of the GNU Lesser General Public License incorporates the terms and "
                               "conditions of version 3 of the GNU General Public License, supplemented by the "
                               "additional permissions listed below.\n"})  # fmt: skip
    _repo(tmp_path, "npm", {"package.json": json.dumps({"name": "x", "license": "SEE LICENSE IN TERMS.txt"}),
                            "TERMS.txt": ISC})  # fmt: skip
    _repo(tmp_path, "readme", {"README.md": "# x\n\n## Licence\n\nBSD-2-Clause\n"})
    _repo(tmp_path, "vendored", {"LICENSE": BSD_3, "LICENSE.third-party": MIT})
    _repo(tmp_path, "binary", {"LICENSE": b"\x00\x01PK\x03\x04" * 50, "Cargo.toml": '[package]\nlicense = "Zlib"\n'})
    _repo(tmp_path, "latin1", {"LICENSE": MIT.replace("Jane Doe", "Jos\xe9 P\xe9rez").encode("latin-1")})
    _repo(tmp_path, "empty", {"LICENSE": "", "main.py": "print(1)\n"})
    resolver = RepoLicenseResolver(str(tmp_path))
    spdx = {repo: resolver({"repo": repo}).spdx for repo in
            ("dual", "lesser", "npm", "readme", "vendored", "binary", "latin1", "empty", "missing", "../etc")}  # fmt: skip
    assert spdx == {"dual": "Apache-2.0 OR MIT", "lesser": "LGPL-3.0-only", "npm": "ISC", "readme": "BSD-2-Clause",
                    "vendored": "BSD-3-Clause", "binary": "Zlib", "latin1": "MIT", "empty": None, "missing": None,
                    "../etc": None}  # fmt: skip
    assert resolver({"repo": "missing"}).source == "repo_not_found"
    assert resolver({"repo": "empty"}).source == "none"
    assert pickle.loads(pickle.dumps(resolver)).root == str(tmp_path)


def test_resolver_rejects_a_misspelt_evidence_order(tmp_path):
    with pytest.raises(ValueError, match="`order`"):
        RepoLicenseResolver(str(tmp_path), order=("licence_file",))


# -- blocks -------------------------------------------------------------------------------------------------
def _docs(*metadatas):
    return [Document(text="print(1)\n", id=str(i), metadata=dict(m)) for i, m in enumerate(metadatas)]


def test_annotator_records_spdx_and_source_on_every_document(tmp_path):
    _repo(tmp_path, "acme/tool", {"LICENSE": BSD_2})
    annotator = LicenseAnnotator(resolver=str(tmp_path))
    docs = list(annotator.run(iter(_docs(
        {"repo": "a", "license": ["mit", "apache-2.0"]},  # the-stack's max_stars_repo_licenses
        {"repo": "acme/tool"},  # no column value: the repository's LICENSE decides
        {"repo": "acme/tool", "license": "see the website"},  # unrecognised column: the resolver still answers
        {"repo": "nowhere"},
    ))))  # fmt: skip
    assert [d.metadata["license"] for d in docs] == ["MIT OR Apache-2.0", "BSD-2-Clause", "BSD-2-Clause", None]
    assert [d.metadata["license_source"] for d in docs] == ["column", "LICENSE:full_text", "LICENSE:full_text",
                                                           "repo_not_found"]  # fmt: skip
    assert docs[0].metadata["license_raw"] == ["mit", "apache-2.0"]
    assert docs[2].metadata["license_raw"] == "see the website"
    assert annotator.stats["license_unknown"].total == 1
    assert annotator.stats["license_known"].total == 3


def test_annotator_can_prefer_the_repository_over_the_column(tmp_path):
    _repo(tmp_path, "r", {"LICENSE": ISC})
    doc = next(
        LicenseAnnotator(resolver=str(tmp_path), prefer="resolver").run(iter(_docs({"repo": "r", "license": "MIT"})))
    )
    assert doc.metadata["license"] == "ISC"
    assert doc.metadata["license_raw"] == "MIT"


@pytest.mark.parametrize("kwargs", [{"prefer": "repo"}, {"column": ""}, {"resolver": 3}])
def test_annotator_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="`"):
        LicenseAnnotator(**kwargs)


def test_filter_keeps_the_allow_list_and_counts_each_drop_reason(tmp_path):
    docs = _docs({"license": "MIT"}, {"license": "GPL-3.0-only"}, {"license": None}, {"license": "GPL-2.0-only OR MIT"},
                 {"license": "MIT AND GPL-3.0-only"}, {"license": ["GPL-3.0", "Apache-2.0"]}, {"license": "nonsense"})  # fmt: skip
    step = LicenseFilter(exclusion_writer=JsonlWriter(str(tmp_path / "removed")))
    kept = [d.id for d in step.run(iter(docs))]
    assert kept == ["0", "3", "5"]
    assert step.stats["dropped_license_not_allowed"].total == 2
    assert step.stats["dropped_license_unknown"].total == 2
    removed = []
    for path in (tmp_path / "removed").glob("*.jsonl.gz"):
        with gzip.open(path, "rt") as f:
            removed += [json.loads(line) for line in f]
    assert (
        sorted(r["metadata"]["filter_reason"] for r in removed) == ["license_not_allowed"] * 2 + ["license_unknown"] * 2
    )


def test_filter_custom_allow_list_and_kept_unknowns():
    step = LicenseFilter(allow=["GPL-3.0-or-later", "gplv3"], keep_unknown=True)
    kept = [d.id for d in step.run(iter(_docs({"license": "GPL-3.0+"}, {"license": "MIT"}, {})))]
    assert kept == ["0", "2"]
    assert step.stats["kept_license_unknown"].total == 1
    assert "MIT" in PERMISSIVE_DEFAULT
    assert "GPL-3.0-only" in step.allow


@pytest.mark.parametrize("allow", [["MIT", "Apache2.5-typo"], "MIT", [], ["MIT OR ISC"]])
def test_filter_rejects_a_misspelt_allow_list(allow):
    with pytest.raises(ValueError, match="`allow`"):
        LicenseFilter(allow=allow)


def test_documented_licence_snippet_runs(tmp_path):
    doc = Path(__file__).resolve().parents[1] / "docs" / "licences_and_syntax.md"
    section = doc.read_text()[doc.read_text().index("## Licences") : doc.read_text().index("## Syntax validity")]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    exec(compile(code, str(doc), "exec"), {})


def test_new_blocks_are_exported():
    import snowcoder_hf.pipeline as pipeline

    assert {"LicenseAnnotator", "LicenseFilter", "SyntaxValidityFilter"} <= set(pipeline.__all__)
    assert os.path.basename(pipeline.LicenseFilter.__module__) == "snowcoder_hf.pipeline.licenses"


def test_resolvers_follow_source_roots_named_like_the_reader_names_repositories(tmp_path):
    _repo(tmp_path / "site", "pkg", {"LICENSE": ISC})
    _repo(tmp_path, "cpython", {"LICENSE": MIT})
    annotator = LicenseAnnotator(resolver=[RepoLicenseResolver(str(tmp_path / "site"), name="pypi"),
                                           RepoLicenseResolver(str(tmp_path / "cpython"), layout="repo", name="python/cpython")])  # fmt: skip
    docs = list(annotator.run(iter(_docs({"repo": "pypi/pkg"}, {"repo": "python/cpython"}, {"repo": "pkg"}))))
    assert [d.metadata["license"] for d in docs] == ["ISC", "MIT", None]
    assert docs[2].metadata["license_source"] == "repo_not_found"
