import pytest

from snowcoder_hf.common.languages import EXTENSIONS, PAPER_LANGUAGES, detect_language


def test_every_paper_language_has_an_extension():
    assert set(PAPER_LANGUAGES) <= set(EXTENSIONS.values())


@pytest.mark.parametrize(
    ("path", "language"),
    [("src/main.rs", "Rust"), ("a/b/App.tsx", "TypeScript"), ("x.IPYNB", "Jupyter Notebook"),
     ("Makefile", "Makefile"), ("lib/x.kt", "Kotlin"), ("q.sql", "SQL"), ("README", None), ("data.bin", None)],
)  # fmt: skip
def test_language_from_filename(path, language):
    assert detect_language(path) == language


def test_header_is_c_unless_it_uses_cpp_or_objc():
    assert detect_language("x.h", "#include <stdio.h>\nint add(int a, int b);\n") == "C"
    assert detect_language("x.h", "namespace util {\ntemplate <typename T> T id(T x);\n}\n") == "C++"
    assert (
        detect_language("x.h", "#import <Foundation/Foundation.h>\n@interface Foo : NSObject\n@end\n") == "Objective-C"
    )


def test_extensionless_scripts_are_identified_by_shebang():
    assert detect_language("bin/tool", "#!/usr/bin/env python3\nprint(1)\n") == "Python"
    assert detect_language("bin/run", "#!/bin/bash\necho hi\n") == "Shell"
    assert detect_language("bin/srv", "#!/usr/bin/env node\nconsole.log(1)\n") == "JavaScript"
    assert detect_language("bin/x", "no shebang here") is None


def test_notebooks_with_invalid_metadata_or_bare_lines_convert_instead_of_crashing():
    import json

    from snowcoder_hf.common.notebooks import notebook_to_script

    invalid = {"nbformat": 4, "metadata": {"kernelspec": "python3", "language_info": ["x"]},
               "cells": [{"cell_type": "code", "source": ["x = 1\n", "y = 2"]}]}  # fmt: skip
    assert notebook_to_script(json.dumps(invalid)) == "x = 1\ny = 2\n"
    old = {"nbformat": 2, "worksheets": [{"cells": [{"cell_type": "code", "input": ["import os", "print(os.sep)"]}]}]}
    assert notebook_to_script(json.dumps(old)) == "import os\nprint(os.sep)\n"
