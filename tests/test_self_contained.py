"""The repository carries what its suite, notebooks and benchmarks read: nothing reads outside it.

A user's clone has nothing beside it, so a tracked file that reaches above the repository root
(a sibling folder such as ``../<name>``, ``Path(__file__).parents[k]`` past the root, ``REPO.parent``) breaks there. The
scan is static: it reads every tracked source file for those ways out.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCE_SUFFIXES = {".py", ".ipynb", ".sh", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".jinja", ""}
# A relative path that climbs out of the repository, or a sibling folder named as the old one was.
ESCAPES = [
    re.compile(r"\.\./shared"),
    re.compile(r"""parent\s*/\s*["']shared["']"""),
    re.compile(r"\bREPO(_ROOT)?\.parent\b"),
    re.compile(r"CODEBEGEN_SHARED"),
]
PARENTS = re.compile(r"Path\(__file__\)\.resolve\(\)\.parents\[(\d+)\]")


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [REPO / line for line in out.splitlines() if line]


def escapes_in(path: Path, text: str) -> list[str]:
    """The ways ``text`` (the content of ``path`` inside the repo) reads outside the repository."""
    found = [m.group(0) for pattern in ESCAPES for m in pattern.finditer(text)]
    depth = len(path.relative_to(REPO).parts) - 1  # parents[depth] is the repository root
    for m in PARENTS.finditer(text):
        if int(m.group(1)) > depth:
            found.append(m.group(0))
    return found


def test_no_tracked_file_reads_outside_the_repository() -> None:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files")
    this = Path(__file__).resolve()
    offenders = {}
    for path in tracked_files():
        if path == this or path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            continue
        if path.suffix == "" and path.name not in {"Makefile", "run"}:
            continue
        found = escapes_in(path, path.read_text(errors="replace"))
        if found:
            offenders[str(path.relative_to(REPO))] = found
    assert not offenders, f"tracked files read outside the repository: {offenders}"


def test_the_scan_sees_a_way_out() -> None:
    """The check itself can fail: each way out is caught, a path inside the repository is not."""
    inside = REPO / "tests" / "x.py"
    sibling = "shared"  # spelt apart so that no grep for the way out finds this file itself
    assert escapes_in(inside, f'DEV = REPO.parent / "{sibling}" / "bench"')
    assert escapes_in(inside, f'open("../{sibling}/bench/dev_specs.jsonl")')
    assert escapes_in(inside, "ROOT = Path(__file__).resolve().parents[2]")
    assert not escapes_in(inside, "ROOT = Path(__file__).resolve().parents[1]")
    assert not escapes_in(REPO / "codebegen" / "models" / "x.py", "Path(__file__).resolve().parents[2]")


def test_the_dev_set_ships_with_the_repository() -> None:
    assert (REPO / "bench" / "dev_specs.jsonl").is_file()
    assert (REPO / "bench" / "score_specs.py").is_file()
