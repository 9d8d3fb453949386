import gzip
import json
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "curation.md"


def test_the_documented_drop_in_pipeline_runs_and_removes_a_near_duplicate(tmp_path, stdlib_dir):
    text = DOC.read_text()
    section = text[text.index("## Drop-in example") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    repos = tmp_path / "repos"
    sources = sorted(p for p in stdlib_dir.glob("*.py") if 3_000 < p.stat().st_size < 20_000)[:6]
    for i, path in enumerate(sources):
        (repos / f"r{i % 2}").mkdir(parents=True, exist_ok=True)
        (repos / f"r{i % 2}" / path.name).write_text(path.read_text(encoding="utf-8"))
    (repos / "r1" / "copy.py").write_text(sources[0].read_text(encoding="utf-8") + "\n# a local tweak\n")
    code = code.replace('"my_repos"', repr(str(repos))).replace('"dedup_work"', repr(str(tmp_path / "w")))
    code = code.replace('"curated"', repr(str(tmp_path / "out")))
    exec(compile(code, str(DOC), "exec"), {})

    kept = []
    for path in (tmp_path / "out" / "files").glob("*.jsonl.gz"):
        with gzip.open(path, "rt") as f:
            kept += [json.loads(line)["metadata"]["path"] for line in f]
    assert len(kept) == 6
    assert ("copy.py" in kept) != (sources[0].name in kept)
